//! The SQLite schema, as the steps that build it: a new file runs every
//! step, an older file the steps after its `user_version`.

/// Version 1: cards, their state, the no-PIN allowance and charges.
pub(super) const V1: &str = "
CREATE TABLE IF NOT EXISTS cards (
    prefix   INTEGER NOT NULL,
    token    INTEGER NOT NULL,
    length   INTEGER NOT NULL,
    issuer   TEXT    NOT NULL,
    secret   BLOB    NOT NULL,
    period   INTEGER NOT NULL,
    funding  TEXT    NOT NULL,  -- JSON array of link values, index order
    created  INTEGER NOT NULL,
    PRIMARY KEY (prefix, token)
);
CREATE TABLE IF NOT EXISTS card_state (
    prefix       INTEGER NOT NULL,
    token        INTEGER NOT NULL,
    last_step    INTEGER,
    last_counter INTEGER,
    failures     INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (prefix, token),
    FOREIGN KEY (prefix, token) REFERENCES cards (prefix, token)
);
CREATE TABLE IF NOT EXISTS allowance (
    prefix    INTEGER NOT NULL,
    token     INTEGER NOT NULL,
    day       INTEGER NOT NULL,  -- days since 1970-01-01 in the issuer's zone
    approvals INTEGER NOT NULL,
    PRIMARY KEY (prefix, token, day),
    FOREIGN KEY (prefix, token) REFERENCES cards (prefix, token)
);
CREATE TABLE IF NOT EXISTS charges (
    id         TEXT    PRIMARY KEY,
    prefix     INTEGER NOT NULL,
    token      INTEGER NOT NULL,
    code       TEXT    NOT NULL,
    amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
    status     TEXT    NOT NULL CHECK (status IN ('approved', 'pin_required', 'pin_approved')),
    funding    INTEGER NOT NULL,
    merchant   TEXT,
    at         INTEGER NOT NULL,
    FOREIGN KEY (prefix, token) REFERENCES cards (prefix, token)
);
CREATE INDEX IF NOT EXISTS charges_by_card ON charges (prefix, token, at);
";

/// Version 2: card settings, lockouts per (card, merchant), PIN hashes (a
/// second schema in the server before), merchants, nonces, the ledger,
/// payments and refunds.
pub(super) const V2: &str = "
ALTER TABLE cards ADD COLUMN fall_through INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cards ADD COLUMN revoked INTEGER NOT NULL DEFAULT 0;

CREATE TABLE lockouts (
    prefix       INTEGER NOT NULL,
    token        INTEGER NOT NULL,
    merchant     TEXT    NOT NULL,  -- '' for requests without a merchant
    failures     INTEGER NOT NULL,
    locked_until INTEGER NOT NULL,
    PRIMARY KEY (prefix, token, merchant),
    FOREIGN KEY (prefix, token) REFERENCES cards (prefix, token)
);
INSERT INTO lockouts (prefix, token, merchant, failures, locked_until)
    SELECT prefix, token, '', failures, locked_until FROM card_state
    WHERE failures > 0 OR locked_until > 0;
ALTER TABLE card_state DROP COLUMN failures;
ALTER TABLE card_state DROP COLUMN locked_until;

CREATE TABLE IF NOT EXISTS card_pins (
    prefix INTEGER NOT NULL,
    token  INTEGER NOT NULL,
    salt   BLOB    NOT NULL,
    hash   BLOB    NOT NULL,
    rounds INTEGER NOT NULL,
    PRIMARY KEY (prefix, token),
    FOREIGN KEY (prefix, token) REFERENCES cards (prefix, token)
);

CREATE TABLE merchants (
    id      TEXT    PRIMARY KEY,
    name    TEXT    NOT NULL,
    api_key BLOB    NOT NULL,
    created INTEGER NOT NULL
);
CREATE TABLE nonces (
    merchant   TEXT    NOT NULL,
    nonce      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (merchant, nonce)
);
CREATE INDEX nonces_by_expiry ON nonces (expires_at);

-- The ledger. Balances are sums over postings (the covering index makes a
-- balance one index range scan); no row is ever updated, so no account
-- becomes a row every payment must lock.
CREATE TABLE accounts (
    id      TEXT    PRIMARY KEY,
    created INTEGER NOT NULL
);
CREATE TABLE journals (
    id        INTEGER PRIMARY KEY,
    kind      TEXT    NOT NULL CHECK (kind IN ('topup', 'payment', 'reversal', 'refund')),
    reference TEXT    NOT NULL,
    at        INTEGER NOT NULL
);
CREATE TABLE postings (
    id         INTEGER PRIMARY KEY,
    journal    INTEGER NOT NULL REFERENCES journals (id),
    account    TEXT    NOT NULL REFERENCES accounts (id),
    amount_fen INTEGER NOT NULL CHECK (amount_fen <> 0)
);
CREATE INDEX postings_by_account ON postings (account, amount_fen);
CREATE INDEX journals_by_reference ON journals (reference);
CREATE TRIGGER postings_append_only_update BEFORE UPDATE ON postings
    BEGIN SELECT RAISE(ABORT, 'postings are append-only'); END;
