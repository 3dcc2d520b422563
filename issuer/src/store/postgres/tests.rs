//! The store contract and PostgreSQL's own behaviour, on the test cluster
//! (`postgres-tests` feature, `PAYCODE_TEST_PG`; .ci/pg.sh).

use std::sync::{Arc, Barrier};

use super::*;
use crate::store::contract::{check_all, sample_card};
use crate::store::JournalKind;

fn fresh(label: &str) -> (String, PgStore) {
    let url = scratch::database(label);
    let store = PgStore::open(&url, crate::custody::test_vault()).unwrap();
    (url, store)
}

/// A plain client for statements the store never runs.
fn raw(url: &str, sql: &str) -> Result<u64, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(url, NoTls).await.unwrap();
        tokio::spawn(conn);
        client
            .execute(sql, &[])
            .await
            .map_err(|e| match e.as_db_error() {
                Some(db) => db.message().to_owned(),
                None => e.to_string(),
            })
    })
}

#[test]
fn passes_the_store_contract() {
    check_all(&mut || Box::new(fresh("contract").1));
}

#[test]
fn postings_refuse_update_delete_and_truncate() {
    let (url, mut store) = fresh("append_only");
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
        "TRUNCATE postings",
        "UPDATE journals SET reference = 'x'",
        "DELETE FROM journals",
    ] {
        let err = raw(&url, sql).unwrap_err();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
}

#[test]
fn the_audit_trail_refuses_update_delete_and_truncate() {
    use crate::store::{audit, AuditEvent, AuditKind};
    let (url, mut store) = fresh("audit_append_only");
    let mut tx = store.begin(TxMode::Write).unwrap();
    let card = sample_card(13, 5).key;
    audit::record(
        tx.as_mut(),
        &AuditEvent::card(1, AuditKind::CardCreated, card, "key version 1"),
    )
    .unwrap();
    tx.commit().unwrap();
    for sql in [
        "UPDATE audit SET detail = 'edited'",
        "DELETE FROM audit",
        "TRUNCATE audit",
    ] {
        let err = raw(&url, sql).unwrap_err();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    let mut tx = store.begin(TxMode::Read).unwrap();
    let kept = tx.audit_events(0, 10).unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].event.detail, "key version 1");
}

#[test]
fn migrations_run_once_and_a_newer_schema_is_refused() {
    let (url, store) = fresh("migrations");
    drop(store);
    // Opening again (another node starting) runs no step twice.
    PgStore::open(&url, crate::custody::test_vault()).unwrap();
    assert_eq!(
        raw(&url, "SELECT version FROM schema_migrations").unwrap(),
        SCHEMA_VERSION as u64
    );
    raw(&url, "INSERT INTO schema_migrations (version) VALUES (99)").unwrap();
    let err = PgStore::open(&url, crate::custody::test_vault()).unwrap_err();
    assert!(err.to_string().contains("version 99"), "{err}");
}

#[test]
fn nodes_starting_together_migrate_once() {
    let url = scratch::database("together");
    let start = Arc::new(Barrier::new(4));
    let opened: Vec<_> = (0..4)
        .map(|_| {
            let (url, start) = (url.clone(), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                PgStore::open(&url, crate::custody::test_vault()).map(drop)
            })
        })
        .collect();
    for t in opened {
        t.join().unwrap().unwrap();
    }
    // Each step once.
    assert_eq!(
        raw(&url, "SELECT 1 FROM schema_migrations").unwrap(),
        SCHEMA_VERSION as u64
    );
}

