// A tiny static server for www/ on 127.0.0.1 and an ephemeral port, until the
// issuer's own server takes over. `.wasm` goes out as application/wasm (what
// WebAssembly.instantiateStreaming insists on). An optional handler answers
// POST /api/cards like the demo issuer.

import http from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * Serve `root`. `mounts` maps a URL prefix to another directory (for example
 * '/pkg/' → a build output elsewhere); `demoCard()` returns a provisioning link.
 * Resolves to {url, close(), requests, setOffline(bool)} where requests
 * counts served paths; while offline every request's connection is dropped.
 */
export function serveStatic(root, { mounts = {}, demoCard = null } = {}) {
  const requests = [];
  let offline = false;
  const server = http.createServer(async (req, res) => {
    if (offline) {
      // As unreachable as a network that is gone: no answer, the connection dropped.
      req.socket.destroy();
      return;
    }
    const url = new URL(req.url, 'http://127.0.0.1');
    requests.push(`${req.method} ${url.pathname}`);
    try {
      if (url.pathname === '/api/cards') {
        if (req.method !== 'POST' || !demoCard) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
          return;
        }
        const link = await demoCard();
        res.writeHead(201, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ link }));
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405).end();
        return;
      }
      let base = root;
      let rel = decodeURIComponent(url.pathname);
      for (const [prefix, dir] of Object.entries(mounts)) {
        if (rel.startsWith(prefix)) {
          base = dir;
          rel = rel.slice(prefix.length - 1);
        }
      }
      if (rel.endsWith('/')) rel += 'index.html';
      const file = path.join(base, path.normalize(rel));
      if (!file.startsWith(path.resolve(base))) {
        res.writeHead(403).end();
        return;
      }
      const info = await stat(file).catch(() => null);
      if (!info?.isFile()) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-cache',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error?.message ?? error));
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}/`,
        requests,
        setOffline: (on) => {
          offline = on;
          // Kept-alive connections would otherwise go on answering.
          if (on) server.closeAllConnections?.();
        },
        close: () => new Promise((done) => {
          server.closeAllConnections?.();
          server.close(() => done());
        }),
      });
    });
  });
}
