// Ways to put a code's two symbols on their canvases, timed the same way as
// bench.js (settled: 1-px readback of both canvases + layout after each
// draw). The module bitmaps are real (a QR from the qrcode library, a Code 128
// pattern of the right width); only the drawing differs. Strategy "current"
// mirrors what src/web/canvas.rs does today; the others are candidate fixes.

const $ = (id) => document.getElementById(id);
const dpr = window.devicePixelRatio || 1;
const canvases = { barcode: $('barcode'), qr: $('qr') };

function bitmaps(digits) {
  const q = globalThis.QRCode.create(digits, { errorCorrectionLevel: 'M' }).modules;
  const side = q.size + 8;
  const qr = { width: side, height: side, dark: new Uint8Array(side * side) };
  for (let y = 0; y < q.size; y += 1) {
    for (let x = 0; x < q.size; x += 1) qr.dark[(y + 4) * side + x + 4] = q.data[y * q.size + x];
  }
  // 154 modules: 10 quiet + 134 of bars/spaces (pseudo-random widths 1..4) + 10 quiet.
  const bar = { width: 154, height: 1, dark: new Uint8Array(154) };
  let x = 10;
  let dark = 1;
  let seed = Number(digits.slice(-6));
  while (x < 144) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const w = Math.min(144 - x, 1 + (seed % 4));
    if (dark) bar.dark.fill(1, x, x + w);
    x += w;
    dark ^= 1;
  }
  return { qr, bar };
}

function placement(bitmap, canvas, linear) {
  const r = canvas.getBoundingClientRect();
  const aw = Math.floor(r.width * dpr);
  const ah = Math.floor(r.height * dpr);
  const module = linear
    ? Math.max(1, Math.min(Math.floor(aw / bitmap.width), Math.floor((ah * 100) / (15 * bitmap.width))))
    : Math.max(1, Math.min(Math.floor(aw / bitmap.width), Math.floor(ah / bitmap.height)));
  const w = bitmap.width * module;
  const h = linear ? ah : bitmap.height * module;
  return { cw: aw, ch: ah, module, x: (aw - w) >> 1, y: (ah - h) >> 1, w, h, rowH: linear ? ah : module };
}

// RGBA of the whole canvas in a WebAssembly.Memory, as the wasm build makes it.
const memory = new WebAssembly.Memory({ initial: 64, maximum: 1024 });
function rgba(bitmap, p) {
  const bytes = p.cw * p.ch * 4;
  if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
  const px = new Uint8ClampedArray(memory.buffer, 0, bytes);
  px.fill(255);
  const stride = p.cw * 4;
  for (let my = 0; my < bitmap.height; my += 1) {
    const top = p.y + my * p.rowH;
    const row = top * stride;
    for (let mx = 0; mx < bitmap.width; mx += 1) {
      if (!bitmap.dark[my * bitmap.width + mx]) continue;
      const start = row + (p.x + mx * p.module) * 4;
      for (let i = 0; i < p.module; i += 1) {
        px[start + i * 4] = 0;
        px[start + i * 4 + 1] = 0;
        px[start + i * 4 + 2] = 0;
      }
    }
    for (let dy = 1; dy < p.rowH; dy += 1) px.copyWithin(row + dy * stride, row, row + stride);
  }
  return px;
}

// A retained RGBA buffer per canvas, white once; each draw rewrites only the
// symbol inside its quiet zone (`quiet` modules each side), which a new code
// can change, and puts only that rectangle.
const retained = new Map();
function rgbaInner(bitmap, p, canvas, quiet) {
  let r = retained.get(canvas);
  if (!r || r.cw !== p.cw || r.ch !== p.ch) {
    const px = new Uint8ClampedArray(new WebAssembly.Memory({ initial: Math.ceil((p.cw * p.ch * 4) / 65536) }).buffer, 0, p.cw * p.ch * 4);
    px.fill(255);
    r = { cw: p.cw, ch: p.ch, px, image: new ImageData(px, p.cw, p.ch) };
    retained.set(canvas, r);
  }
  const { px } = r;
  const stride = p.cw * 4;
  const qy = bitmap.height === 1 ? 0 : quiet;
  const x0 = p.x + quiet * p.module;
  const x1 = p.x + (bitmap.width - quiet) * p.module;
  for (let my = qy; my < bitmap.height - qy; my += 1) {
    const top = p.y + my * p.rowH;
    const row = top * stride;
    for (let mx = quiet; mx < bitmap.width - quiet; mx += 1) {
      const v = bitmap.dark[my * bitmap.width + mx] ? 0 : 255;
      const start = row + (p.x + mx * p.module) * 4;
      for (let i = 0; i < p.module; i += 1) {
        px[start + i * 4] = v;
        px[start + i * 4 + 1] = v;
        px[start + i * 4 + 2] = v;
      }
    }
    for (let dy = 1; dy < p.rowH; dy += 1) px.copyWithin(row + dy * stride + x0 * 4, row + x0 * 4, row + x1 * 4);
  }
  const y0 = p.y + qy * p.rowH;
  return { image: r.image, x: x0, y: y0, w: x1 - x0, h: (bitmap.height - 2 * qy) * p.rowH };
}