/// The read-check-write of a payment, on two connections at once: the
/// second writer's card read waits for the first's commit and then sees
/// its state, so only one of them can accept the step.
#[test]
fn a_card_read_for_writing_holds_other_writers_until_commit() {
    let (url, mut store) = fresh("card_lock");
    let card = sample_card(13, 42);
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_card(&card).unwrap();
    tx.commit().unwrap();

    let both = Arc::new(Barrier::new(2));
    let accepted: Vec<_> = (0..2)
        .map(|_| {
            let (url, both) = (url.clone(), Arc::clone(&both));
            std::thread::spawn(move || {
                let mut store = PgStore::open(&url, crate::custody::test_vault()).unwrap();
                both.wait();
                let mut tx = store.begin(TxMode::Write).unwrap();
                tx.card(card.key).unwrap().unwrap();
                let fresh = tx.state(card.key).unwrap().last_accepted.is_none();
                if fresh {
                    // Hold the lock a while: the other writer must wait.
                    std::thread::sleep(std::time::Duration::from_millis(200));
                    let state = CardState {
                        last_accepted: Some((7, 1)),
                    };
                    tx.set_state(card.key, &state).unwrap();
                }
                tx.commit().unwrap();
                fresh
            })
        })
        .collect();
    let fresh: Vec<bool> = accepted.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(fresh.iter().filter(|f| **f).count(), 1, "{fresh:?}");
}

#[test]
fn a_duplicate_leaves_the_transaction_usable() {
    let (_, mut store) = fresh("duplicate");
    let card = sample_card(13, 5);
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_card(&card).unwrap();
    assert_eq!(tx.insert_card(&card), Err(StoreError::Duplicate));
    assert!(tx.has_prefix(13).unwrap());
    tx.commit().unwrap();
}

#[test]
fn a_failed_statement_rolls_back_only_its_savepoint() {
    let (_, mut store) = fresh("savepoint_error");
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_card(&sample_card(13, 6)).unwrap();
    {
        let mut sp = tx.nested().unwrap();
        // A payment of an unknown merchant breaks a foreign key.
        let p = crate::store::contract::sample_payment("pay_x", "m_nobody", "T1");
        assert_eq!(sp.insert_payment(&p).unwrap_err().kind(), "database");
    }
    assert!(tx.card(sample_card(13, 6).key).unwrap().is_some());
    tx.commit().unwrap();
    let mut tx = store.begin(TxMode::Read).unwrap();
    assert!(tx.has_prefix(13).unwrap());
}

#[test]
fn debug_shows_no_url() {
    let (url, store) = fresh("debug");
    let shown = format!("{store:?}");
    assert!(
        !shown.contains(&url) && !shown.contains("127.0.0.1"),
        "{shown}"
    );
}

#[test]
fn a_pg_dump_holds_no_key() {
    let (url, mut store) = fresh("dump");
    let card = sample_card(13, 77);
    let merchant = crate::store::contract::sample_merchant("m_00000000000000aa");
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_card(&card).unwrap();
    tx.insert_merchant(&merchant).unwrap();
    tx.commit().unwrap();
    // Read back through the vault: the same keys.
    let mut tx = store.begin(TxMode::Read).unwrap();
    assert_eq!(tx.card(card.key).unwrap().unwrap().secret, card.secret);
    assert_eq!(
        tx.merchant_key(&merchant.id).unwrap().unwrap(),
        merchant.api_key
    );
    drop(tx);
    let bin = std::env::var("PAYCODE_TEST_PG_BIN").expect("set by .ci/pg.sh");
    let dump = std::process::Command::new(format!("{bin}/pg_dump"))
        .arg("--data-only")
        .arg(&url)
        .output()
        .expect("pg_dump runs");
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let text = dump.stdout;
    assert!(
        text.windows(10).any(|w| w == b"Demo Bank\t"),
        "the dump holds the cards table"
    );
    let contains = |needle: &[u8]| text.windows(needle.len()).any(|w| w == needle);
    for key in [card.secret.as_bytes(), merchant.api_key.as_bytes()] {
        // pg_dump writes bytea as \\x and hex.
        assert!(
            !contains(hex::encode(key).as_bytes()),
            "hex key in the dump"
        );
        assert!(!contains(key), "raw key in the dump");
    }
}

#[test]
fn reseal_moves_every_key_to_the_current_kek() {
    let url = scratch::database("reseal");
    crate::store::contract::reseal_follows_the_kek_file(&mut |vault| {
        Box::new(PgStore::open(&url, vault).unwrap())
    });
}

