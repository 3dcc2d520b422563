// The wallet page's activation-link reader (www/js/activation.js) against
// the vectors core::activation is tested with (tests/vectors/
// activation_links.json): the two readers accept and refuse the same links.
// Node only: the reader needs nothing of a browser but the page's origin.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from './lib/issuer.mjs';

// A wallet page on an origin none of the vectors names.
globalThis.window = { location: { origin: 'https://wallet.test' } };
const { parseActivationLink } = await import(path.join(ROOT, 'www/js/activation.js'));
const vectors = JSON.parse(await readFile(path.join(ROOT, 'tests/vectors/activation_links.json'), 'utf8'));

test('the page reads every valid activation vector as core does', () => {
  assert.ok(vectors.valid.length >= 3);
  for (const { name, link, issuer, url, code } of vectors.valid) {
    assert.deepEqual(parseActivationLink(link), { issuer, url, code }, name);
  }
});

test('the page refuses every malformed activation vector with core\'s kind', () => {
  assert.ok(vectors.invalid.length >= 10);
  for (const { name, link, error } of vectors.invalid) {
    assert.throws(() => parseActivationLink(link), (e) => e.kind === error, name);
  }
});

test('the page also accepts its own origin over plain http', () => {
  globalThis.window = { location: { origin: 'http://192.168.1.20:8080' } };
  const link = 'paycode://activate?v=1&issuer=Demo&url=http%3A%2F%2F192.168.1.20%3A8080&code=0123456789abcdef0123456789abcdef';
  assert.equal(parseActivationLink(link).url, 'http://192.168.1.20:8080');
  globalThis.window = { location: { origin: 'https://wallet.test' } };
  assert.throws(() => parseActivationLink(link), (e) => e.kind === 'bad_activation_url');
});
