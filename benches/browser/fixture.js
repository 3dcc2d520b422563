// One demo card shared by every benchmark page: the wasm side reads the
// link, the JS stack the same secret and token.

export const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
export const TOKEN = 482913;
export const ISSUER_TIME = 1764100000;
export const PERIOD_S = 60;
export const LINK =
  `paycode://provision?v=1&issuer=Bench%20Bank&prefix=13&length=18&token=${TOKEN}` +
  `&secret=${SECRET}&algorithm=SHA256&period=${PERIOD_S}&time=${ISSUER_TIME}&funding=balance`;
