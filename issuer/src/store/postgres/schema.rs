//! The PostgreSQL schema, as versioned migrations: `STEPS[i]` brings a
//! database from version `i` to `i + 1`, and `schema_migrations` records
//! each one applied. Version 1 is the same schema as SQLite's version 2;
//! integers are BIGINT throughout (tokens and times do not fit INTEGER),
//! and `seq` columns give the insertion order SQLite's rowid gives.

pub(super) const V1: &str = "
CREATE TABLE cards (
    prefix       BIGINT  NOT NULL,
    token        BIGINT  NOT NULL,
    length       BIGINT  NOT NULL,
    issuer       TEXT    NOT NULL,
    secret       BYTEA   NOT NULL,
    period       BIGINT  NOT NULL,
    funding      TEXT    NOT NULL,  -- JSON array of link values, index order
    created      BIGINT  NOT NULL,
    fall_through BOOLEAN NOT NULL DEFAULT FALSE,
    revoked      BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (prefix, token)
);
CREATE TABLE card_state (
    prefix       BIGINT NOT NULL,
    token        BIGINT NOT NULL,
    last_step    BIGINT,
    last_counter BIGINT,
    PRIMARY KEY (prefix, token),
    FOREIGN KEY (prefix, token) REFERENCES cards (prefix, token)
);
CREATE TABLE allowance (
    prefix    BIGINT NOT NULL,
    token     BIGINT NOT NULL,
    day       BIGINT NOT NULL,  -- days since 1970-01-01 in the issuer's zone
    approvals BIGINT NOT NULL,
    PRIMARY KEY (prefix, token, day),
    FOREIGN KEY (prefix, token) REFERENCES cards (prefix, token)
);
CREATE TABLE charges (
    id         TEXT   PRIMARY KEY,
    seq        BIGINT GENERATED ALWAYS AS IDENTITY,
    prefix     BIGINT NOT NULL,
    token      BIGINT NOT NULL,
    code       TEXT   NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    status     TEXT   NOT NULL CHECK (status IN ('approved', 'pin_required', 'pin_approved')),
    funding    BIGINT NOT NULL,
    merchant   TEXT,
    at         BIGINT NOT NULL,
    FOREIGN KEY (prefix, token) REFERENCES cards (prefix, token)
);
CREATE INDEX charges_by_card ON charges (prefix, token, at);

CREATE TABLE lockouts (
    prefix       BIGINT NOT NULL,
    token        BIGINT NOT NULL,
    merchant     TEXT   NOT NULL,  -- '' for requests without a merchant
    failures     BIGINT NOT NULL,
    locked_until BIGINT NOT NULL,
    PRIMARY KEY (prefix, token, merchant),
    FOREIGN KEY (prefix, token) REFERENCES cards (prefix, token)
);
CREATE TABLE card_pins (
    prefix BIGINT NOT NULL,
    token  BIGINT NOT NULL,
    salt   BYTEA  NOT NULL,
    hash   BYTEA  NOT NULL,
    rounds BIGINT NOT NULL,
    PRIMARY KEY (prefix, token),
    FOREIGN KEY (prefix, token) REFERENCES cards (prefix, token)
);

CREATE TABLE merchants (
    id      TEXT   PRIMARY KEY,
    name    TEXT   NOT NULL,
    api_key BYTEA  NOT NULL,
    created BIGINT NOT NULL
);
CREATE TABLE nonces (
    merchant   TEXT   NOT NULL,
    nonce      TEXT   NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (merchant, nonce)
);
CREATE INDEX nonces_by_expiry ON nonces (expires_at);

-- The ledger: balances are sums over postings, no row is ever updated.
CREATE TABLE accounts (
    id      TEXT   PRIMARY KEY,
    created BIGINT NOT NULL
);
CREATE TABLE journals (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind      TEXT   NOT NULL CHECK (kind IN ('topup', 'payment', 'reversal', 'refund')),
    reference TEXT   NOT NULL,
    at        BIGINT NOT NULL
);
CREATE TABLE postings (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    journal    BIGINT NOT NULL REFERENCES journals (id),
    account    TEXT   NOT NULL REFERENCES accounts (id),
    amount_fen BIGINT NOT NULL CHECK (amount_fen <> 0)
);
CREATE INDEX postings_by_account ON postings (account, amount_fen);
CREATE INDEX journals_by_reference ON journals (reference);
CREATE FUNCTION paycode_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% are append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE ON postings
    FOR EACH ROW EXECUTE FUNCTION paycode_append_only();
