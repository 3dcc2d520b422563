use super::*;
use crate::store::contract::{check_all, sample_card};
use crate::store::JournalKind;

#[test]
fn passes_the_store_contract_in_memory() {
    check_all(&mut || Box::new(SqliteStore::open_in_memory().unwrap()));
}

#[test]
fn passes_the_store_contract_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    check_all(&mut || {
        n += 1;
        Box::new(
            SqliteStore::open(
                dir.path().join(format!("{n}.db")),
                crate::custody::test_vault(),
            )
            .unwrap(),
        )
    });
}

#[test]
fn state_survives_reopening_and_uses_wal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("issuer.db");
    let card = sample_card(13, 99);
    {
        let mut store = SqliteStore::open(&path, crate::custody::test_vault()).unwrap();
        let mut tx = store.begin(TxMode::Write).unwrap();
        tx.insert_card(&card).unwrap();
        tx.add_approval(card.key, 3).unwrap();
        tx.commit().unwrap();
        let mode: String = store
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
    let mut store = SqliteStore::open(&path, crate::custody::test_vault()).unwrap();
    let mut tx = store.begin(TxMode::Read).unwrap();
    assert_eq!(tx.card(card.key).unwrap(), Some(card.clone()));
    assert_eq!(tx.approvals_on(card.key, 3).unwrap(), 1);
}

#[test]
fn postings_refuse_update_and_delete() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_journal(&Journal {
        kind: JournalKind::Topup,
        reference: "top_1".into(),
        at: 1,
        legs: vec![(Account::External, -5), (Account::Merchant("m".into()), 5)],
    })
    .unwrap();
    tx.commit().unwrap();
    for sql in [
        "UPDATE postings SET amount_fen = 6",
        "DELETE FROM postings",
        "UPDATE journals SET reference = 'x'",
        "DELETE FROM journals",
    ] {
        let err = store.conn.execute(sql, []).unwrap_err().to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
}

/// A file as version 1 left it: a card with funding text and a lockout,
/// an allowance row and a charge.
fn write_v1_file(path: &std::path::Path) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(schema::V1).unwrap();
    // The server of version 1 kept PIN hashes in a table of its own.
    conn.execute_batch(
        "CREATE TABLE card_pins (prefix INTEGER NOT NULL, token INTEGER NOT NULL,
             salt BLOB NOT NULL, hash BLOB NOT NULL, rounds INTEGER NOT NULL,
             PRIMARY KEY (prefix, token));
         INSERT INTO card_pins VALUES (13, 77, x'01', x'02', 1000);",
    )
    .unwrap();
    conn.execute_batch(
        "INSERT INTO cards VALUES (13, 77, 18, 'Old Bank', x'0101010101010101010101010101010101010101010101010101010101010101', 60, '[\"balance\",\"debit:ICBC:1234\"]', 1764100000);
         INSERT INTO card_state VALUES (13, 77, 29401666, 3, 4, 1764200000);
         INSERT INTO allowance VALUES (13, 77, 20417, 2);
         INSERT INTO charges VALUES ('ch_old', 13, 77, '131234567890123456', 1250, 'approved', 0, 'Corner Shop', 1764100100);
         PRAGMA user_version = 1;",
    )
    .unwrap();
}

#[test]
fn a_version_1_file_is_migrated_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    write_v1_file(&path);
    let mut store = SqliteStore::open(&path, crate::custody::test_vault()).unwrap();
    let version: i64 = store
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let key = CardKey {
        prefix: 13,
        token: 77,
    };
    let mut tx = store.begin(TxMode::Write).unwrap();
    let card = tx.card(key).unwrap().unwrap();
    assert_eq!(card.funding.len(), 2);
    assert_eq!(card.funding[1].to_link_value(), "debit:ICBC:1234");
    assert!(!card.fall_through && !card.revoked);
    assert_eq!(tx.state(key).unwrap().last_accepted, Some((29_401_666, 3)));
    // The card-wide lockout of version 1 becomes the no-merchant one.
    let old = tx.lockout(key, crate::store::NO_MERCHANT).unwrap();
    assert_eq!((old.failures, old.locked_until), (4, 1_764_200_000));
    assert_eq!(tx.lockout(key, "m_any").unwrap(), Lockout::default());
    assert_eq!(tx.approvals_on(key, 20_417).unwrap(), 2);
    assert_eq!(tx.charge("ch_old").unwrap().unwrap().amount.as_fen(), 1250);
    assert_eq!(tx.pin(key).unwrap().unwrap().rounds, 1000);
    // The new tables work.
    assert_eq!(tx.balance(&Account::Card(key)).unwrap(), 0);
    assert!(tx.remember_nonce("m_1", "nonce-0123456789ab", 10).unwrap());
    tx.commit().unwrap();
    drop(store);
    // Opening again runs no step twice.
    SqliteStore::open(&path, crate::custody::test_vault()).unwrap();
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    let err = SqliteStore::open(&path, crate::custody::test_vault()).unwrap_err();
    assert!(err.to_string().contains("version 99"), "{err}");
}

#[test]
fn debug_shows_no_secret() {
    let store = SqliteStore::open_in_memory().unwrap();
    let shown = format!("{store:?}");
    assert!(shown.starts_with("SqliteStore"), "{shown}");
    let card = sample_card(13, 1);
    let shown = format!("{card:?}");
    assert!(shown.contains("redacted"), "{shown}");
    assert!(!shown.contains("13, 13"), "{shown}");
}

#[test]
fn unreadable_file_is_a_database_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-a-db");
    std::fs::write(&path, vec![0x55u8; 8192]).unwrap();
    let err = SqliteStore::open(&path, crate::custody::test_vault()).unwrap_err();
    assert_eq!(err.kind(), "database");
}

#[test]
fn reseal_moves_every_key_to_the_current_kek() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    crate::store::contract::reseal_follows_the_kek_file(&mut |vault| {
        Box::new(SqliteStore::open(&db, vault).unwrap())
    });
}
