//! Behaviour every [`Store`] must show, run against each implementation.

use super::*;

pub(crate) fn sample_card(prefix: u8, token: u32) -> CardRecord {
    CardRecord {
        key: CardKey { prefix, token },
        length: 18,
        issuer: "Demo Bank".into(),
        secret: SecretKey::from_slice(&[prefix; 32]),
        period: 60,
        funding: vec!["balance".into(), "debit:ICBC:1234".into()],
        created: 1_764_100_000,
    }
}

fn sample_charge(id: &str, card: CardKey) -> ChargeRecord {
    ChargeRecord {
        id: id.into(),
        card,
        code: "131234567890123456".into(),
        amount: Fen::from_yuan(12, 50),
        status: ChargeStatus::PinRequired,
        funding: 1,
        merchant: Some("Corner Shop".into()),
        at: 1_764_100_100,
    }
}

pub(crate) fn check_all(make: &mut dyn FnMut() -> Box<dyn Store>) {
    cards_round_trip(make().as_mut());
    state_and_approvals_round_trip(make().as_mut());
    charges_round_trip(make().as_mut());
    uncommitted_writes_roll_back(make().as_mut());
}

fn cards_round_trip(store: &mut dyn Store) {
    let card = sample_card(13, 482_913);
    let mut tx = store.begin(TxMode::Write).unwrap();
    assert!(!tx.has_prefix(13).unwrap());
    tx.insert_card(&card).unwrap();
    assert_eq!(tx.insert_card(&card), Err(StoreError::Duplicate));
    tx.commit().unwrap();

    let mut tx = store.begin(TxMode::Read).unwrap();
    assert!(tx.has_prefix(13).unwrap());
    assert!(!tx.has_prefix(14).unwrap());
    assert_eq!(tx.card(card.key).unwrap(), Some(card.clone()));
    let other = CardKey {
        prefix: 14,
        token: 482_913,
    };
    assert_eq!(tx.card(other).unwrap(), None);
}

fn state_and_approvals_round_trip(store: &mut dyn Store) {
    let key = CardKey {
        prefix: 13,
        token: 7,
    };
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_card(&sample_card(13, 7)).unwrap();
    assert_eq!(tx.state(key).unwrap(), CardState::default());
    let state = CardState {
        last_accepted: Some((29_401_666, 3)),
        failures: FailureState {
            failures: 2,
            locked_until: u64::MAX,
        },
    };
    tx.set_state(key, &state).unwrap();
    assert_eq!(tx.approvals_on(key, 20_000).unwrap(), 0);
    tx.add_approval(key, 20_000).unwrap();
    tx.add_approval(key, 20_000).unwrap();
    tx.add_approval(key, 20_001).unwrap();
    tx.commit().unwrap();

    let mut tx = store.begin(TxMode::Read).unwrap();
    let back = tx.state(key).unwrap();
    assert_eq!(back.last_accepted, state.last_accepted);
    assert_eq!(back.failures.failures, 2);
    // Times past i64::MAX are stored clamped; still locked "forever".
    assert!(back.failures.locked_until >= i64::MAX as u64);
    assert_eq!(tx.approvals_on(key, 20_000).unwrap(), 2);
    assert_eq!(tx.approvals_on(key, 20_001).unwrap(), 1);
    assert_eq!(tx.approvals_on(key, 19_999).unwrap(), 0);
}

fn charges_round_trip(store: &mut dyn Store) {
    let card = sample_card(13, 9);
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_card(&card).unwrap();
    let charge = sample_charge("ch_1", card.key);
    tx.insert_charge(&charge).unwrap();
    assert_eq!(tx.insert_charge(&charge), Err(StoreError::Duplicate));
    let mut without_merchant = sample_charge("ch_2", card.key);
    without_merchant.merchant = None;
    tx.insert_charge(&without_merchant).unwrap();
    tx.commit().unwrap();

    let mut tx = store.begin(TxMode::Write).unwrap();
    assert_eq!(tx.charge("ch_1").unwrap(), Some(charge.clone()));
    assert_eq!(tx.charge("ch_2").unwrap(), Some(without_merchant));
    assert_eq!(tx.charge("nope").unwrap(), None);
    tx.set_charge_status("ch_1", ChargeStatus::PinApproved)
        .unwrap();
    tx.commit().unwrap();
    let mut tx = store.begin(TxMode::Read).unwrap();
    let back = tx.charge("ch_1").unwrap().unwrap();
    assert_eq!(back.status, ChargeStatus::PinApproved);
}

fn uncommitted_writes_roll_back(store: &mut dyn Store) {
    let card = sample_card(12, 1);
    let key = card.key;
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_card(&card).unwrap();
    tx.add_approval(key, 5).unwrap();
    tx.insert_charge(&sample_charge("ch_keep", key)).unwrap();
    tx.commit().unwrap();

    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_card(&sample_card(12, 2)).unwrap();
    tx.insert_card(&sample_card(11, 2)).unwrap();
    assert!(tx.has_prefix(11).unwrap());
    tx.set_state(
        key,
        &CardState {
            last_accepted: Some((1, 1)),
            ..CardState::default()
        },
    )
    .unwrap();
    tx.add_approval(key, 5).unwrap();
    tx.add_approval(key, 6).unwrap();
    tx.insert_charge(&sample_charge("ch_gone", key)).unwrap();
    tx.set_charge_status("ch_keep", ChargeStatus::Approved)
        .unwrap();
    // Reads inside the transaction see its writes.
    assert_eq!(tx.approvals_on(key, 5).unwrap(), 2);
    drop(tx);

    let mut tx = store.begin(TxMode::Read).unwrap();
    assert!(!tx.has_prefix(11).unwrap());
    assert!(tx.has_prefix(12).unwrap());
    assert_eq!(
        tx.card(CardKey {
            prefix: 12,
            token: 2
        })
        .unwrap(),
        None
    );
    assert_eq!(tx.state(key).unwrap(), CardState::default());
    assert_eq!(tx.approvals_on(key, 5).unwrap(), 1);
    assert_eq!(tx.approvals_on(key, 6).unwrap(), 0);
    assert_eq!(tx.charge("ch_gone").unwrap(), None);
    assert_eq!(
        tx.charge("ch_keep").unwrap().unwrap().status,
        ChargeStatus::PinRequired
    );
}