CREATE TRIGGER journals_append_only BEFORE UPDATE OR DELETE ON journals
    FOR EACH ROW EXECUTE FUNCTION paycode_append_only();
-- TRUNCATE skips row triggers; refuse it as well.
CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON postings
    FOR EACH STATEMENT EXECUTE FUNCTION paycode_append_only();
CREATE TRIGGER journals_no_truncate BEFORE TRUNCATE ON journals
    FOR EACH STATEMENT EXECUTE FUNCTION paycode_append_only();

CREATE TABLE payments (
    id            TEXT   PRIMARY KEY,
    seq           BIGINT GENERATED ALWAYS AS IDENTITY,
    merchant      TEXT   NOT NULL REFERENCES merchants (id),
    out_trade_no  TEXT   NOT NULL,
    fingerprint   TEXT,
    amount_fen    BIGINT CHECK (amount_fen > 0),
    currency      TEXT   NOT NULL,
    description   TEXT,
    status        TEXT   NOT NULL CHECK (status IN ('SUCCESS', 'USERPAYING', 'FAILED',
                      'CLOSED', 'REVERSED', 'REFUNDED', 'PARTIALLY_REFUNDED')),
    prefix        BIGINT,
    token         BIGINT,
    funding_index BIGINT,
    funding_kind  TEXT   CHECK (funding_kind IN ('balance', 'debit')),
    funding_label TEXT,
    error         TEXT,
    created       BIGINT NOT NULL,
    deadline      BIGINT,
    allowance_day BIGINT,
    UNIQUE (merchant, out_trade_no)
);
CREATE INDEX payments_waiting ON payments (deadline) WHERE status = 'USERPAYING';
CREATE INDEX payments_by_card ON payments (prefix, token, created);
CREATE TABLE refunds (
    id            TEXT   PRIMARY KEY,
    seq           BIGINT GENERATED ALWAYS AS IDENTITY,
    merchant      TEXT   NOT NULL REFERENCES merchants (id),
    out_refund_no TEXT   NOT NULL,
    payment       TEXT   NOT NULL REFERENCES payments (id),
    amount_fen    BIGINT NOT NULL CHECK (amount_fen > 0),
    created       BIGINT NOT NULL,
    UNIQUE (merchant, out_refund_no)
);
CREATE INDEX refunds_by_payment ON refunds (payment);
";

pub(super) const STEPS: [&str; 5] = [V1, V2, V3, V4, V5];

/// Version 5: one-time activation codes, kept as their SHA-256 only.
pub(super) const V5: &str = "
CREATE TABLE activations (
    code_hash   BYTEA  PRIMARY KEY CHECK (length(code_hash) = 32),
    prefix      BIGINT NOT NULL,
    token       BIGINT NOT NULL,
    created     BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    redeemed_at BIGINT,
    FOREIGN KEY (prefix, token) REFERENCES cards (prefix, token)
);
";

/// Version 2: `cards.secret` and `merchants.api_key` hold sealed keys
/// (crate::custody), no longer the keys themselves. No table changes; the
/// rows of an older database are sealed by [`super::seal`].
pub(super) const V2: &str = "-- keys sealed under the KEK";

/// The version from which keys are stored sealed.
pub(super) const KEYS_SEALED: i64 = 2;

/// Version 3: the key lifecycle and the audit trail, as SQLite's version
/// 4. A card row keeps its key's version and an optional expiry; `audit`
/// is append-only through the same trigger function as the ledger.
pub(super) const V3: &str = "
ALTER TABLE cards ADD COLUMN key_version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE cards ADD COLUMN expires BIGINT;

CREATE TABLE audit (
    seq      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       BIGINT NOT NULL,
    kind     TEXT   NOT NULL,
    prefix   BIGINT,
    token    BIGINT,
    merchant TEXT,
    address  TEXT,
    count    BIGINT NOT NULL DEFAULT 1 CHECK (count > 0),
    detail   TEXT   NOT NULL DEFAULT ''
);
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION paycode_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION paycode_append_only();
";

/// Version 4: the payer's order of the card's funding sources, a JSON
/// array of indices (store/funding_order.rs); NULL for index order.
pub(super) const V4: &str = "ALTER TABLE cards ADD COLUMN funding_order TEXT";

/// Made before any step runs; records which steps a database has.
pub(super) const LEDGER_OF_STEPS: &str = "
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    BIGINT PRIMARY KEY,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)";

/// Held while migrating, so that nodes starting together migrate once.
pub(super) const MIGRATION_LOCK: i64 = 0x7061_7963_6f64_6501; // "paycode\x01"