#[test]
fn a_queued_write_that_fails_fails_its_savepoint_and_only_that() {
    let (_, mut store) = fresh("queued_error");
    let card = sample_card(13, 7);
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_card(&card).unwrap();
    {
        let mut sp = tx.nested().unwrap();
        // No such card: the upsert breaks a foreign key once it is sent,
        // which is with the release.
        let state = CardState {
            last_accepted: Some((5, 1)),
        };
        sp.set_state(sample_card(13, 8).key, &state).unwrap();
        assert_eq!(sp.commit().unwrap_err().kind(), "database");
    }
    assert!(tx.card(card.key).unwrap().is_some());
    tx.commit().unwrap();
    let mut tx = store.begin(TxMode::Read).unwrap();
    assert!(tx.card(card.key).unwrap().is_some());
    assert_eq!(
        tx.state(sample_card(13, 8).key).unwrap(),
        CardState::default()
    );
}

#[test]
fn what_is_read_ahead_follows_own_writes_and_forgets_a_rolled_back_savepoint() {
    let (_, mut store) = fresh("read_ahead");
    let card = sample_card(13, 9);
    let key = card.key;
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_card(&card).unwrap();
    tx.commit().unwrap();

    let used = CardState {
        last_accepted: Some((5, 1)),
    };
    let failed = Lockout {
        failures: 3,
        locked_until: 0,
    };
    let mut tx = store.begin(TxMode::Write).unwrap();
    assert!(tx.card(key).unwrap().is_some());
    {
        let mut sp = tx.nested().unwrap();
        assert_eq!(sp.state(key).unwrap(), CardState::default());
        sp.set_state(key, &used).unwrap();
        sp.add_approval(key, 9).unwrap();
        assert_eq!(sp.state(key).unwrap(), used);
        assert_eq!(sp.approvals_on(key, 9).unwrap(), 1);
        sp.commit().unwrap();
    }
    {
        let mut sp = tx.nested().unwrap();
        sp.set_lockout(key, "m_1", &failed).unwrap();
        sp.add_approval(key, 9).unwrap();
        assert_eq!(sp.lockout(key, "m_1").unwrap(), failed);
        assert_eq!(sp.approvals_on(key, 9).unwrap(), 2);
        // Dropped: rolled back.
    }
    assert_eq!(tx.lockout(key, "m_1").unwrap(), Lockout::default());
    assert_eq!(tx.approvals_on(key, 9).unwrap(), 1);
    assert_eq!(tx.state(key).unwrap(), used);
    tx.commit().unwrap();

    let mut tx = store.begin(TxMode::Read).unwrap();
    assert_eq!(tx.state(key).unwrap(), used);
    assert_eq!(tx.approvals_on(key, 9).unwrap(), 1);
    assert_eq!(tx.lockout(key, "m_1").unwrap(), Lockout::default());
}

#[test]
fn a_card_read_in_write_mode_brings_its_committed_rows_along() {
    let (_, mut store) = fresh("read_ahead_rows");
    let card = sample_card(13, 10);
    let key = card.key;
    let used = CardState {
        last_accepted: Some((7, 2)),
    };
    let at = |failures, locked_until| Lockout {
        failures,
        locked_until,
    };
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_card(&card).unwrap();
    tx.set_state(key, &used).unwrap();
    tx.set_lockout(key, "m_1", &at(2, 0)).unwrap();
    tx.set_lockout(key, "m_2", &at(5, 900)).unwrap();
    tx.set_lockout(key, crate::payments::pin::PIN_LOCKOUT, &at(1, 0))
        .unwrap();
    tx.add_approval(key, 8).unwrap();
    tx.add_approval(key, 9).unwrap();
    tx.add_approval(key, 9).unwrap();
    tx.insert_journal(&Journal {
        kind: JournalKind::Topup,
        reference: "top_1".into(),
        at: 1,
        legs: vec![(Account::External, -4_200), (Account::Card(key), 4_200)],
    })
    .unwrap();
    tx.commit().unwrap();

    // Answered from the read that came with the card's lock.
    let mut tx = store.begin(TxMode::Write).unwrap();
    assert!(tx.card(key).unwrap().is_some());
    assert_eq!(tx.state(key).unwrap(), used);
    assert_eq!(tx.balance(&Account::Card(key)).unwrap(), 4_200);
    assert_eq!(tx.lockout(key, "m_1").unwrap(), at(2, 0));
    assert_eq!(tx.lockout(key, "m_2").unwrap(), at(5, 900));
    assert_eq!(tx.lockout(key, "m_3").unwrap(), Lockout::default());
    assert_eq!(tx.approvals_on(key, 9).unwrap(), 2);
    assert_eq!(tx.approvals_on(key, 10).unwrap(), 0);
    // Not read ahead: read fresh.
    assert_eq!(tx.approvals_on(key, 8).unwrap(), 1);
    assert_eq!(
        tx.lockout(key, crate::payments::pin::PIN_LOCKOUT).unwrap(),
        at(1, 0)
    );
}