CREATE TRIGGER postings_append_only_delete BEFORE DELETE ON postings
    BEGIN SELECT RAISE(ABORT, 'postings are append-only'); END;
CREATE TRIGGER journals_append_only_update BEFORE UPDATE ON journals
    BEGIN SELECT RAISE(ABORT, 'journals are append-only'); END;
CREATE TRIGGER journals_append_only_delete BEFORE DELETE ON journals
    BEGIN SELECT RAISE(ABORT, 'journals are append-only'); END;

CREATE TABLE payments (
    id            TEXT    PRIMARY KEY,
    merchant      TEXT    NOT NULL REFERENCES merchants (id),
    out_trade_no  TEXT    NOT NULL,
    fingerprint   TEXT,
    amount_fen    INTEGER CHECK (amount_fen > 0),
    currency      TEXT    NOT NULL,
    description   TEXT,
    status        TEXT    NOT NULL CHECK (status IN ('SUCCESS', 'USERPAYING', 'FAILED',
                      'CLOSED', 'REVERSED', 'REFUNDED', 'PARTIALLY_REFUNDED')),
    prefix        INTEGER,
    token         INTEGER,
    funding_index INTEGER,
    funding_kind  TEXT    CHECK (funding_kind IN ('balance', 'debit')),
    funding_label TEXT,
    error         TEXT,
    created       INTEGER NOT NULL,
    deadline      INTEGER,
    allowance_day INTEGER,
    UNIQUE (merchant, out_trade_no)
);
CREATE INDEX payments_waiting ON payments (deadline) WHERE status = 'USERPAYING';
CREATE TABLE refunds (
    id            TEXT    PRIMARY KEY,
    merchant      TEXT    NOT NULL REFERENCES merchants (id),
    out_refund_no TEXT    NOT NULL,
    payment       TEXT    NOT NULL REFERENCES payments (id),
    amount_fen    INTEGER NOT NULL CHECK (amount_fen > 0),
    created       INTEGER NOT NULL,
    UNIQUE (merchant, out_refund_no)
);
CREATE INDEX refunds_by_payment ON refunds (payment);
";

/// Version 3: the `secret` of cards and the `api_key` of merchants hold
/// sealed keys (crate::custody), no longer the keys themselves. No table
/// changes; the rows of an older file are sealed by [`super::seal`].
pub(super) const V3: &str = "-- keys sealed under the KEK";

/// Version 4: the key lifecycle and the audit trail. A card row keeps its
/// key's version (bound into the sealed key, so re-provisioning makes a
/// new version) and an optional expiry; `audit` is append-only, enforced
/// by triggers that abort any UPDATE or DELETE.
pub(super) const V4: &str = "
ALTER TABLE cards ADD COLUMN key_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE cards ADD COLUMN expires INTEGER;

CREATE TABLE audit (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    at       INTEGER NOT NULL,
    kind     TEXT    NOT NULL,
    prefix   INTEGER,
    token    INTEGER,
    merchant TEXT,
    address  TEXT,
    count    INTEGER NOT NULL DEFAULT 1 CHECK (count > 0),
    detail   TEXT    NOT NULL DEFAULT ''
);
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
";

/// The version from which keys are stored sealed.
pub(super) const KEYS_SEALED: i64 = 3;

/// Version 5: the payer's order of the card's funding sources, a JSON
/// array of indices (store/funding_order.rs); NULL for index order.
pub(super) const V5: &str = "ALTER TABLE cards ADD COLUMN funding_order TEXT;";

/// Version 6: one-time activation codes, kept as their SHA-256 only.
pub(super) const V6: &str = "
CREATE TABLE activations (
    code_hash   BLOB    PRIMARY KEY CHECK (length(code_hash) = 32),
    prefix      INTEGER NOT NULL,
    token       INTEGER NOT NULL,
    created     INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    redeemed_at INTEGER,
    FOREIGN KEY (prefix, token) REFERENCES cards (prefix, token)
);
";

/// `STEPS[i]` brings a file from version `i` to `i + 1`.
pub(super) const STEPS: [&str; 6] = [V1, V2, V3, V4, V5, V6];
