// The README's embedding examples, as written: every ```html block of its
// "Using the wallet from another web page" section. The test serves each as
// a page of the scratch project the package was installed into, with only
// what the example leaves to its host page defined first: `myIssuer`.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '../lib/issuer.mjs';

const SECTION = '## Using the wallet from another web page';

export async function readmeExamples() {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(SECTION);
  if (start < 0) throw new Error(`README.md has no "${SECTION}" section`);
  const end = readme.indexOf('\n## ', start + SECTION.length);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/^```html\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  if (blocks.length !== 2) throw new Error(`expected 2 html examples in the README's embedding section, found ${blocks.length}`);
  return blocks;
}

/** The example as a page: the host's issuer client (the demo issuer's POST /api/cards) and an uncaught-error record, then the example. */
export function pageFor(example) {
  return `<!doctype html>
<meta charset="utf-8">
<title>README example</title>
<script>
  window.uncaught = [];
  addEventListener('error', (e) => window.uncaught.push('error: ' + e.message));
  addEventListener('unhandledrejection', (e) => window.uncaught.push('unhandledrejection: ' + (e.reason && e.reason.message || e.reason)));
  window.myIssuer = {
    provisioningLink: async () => (await (await fetch('/api/cards', { method: 'POST' })).json()).link,
  };
</script>
${example}`;
}