#[test]
fn a_payment_written_is_looked_up_as_written_and_forgotten_with_its_savepoint() {
    let (_, mut store) = fresh("written_payment");
    let merchant = crate::store::contract::sample_merchant("m_00000000000000ab");
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_merchant(&merchant).unwrap();
    tx.commit().unwrap();
    let kept = crate::store::contract::sample_payment("pay_k", &merchant.id, "K");
    let gone = crate::store::contract::sample_payment("pay_g", &merchant.id, "G");

    let mut tx = store.begin(TxMode::Write).unwrap();
    {
        let mut sp = tx.nested().unwrap();
        sp.insert_payment(&kept).unwrap();
        sp.commit().unwrap();
    }
    assert_eq!(tx.payment(&merchant.id, "K").unwrap(), Some(kept.clone()));
    let mut closed = kept.clone();
    closed.status = PaymentStatus::Closed;
    tx.update_payment(&closed).unwrap();
    assert_eq!(tx.payment(&merchant.id, "K").unwrap(), Some(closed.clone()));
    {
        let mut sp = tx.nested().unwrap();
        sp.insert_payment(&gone).unwrap();
        assert_eq!(sp.payment(&merchant.id, "G").unwrap(), Some(gone.clone()));
        // Dropped: rolled back.
    }
    assert_eq!(tx.payment(&merchant.id, "G").unwrap(), None);
    assert_eq!(tx.payment(&merchant.id, "K").unwrap(), Some(closed.clone()));
    tx.commit().unwrap();

    let mut tx = store.begin(TxMode::Read).unwrap();
    assert_eq!(tx.payment(&merchant.id, "K").unwrap(), Some(closed));
    assert_eq!(tx.payment(&merchant.id, "G").unwrap(), None);
}

#[test]
fn a_queued_payment_insert_that_clashes_fails_its_savepoint_as_a_duplicate() {
    let (_, mut store) = fresh("queued_payment");
    let merchant = crate::store::contract::sample_merchant("m_00000000000000ac");
    let first = crate::store::contract::sample_payment("pay_same", &merchant.id, "A");
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_merchant(&merchant).unwrap();
    tx.insert_payment(&first).unwrap();
    tx.commit().unwrap();

    // A free number, looked up first (so the insert is queued), but an id
    // that is taken: the clash shows at the savepoint's commit.
    let clash = crate::store::contract::sample_payment("pay_same", &merchant.id, "B");
    let mut tx = store.begin(TxMode::Write).unwrap();
    {
        let mut sp = tx.nested().unwrap();
        assert_eq!(sp.payment(&merchant.id, "B").unwrap(), None);
        sp.insert_payment(&clash).unwrap();
        assert_eq!(sp.commit(), Err(StoreError::Duplicate));
    }
    assert_eq!(tx.payment(&merchant.id, "B").unwrap(), None);
    let later = crate::store::contract::sample_payment("pay_new", &merchant.id, "B");
    tx.insert_payment(&later).unwrap();
    tx.commit().unwrap();

    let mut tx = store.begin(TxMode::Read).unwrap();
    assert_eq!(tx.payment(&merchant.id, "B").unwrap(), Some(later));
    assert_eq!(tx.payment(&merchant.id, "A").unwrap(), Some(first));
}