const strategies = {
  // Today: restore host size, measure (layout), resize twice, set CSS size,
  // full-canvas RGBA from wasm memory, one putImageData.
  current(bitmap, canvas, linear) {
    canvas.width = 300;
    canvas.height = 150;
    canvas.style.removeProperty('width');
    canvas.style.removeProperty('height');
    const p = placement(bitmap, canvas, linear);
    const px = rgba(bitmap, p);
    canvas.width = p.cw;
    canvas.height = p.ch;
    canvas.style.setProperty('width', `${p.cw / dpr}px`);
    canvas.style.setProperty('height', `${p.ch / dpr}px`);
    const ctx = canvas.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.putImageData(new ImageData(px, p.cw, p.ch), 0, 0);
  },
  // Placement kept from the last measure (re-measured only on resize):
  // same full-canvas putImageData, no resize, no layout.
  keepSizePut(bitmap, canvas, linear, p) {
    canvas.getContext('2d').putImageData(new ImageData(rgba(bitmap, p), p.cw, p.ch), 0, 0);
  },
  // Placement kept and the RGBA buffer too: only the symbol inside its quiet
  // zone is rewritten and put (putImageData's dirty rectangle).
  keepSizeDirty(bitmap, canvas, linear, p) {
    const d = rgbaInner(bitmap, p, canvas, linear ? 10 : 4);
    canvas.getContext('2d').putImageData(d.image, 0, 0, d.x, d.y, d.w, d.h);
  },
  // Placement kept for the QR (as keepSizePut); the barcode's backing store
  // is one device-pixel row, stretched to its CSS height by layout
  // (image-rendering: pixelated): bars stay 1:1 across, and every row of a
  // Code 128 is the same, so nothing is resampled that differs.
  barcodeOneRow(bitmap, canvas, linear, p) {
    if (!linear) {
      strategies.keepSizePut(bitmap, canvas, linear, p);
      return;
    }
    canvas.getContext('2d').putImageData(new ImageData(rgba(bitmap, { ...p, ch: 1, y: 0, rowH: 1 }), p.cw, 1), 0, 0);
  },
  // What src/web/canvas.rs does now: the barcode as in barcodeOneRow, and
  // for the QR only the symbol inside its quiet zone, at device pixels,
  // from a fresh buffer, one putImageData of that rectangle.
  qrInnerPut(bitmap, canvas, linear, p) {
    if (linear) {
      strategies.barcodeOneRow(bitmap, canvas, linear, p);
      return;
    }
    const q = 4 * p.module;
    const side = p.w - 2 * q;
    const all = rgba(bitmap, p);
    const px = new Uint8ClampedArray(side * side * 4);
    for (let y = 0; y < side; y += 1) {
      const from = ((p.y + q + y) * p.cw + p.x + q) * 4;
      px.set(all.subarray(from, from + side * 4), y * side * 4);
    }
    canvas.getContext('2d').putImageData(new ImageData(px, side, side), p.x + q, p.y + q);
  },
  // The barcode as in barcodeOneRow; the QR inside its quiet zone at one
  // pixel per module on a small canvas, scaled up into place by drawImage
  // with smoothing off (whole-number scale and offset).
  qrInnerScaled(bitmap, canvas, linear, p, scratch) {
    if (linear) {
      strategies.barcodeOneRow(bitmap, canvas, linear, p);
      return;
    }
    const n = bitmap.width - 8;
    const px = new Uint8ClampedArray(n * n * 4).fill(255);
    for (let y = 0; y < n; y += 1) {
      for (let x = 0; x < n; x += 1) {
        if (bitmap.dark[(y + 4) * bitmap.width + x + 4]) px[(y * n + x) * 4] = px[(y * n + x) * 4 + 1] = px[(y * n + x) * 4 + 2] = 0;
      }
    }
    scratch.getContext('2d').putImageData(new ImageData(px, n, n), 0, 0);
    const ctx = canvas.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    const q = 4 * p.module;
    ctx.drawImage(scratch, 0, 0, n, n, p.x + q, p.y + q, n * p.module, n * p.module);
  },
  // Placement kept; white background, one fillRect per run of dark modules.
  keepSizeRects(bitmap, canvas, linear, p) {
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, p.cw, p.ch);
    ctx.fillStyle = '#000';
    for (let my = 0; my < bitmap.height; my += 1) {
      let mx = 0;
      while (mx < bitmap.width) {
        if (!bitmap.dark[my * bitmap.width + mx]) {
          mx += 1;
          continue;
        }
        const start = mx;
        while (mx < bitmap.width && bitmap.dark[my * bitmap.width + mx]) mx += 1;
        ctx.fillRect(p.x + start * p.module, p.y + my * p.rowH, (mx - start) * p.module, p.rowH);
      }
    }
  },
  // Placement kept; module-sized ImageData on a small canvas, scaled up by
  // drawImage with smoothing off (whole-number scale and offset: crisp).
  keepSizeScaled(bitmap, canvas, linear, p, scratch) {
    const px = new Uint8ClampedArray(bitmap.width * bitmap.height * 4).fill(255);
    for (let i = 0; i < bitmap.dark.length; i += 1) {
      if (bitmap.dark[i]) px[i * 4] = px[i * 4 + 1] = px[i * 4 + 2] = 0;
    }
    scratch.getContext('2d').putImageData(new ImageData(px, bitmap.width, bitmap.height), 0, 0);
    const ctx = canvas.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, p.cw, p.ch);
    ctx.drawImage(scratch, p.x, p.y, p.w, p.h);
  },
};

