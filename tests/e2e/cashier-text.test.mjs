// The till's words (www/cashier-text.js): English and Chinese have the same
// keys, every key holds words (or a function giving words), and every code
// docs/MERCHANT_API.md lists has its own plain words in both.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEXT } from '../../www/cashier-text.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function keys(node, prefix = '') {
  return Object.entries(node).flatMap(([key, value]) => (
    value && typeof value === 'object' ? keys(value, `${prefix}${key}.`) : [`${prefix}${key}`]
  ));
}

function at(table, key) {
  return key.split('.').reduce((node, part) => node[part], table);
}

test('English and Chinese have the same keys, none empty', () => {
  assert.deepEqual(keys(TEXT['zh-CN']).sort(), keys(TEXT.en).sort());
  for (const language of ['en', 'zh-CN']) {
    for (const key of keys(TEXT[language])) {
      const value = at(TEXT[language], key);
      const words = typeof value === 'function' ? value('1.00', 'X') : value;
      assert.equal(typeof words, 'string', `${language} ${key}`);
      assert.ok(words.trim().length > 0, `${language} ${key} is empty`);
    }
  }
});

test('every error code of docs/MERCHANT_API.md has words of its own, and every payment status', () => {
  const doc = readFileSync(path.join(ROOT, 'docs/MERCHANT_API.md'), 'utf8');
  const codes = new Set([...doc.matchAll(/^\| (?:\d{3} \| )?`([A-Z_]+)`/gm)].map((m) => m[1]));
  const statuses = ['SUCCESS', 'USERPAYING', 'FAILED', 'CLOSED', 'REVERSED', 'PARTIALLY_REFUNDED', 'REFUNDED'];
  for (const status of statuses) codes.delete(status);
  assert.ok(codes.has('AUTH_CODE_USED') && codes.has('RATE_LIMITED'), `codes read from the doc: ${[...codes]}`);
  for (const language of ['en', 'zh-CN']) {
    for (const code of codes) assert.ok(TEXT[language].errors[code], `${language} has no words for ${code}`);
    for (const status of statuses) assert.ok(TEXT[language].status[status], `${language} has no words for ${status}`);
  }
  assert.equal(TEXT.en.errors.AUTH_CODE_USED, 'code already used — ask for a fresh code');
  assert.equal(TEXT.en.waiting, 'Waiting for the customer to confirm on their phone');
});
