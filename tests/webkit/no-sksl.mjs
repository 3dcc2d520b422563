// The WebKit configuration of the page tests (tests/e2e/lib/webdriver.mjs)
// must never compile SkSL in the web process (.ci/webkit.env says why).
// Run by errno-window.sh with errno_window.so preloaded and
// ERRNO_WINDOW_CALLERS set: opens a page that draws a phone-sized QR and
// barcode with putImageData, as the wallet does, then the caller log must
// show no strtoull() from WebKit's library.
import http from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { openPage } from '../e2e/lib/webdriver.mjs';

const PAGE = `<!doctype html><meta charset="utf-8">
<canvas id="qr" width="696" height="696" style="width:232px;height:232px"></canvas>
<canvas id="bar" width="960" height="1" style="width:320px;height:96px"></canvas>
<script>
  for (const c of document.querySelectorAll('canvas')) {
    const g = c.getContext('2d');
    const img = g.createImageData(c.width, c.height);
    for (let p = 0; p < img.data.length; p += 4) {
      const v = (p >> 2) % 7 < 3 ? 0 : 255;
      img.data[p] = img.data[p + 1] = img.data[p + 2] = v;
      img.data[p + 3] = 255;
    }
    g.putImageData(img, 0, 0);
  }
</script>`;

const callers = process.env.ERRNO_WINDOW_CALLERS;
if (!callers) throw new Error('ERRNO_WINDOW_CALLERS is not set: run tests/webkit/errno-window.sh');
const server = http.createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const page = await openPage('webkit');
try {
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  const drawn = await page.run(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() =>
    resolve(document.getElementById('qr').getContext('2d').getImageData(0, 0, 3, 1).data.join(','))))));
  if (drawn !== '0,0,0,255,0,0,0,255,0,0,0,255') throw new Error(`the canvas did not draw: ${drawn}`);
} finally {
  await page.close();
  server.close();
}
const log = existsSync(callers) ? readFileSync(callers, 'utf8').trim() : '';
if (log) {
  console.error(`no SkSL: WebKit's library parsed integers with strtoull (SkSL compiling) in the page tests' configuration:\n${log}`);
  process.exit(1);
}
console.log('no SkSL: a canvas page in the page tests\' WebKit configuration compiled no SkSL');