function settle() {
  for (const c of Object.values(canvases)) c.getContext('2d').getImageData(0, 0, 1, 1);
  return document.documentElement.offsetHeight;
}

window.runDraw = async ({ n = 1000, batch = 20 } = {}) => {
  const codes = Array.from({ length: 64 }, (_, i) => String(134605419269801054n + BigInt(i * 7919)));
  const symbols = codes.map(bitmaps);
  const out = {};
  for (const [name, draw] of Object.entries(strategies)) {
    // Fixed backing stores for the keep-size strategies, measured once.
    const places = {};
    const scratch = {};
    for (const [key, linear] of [['barcode', true], ['qr', false]]) {
      const c = canvases[key];
      c.width = 300;
      c.height = 150;
      c.style.removeProperty('width');
      c.style.removeProperty('height');
      places[key] = placement(key === 'qr' ? symbols[0].qr : symbols[0].bar, c, linear);
      c.width = places[key].cw;
      c.height = places[key].ch;
      c.style.width = `${places[key].cw / dpr}px`;
      c.style.height = `${places[key].ch / dpr}px`;
      if (['barcodeOneRow', 'qrInnerPut', 'qrInnerScaled'].includes(name) && key === 'barcode') {
        c.height = 1;
        c.style.imageRendering = 'pixelated';
      } else {
        c.style.removeProperty('image-rendering');
      }
      scratch[key] = document.createElement('canvas');
      const s = key === 'qr' ? symbols[0].qr : symbols[0].bar;
      scratch[key].width = s.width;
      scratch[key].height = s.height;
    }
    const means = [];
    let k = 0;
    for (let b = 0; b < n / batch + 5; b += 1) {
      const t0 = performance.now();
      for (let i = 0; i < batch; i += 1) {
        const s = symbols[k++ % symbols.length];
        draw(s.bar, canvases.barcode, true, places.barcode, scratch.barcode);
        draw(s.qr, canvases.qr, false, places.qr, scratch.qr);
        settle();
      }
      if (b >= 5) means.push((performance.now() - t0) / batch); // 5 batches of warm-up
      await new Promise((r) => requestAnimationFrame(r));
    }
    means.sort((a, b) => a - b);
    out[name] = {
      mean: means.reduce((a, b) => a + b, 0) / means.length,
      p50: means[Math.floor(means.length / 2)],
      p99: means[Math.ceil(means.length * 0.99) - 1],
    };
  }
  return out;
};
window.drawReady = true;
