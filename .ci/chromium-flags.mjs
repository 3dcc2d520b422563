// The flags every headless Chromium of this project starts with, in the
// end-to-end tests and the browser benchmarks alike: Debian's Chromium in a
// container (no sandbox, no GPU, no /dev/shm), doing no work of its own
// (no background networking, component updates or sync) while it is tested
// or measured.
export const CHROMIUM_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
