//! Behaviour every [`Store`] must show, run against each implementation.

use paycode_wallet::core::funding::Funding;

use super::*;
use crate::payments::{ErrorCode, FundingKind, PaymentFunding, PaymentStatus};

pub(crate) fn sample_card(prefix: u8, token: u32) -> CardRecord {
    CardRecord {
        key: CardKey { prefix, token },
        length: 18,
        issuer: "Demo Bank".into(),
        secret: SecretKey::from_slice(&[prefix; 32]),
        period: 60,
        funding: vec![Funding::Balance, Funding::parse("debit:ICBC:1234").unwrap()],
        created: 1_764_100_000,
        fall_through: false,
        revoked: false,
        key_version: crate::custody::KEY_VERSION,
        expires: None,
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
    lockouts_are_per_merchant(make().as_mut());
    merchants_and_nonces(make().as_mut());
    journals_and_balances(make().as_mut());
    payments_and_refunds(make().as_mut());
    savepoints_roll_back_alone(make().as_mut());
    pins_revocation_and_history(make().as_mut());
    keys_are_replaced_in_place(make().as_mut());
    the_audit_trail_keeps_order_and_rolls_back(make().as_mut());
    funding_orders_round_trip(make().as_mut());
    activations_redeem_once(make().as_mut());
}

fn keys_are_replaced_in_place(store: &mut dyn Store) {
    let mut card = sample_card(13, 31);
    card.expires = Some(1_764_200_000);
    card.revoked = true;
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_card(&card).unwrap();
    tx.commit().unwrap();
    let mut tx = store.begin(TxMode::Read).unwrap();
    assert_eq!(tx.card(card.key).unwrap(), Some(card.clone()));
    drop(tx);

    let new_key = SecretKey::from_slice(&[0x77; 32]);
    // Uncommitted: the old key stays.
    let mut tx = store.begin(TxMode::Write).unwrap();
    assert_eq!(
        tx.replace_card_key(card.key, &new_key, None).unwrap(),
        Some(card.key_version + 1)
    );
    drop(tx);
    let mut tx = store.begin(TxMode::Read).unwrap();
    assert_eq!(tx.card(card.key).unwrap(), Some(card.clone()));
    drop(tx);

    let mut tx = store.begin(TxMode::Write).unwrap();
    // Read first, as a payment would, then replaced: the same
    // transaction sees the new key.
    assert_eq!(tx.card(card.key).unwrap().unwrap().secret, card.secret);
    assert_eq!(
        tx.replace_card_key(card.key, &new_key, Some(1_764_300_000))
            .unwrap(),
        Some(card.key_version + 1)
    );
    let seen = tx.card(card.key).unwrap().unwrap();
    assert_eq!(seen.secret, new_key);
    let missing = sample_card(13, 32).key;
    assert_eq!(tx.replace_card_key(missing, &new_key, None).unwrap(), None);
    tx.commit().unwrap();
    let mut tx = store.begin(TxMode::Read).unwrap();
    let now = tx.card(card.key).unwrap().unwrap();
    assert_eq!(now.secret, new_key);
    assert_eq!(now.key_version, card.key_version + 1);
    assert_eq!(now.expires, Some(1_764_300_000));
    assert!(!now.revoked, "a re-provisioned card is live again");
    assert!(now.is_expired(1_764_300_000) && !now.is_expired(1_764_299_999));
}

fn the_audit_trail_keeps_order_and_rolls_back(store: &mut dyn Store) {
    let card = CardKey {
        prefix: 13,
        token: 41,
    };
    let first = AuditEvent::card(100, AuditKind::CardCreated, card, "key version 1");
    let mut counted = AuditEvent::card(101, AuditKind::Unauthorized, card, "").with_merchant("m_1");
    counted.card = None;
    counted.address = Some("192.0.2.7".into());
    counted.count = 17;
    let mut tx = store.begin(TxMode::Write).unwrap();
    audit::record(tx.as_mut(), &first).unwrap();
    audit::record(tx.as_mut(), &counted).unwrap();
    tx.commit().unwrap();
    let mut tx = store.begin(TxMode::Write).unwrap();
    audit::record(
        tx.as_mut(),
        &AuditEvent::card(102, AuditKind::CardRevoked, card, "rolled back"),
    )
    .unwrap();
    drop(tx);
    let mut tx = store.begin(TxMode::Write).unwrap();
    let third = AuditEvent::card(103, AuditKind::CardRevoked, card, "x".repeat(500));
    audit::record(tx.as_mut(), &third).unwrap();
    tx.commit().unwrap();

    let mut tx = store.begin(TxMode::Read).unwrap();
    let all = tx.audit_events(0, 100).unwrap();
    let events: Vec<&AuditEvent> = all.iter().map(|r| &r.event).collect();
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(events[0], &first);
    assert_eq!(events[1], &counted);
    assert_eq!(events[2].kind, AuditKind::CardRevoked);
    assert_eq!(events[2].detail.len(), audit::MAX_DETAIL);
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    let after = tx.audit_events(all[0].seq, 1).unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0], all[1]);
}

fn activations_redeem_once(store: &mut dyn Store) {
    let card = sample_card(13, 55);
    let a = ActivationRecord {
        code_hash: [7; 32],
        card: card.key,
        created: 1_764_100_000,
        expires_at: 1_764_100_600,
        redeemed_at: None,
    };
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_card(&card).unwrap();
    tx.insert_activation(&a).unwrap();
    assert_eq!(tx.insert_activation(&a), Err(StoreError::Duplicate));
    tx.commit().unwrap();

    let mut tx = store.begin(TxMode::Write).unwrap();
    assert_eq!(tx.activation(&a.code_hash).unwrap(), Some(a.clone()));
    assert_eq!(tx.activation(&[8; 32]).unwrap(), None);
    {
        // A savepoint's redemption vanishes with it.
        let mut sp = tx.nested().unwrap();
        assert!(sp.redeem_activation(&a.code_hash, 1_764_100_001).unwrap());
    }
    assert!(tx.redeem_activation(&a.code_hash, 1_764_100_002).unwrap());
    assert!(!tx.redeem_activation(&a.code_hash, 1_764_100_003).unwrap());
    assert!(!tx.redeem_activation(&[8; 32], 1_764_100_003).unwrap());
    tx.commit().unwrap();
    let mut tx = store.begin(TxMode::Read).unwrap();
    let back = tx.activation(&a.code_hash).unwrap().unwrap();
    assert_eq!(back.redeemed_at, Some(1_764_100_002));
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
    };
    tx.set_state(key, &state).unwrap();
    let lock = Lockout {
        failures: 2,
        locked_until: u64::MAX,
    };
    tx.set_lockout(key, NO_MERCHANT, &lock).unwrap();
    assert_eq!(tx.approvals_on(key, 20_000).unwrap(), 0);
    tx.add_approval(key, 20_000).unwrap();
    tx.add_approval(key, 20_000).unwrap();
    tx.add_approval(key, 20_001).unwrap();
    tx.commit().unwrap();

    let mut tx = store.begin(TxMode::Read).unwrap();
    let back = tx.state(key).unwrap();
    assert_eq!(back.last_accepted, state.last_accepted);
    let back = tx.lockout(key, NO_MERCHANT).unwrap();
    assert_eq!(back.failures, 2);
    // Times past i64::MAX are stored clamped; still locked "forever".
    assert!(back.locked_until >= i64::MAX as u64);
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

fn lockouts_are_per_merchant(store: &mut dyn Store) {
    let key = sample_card(13, 5).key;
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_card(&sample_card(13, 5)).unwrap();
    let locked = Lockout {
        failures: 0,
        locked_until: 2_000,
    };
    tx.set_lockout(key, "m_b", &locked).unwrap();
    tx.commit().unwrap();
    let mut tx = store.begin(TxMode::Read).unwrap();
    assert_eq!(tx.lockout(key, "m_b").unwrap(), locked);
    assert_eq!(tx.lockout(key, "m_a").unwrap(), Lockout::default());
    assert_eq!(tx.lockout(key, NO_MERCHANT).unwrap(), Lockout::default());
}

pub(crate) fn sample_merchant(id: &str) -> MerchantRecord {
    MerchantRecord {
        id: id.into(),
        name: "Corner Shop".into(),
        api_key: SecretKey::from_slice(&[7; 32]),
        created: 1_764_100_000,
    }
}

fn merchants_and_nonces(store: &mut dyn Store) {
    let m = sample_merchant("m_0123456789abcdef");
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_merchant(&m).unwrap();
    assert_eq!(tx.insert_merchant(&m), Err(StoreError::Duplicate));
    assert!(tx.remember_nonce(&m.id, "n-0123456789abcdef", 100).unwrap());
    assert!(!tx.remember_nonce(&m.id, "n-0123456789abcdef", 200).unwrap());
    // Nonces are per merchant.
    assert!(tx
        .remember_nonce("m_other", "n-0123456789abcdef", 100)
        .unwrap());
    assert!(tx.remember_nonce(&m.id, "n-later", 300).unwrap());
    tx.commit().unwrap();

    let mut tx = store.begin(TxMode::Write).unwrap();
    let back = tx.merchant(&m.id).unwrap().unwrap();
    assert_eq!(back, m);
    assert_eq!(back.api_key.as_bytes(), &[7; 32]);
    assert_eq!(tx.merchant("m_nobody").unwrap(), None);
    assert_eq!(tx.merchant_key(&m.id).unwrap(), Some(m.api_key.clone()));
    assert_eq!(tx.merchant_key("m_nobody").unwrap(), None);
    assert_eq!(tx.prune_nonces(100).unwrap(), 2);
    assert!(tx.remember_nonce(&m.id, "n-0123456789abcdef", 400).unwrap());
    assert!(!tx.remember_nonce(&m.id, "n-later", 400).unwrap());
}

fn journals_and_balances(store: &mut dyn Store) {
    let card = Account::Card(CardKey {
        prefix: 13,
        token: 1,
    });
    let shop = Account::Merchant("m_1".into());
    let mut tx = store.begin(TxMode::Write).unwrap();
    assert_eq!(tx.balance(&card).unwrap(), 0);
    let top = tx
        .insert_journal(&Journal {
            kind: JournalKind::Topup,
            reference: "top_1".into(),
            at: 10,
            legs: vec![(Account::External, -1000), (card.clone(), 1000)],
        })
        .unwrap();
    let pay = tx
        .insert_journal(&Journal {
            kind: JournalKind::Payment,
            reference: "pay_1".into(),
            at: 11,
            legs: vec![(card.clone(), -250), (shop.clone(), 250)],
        })
        .unwrap();
    assert_ne!(top, pay);
    tx.commit().unwrap();
    let mut tx = store.begin(TxMode::Read).unwrap();
    assert_eq!(tx.balance(&card).unwrap(), 750);
    assert_eq!(tx.balance(&shop).unwrap(), 250);
    assert_eq!(tx.balance(&Account::External).unwrap(), -1000);
    let all = tx.postings().unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(all[2].journal, pay);
    assert_eq!(all[2].kind, JournalKind::Payment);
    assert_eq!(all[2].reference, "pay_1");
    assert_eq!((all[2].account.clone(), all[2].amount), (card, -250));
}

pub(crate) fn sample_payment(id: &str, merchant: &str, out_trade_no: &str) -> PaymentRecord {
    PaymentRecord {
        id: id.into(),
        merchant: merchant.into(),
        out_trade_no: out_trade_no.into(),
        fingerprint: Some("ab".repeat(32)),
        amount: Some(Fen::from_yuan(12, 50)),
        currency: "CNY".into(),
        description: Some("tea".into()),
        status: PaymentStatus::Userpaying,
        card: Some(CardKey {
            prefix: 13,
            token: 3,
        }),
        funding: Some(PaymentFunding {
            index: 1,
            kind: FundingKind::Debit,
            label: "ICBC ••1234".into(),
        }),
        error: None,
        created: 1_000,
        deadline: Some(1_060),
        allowance_day: None,
    }
}

fn payments_and_refunds(store: &mut dyn Store) {
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_card(&sample_card(13, 3)).unwrap();
    tx.insert_merchant(&sample_merchant("m_a")).unwrap();
    tx.insert_merchant(&sample_merchant("m_b")).unwrap();
    let p = sample_payment("pay_1", "m_a", "T1");
    tx.insert_payment(&p).unwrap();
    // (merchant, out_trade_no) is unique; another merchant may reuse it.
    let again = sample_payment("pay_2", "m_a", "T1");
    assert_eq!(tx.insert_payment(&again), Err(StoreError::Duplicate));
    assert_eq!(
        tx.insert_payment(&sample_payment("pay_1", "m_b", "T9")),
        Err(StoreError::Duplicate)
    );
    let mut bare = sample_payment("pay_3", "m_b", "T1");
    bare.fingerprint = None;
    bare.amount = None;
    bare.description = None;
    bare.card = None;
    bare.funding = None;
    bare.deadline = None;
    bare.status = PaymentStatus::Closed;
    tx.insert_payment(&bare).unwrap();
    tx.commit().unwrap();

    let mut tx = store.begin(TxMode::Write).unwrap();
    assert_eq!(tx.payment("m_a", "T1").unwrap(), Some(p.clone()));
    assert_eq!(tx.payment("m_b", "T1").unwrap(), Some(bare.clone()));
    assert_eq!(tx.payment("m_a", "T2").unwrap(), None);
    assert_eq!(tx.payment_by_id("pay_1").unwrap(), Some(p.clone()));
    assert_eq!(tx.payments_due(1_059).unwrap(), vec![]);
    assert_eq!(tx.payments_due(1_060).unwrap(), vec![p.clone()]);
    let mut done = p.clone();
    done.status = PaymentStatus::Failed;
    done.error = Some(ErrorCode::InsufficientFunds);
    done.allowance_day = Some(20_000);
    // Only the changing fields are written.
    let mut with_other_amount = done.clone();
    with_other_amount.amount = Some(Fen::from_yuan(1, 0));
    tx.update_payment(&with_other_amount).unwrap();
    assert_eq!(tx.payment_by_id("pay_1").unwrap(), Some(done.clone()));
    assert_eq!(tx.payments_due(5_000).unwrap(), vec![]);
    assert_eq!(tx.payments().unwrap().len(), 2);
    let card = CardKey {
        prefix: 13,
        token: 3,
    };
    let mut later = sample_payment("pay_4", "m_b", "T4");
    later.created = 2_000;
    tx.insert_payment(&later).unwrap();
    let ids = |v: Vec<PaymentRecord>| v.into_iter().map(|p| p.id).collect::<Vec<_>>();
    // Newest first, only this card's, at most `limit`; the bare one names no card.
    assert_eq!(ids(tx.payments_of(card, 10).unwrap()), ["pay_4", "pay_1"]);
    assert_eq!(ids(tx.payments_of(card, 1).unwrap()), ["pay_4"]);
    let other = CardKey {
        prefix: 13,
        token: 4,
    };
    assert!(tx.payments_of(other, 10).unwrap().is_empty());

    let refund = RefundRecord {
        id: "ref_1".into(),
        merchant: "m_a".into(),
        out_refund_no: "R1".into(),
        payment_id: "pay_1".into(),
        amount: Fen::from_yuan(2, 0),
        created: 1_100,
    };
    tx.insert_refund(&refund).unwrap();
    let mut same_no = refund.clone();
    same_no.id = "ref_2".into();
    assert_eq!(tx.insert_refund(&same_no), Err(StoreError::Duplicate));
    let mut second = refund.clone();
    second.id = "ref_3".into();
    second.out_refund_no = "R2".into();
    tx.insert_refund(&second).unwrap();
    tx.commit().unwrap();
    let mut tx = store.begin(TxMode::Read).unwrap();
    assert_eq!(tx.refund("m_a", "R1").unwrap(), Some(refund.clone()));
    assert_eq!(tx.refund("m_b", "R1").unwrap(), None);
    assert_eq!(tx.refunds_of("pay_1").unwrap(), vec![refund, second]);
    assert_eq!(tx.refunds_of("pay_3").unwrap(), vec![]);
    assert_eq!(tx.refunds().unwrap().len(), 2);
}

fn savepoints_roll_back_alone(store: &mut dyn Store) {
    let shop = Account::Merchant("m_sp".into());
    let leg = |n: i64, r: &str| Journal {
        kind: JournalKind::Topup,
        reference: r.into(),
        at: 1,
        legs: vec![(Account::External, -n), (shop.clone(), n)],
    };
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_merchant(&sample_merchant("m_sp")).unwrap();
    tx.insert_journal(&leg(1, "outer")).unwrap();
    {
        let mut kept = tx.nested().unwrap();
        kept.insert_journal(&leg(10, "kept")).unwrap();
        kept.insert_payment(&sample_payment("pay_k", "m_sp", "K"))
            .unwrap();
        {
            let mut inner = kept.nested().unwrap();
            inner.insert_journal(&leg(1000, "inner")).unwrap();
            inner.commit().unwrap();
        }
        kept.commit().unwrap();
    }
    {
        let mut dropped = tx.nested().unwrap();
        dropped.insert_journal(&leg(100, "dropped")).unwrap();
        dropped
            .insert_payment(&sample_payment("pay_d", "m_sp", "D"))
            .unwrap();
        assert_eq!(dropped.balance(&shop).unwrap(), 1111);
    }
    assert_eq!(tx.balance(&shop).unwrap(), 1011);
    assert!(tx.payment("m_sp", "D").unwrap().is_none());
    // A savepoint dropped after one was released rolls back only itself.
    {
        let mut again = tx.nested().unwrap();
        again.insert_journal(&leg(100, "dropped2")).unwrap();
    }
    tx.commit().unwrap();
    let mut tx = store.begin(TxMode::Read).unwrap();
    assert_eq!(tx.balance(&shop).unwrap(), 1011);
    assert!(tx.payment("m_sp", "K").unwrap().is_some());
    let refs: Vec<String> = tx
        .postings()
        .unwrap()
        .into_iter()
        .filter(|p| p.account == shop)
        .map(|p| p.reference)
        .collect();
    assert_eq!(refs, ["outer", "kept", "inner"]);
    drop(tx);

    // A savepoint committed inside a transaction that rolls back is gone.
    let mut tx = store.begin(TxMode::Write).unwrap();
    {
        let mut sp = tx.nested().unwrap();
        sp.insert_journal(&leg(5, "lost")).unwrap();
        sp.commit().unwrap();
    }
    drop(tx);
    let mut tx = store.begin(TxMode::Read).unwrap();
    assert_eq!(tx.balance(&shop).unwrap(), 1011);
}

fn funding_orders_round_trip(store: &mut dyn Store) {
    let card = sample_card(13, 61);
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_card(&card).unwrap();
    assert_eq!(tx.funding_order(card.key).unwrap(), None);
    let missing = CardKey {
        prefix: 13,
        token: 62,
    };
    assert!(!tx.set_funding_order(missing, &[1, 0]).unwrap());
    assert_eq!(tx.funding_order(missing).unwrap(), None);
    assert!(tx.set_funding_order(card.key, &[1, 0]).unwrap());
    assert_eq!(tx.funding_order(card.key).unwrap(), Some(vec![1, 0]));
    tx.commit().unwrap();

    // A savepoint's change vanishes alone; the committed order stays.
    let mut tx = store.begin(TxMode::Write).unwrap();
    {
        let mut inner = tx.nested().unwrap();
        assert!(inner.set_funding_order(card.key, &[0, 1]).unwrap());
        assert_eq!(inner.funding_order(card.key).unwrap(), Some(vec![0, 1]));
    }
    assert_eq!(tx.funding_order(card.key).unwrap(), Some(vec![1, 0]));
    drop(tx);

    let mut tx = store.begin(TxMode::Read).unwrap();
    assert_eq!(tx.funding_order(card.key).unwrap(), Some(vec![1, 0]));
    // The order is beside the card, not part of it.
    assert_eq!(tx.card(card.key).unwrap(), Some(card.clone()));
}

fn pins_revocation_and_history(store: &mut dyn Store) {
    let card = sample_card(13, 21);
    let pin = StoredPin {
        salt: vec![1; 16],
        hash: vec![2; 32],
        rounds: 1000,
    };
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_card(&card).unwrap();
    tx.insert_pin(card.key, &pin).unwrap();
    assert_eq!(tx.insert_pin(card.key, &pin), Err(StoreError::Duplicate));
    assert!(tx.set_revoked(card.key, true).unwrap());
    assert!(!tx.set_revoked(sample_card(13, 22).key, true).unwrap());
    let mut first = sample_charge("ch_a", card.key);
    first.at = 10;
    let mut second = sample_charge("ch_b", card.key);
    second.at = 20;
    tx.insert_charge(&first).unwrap();
    tx.insert_charge(&second).unwrap();
    tx.add_approval(card.key, 9).unwrap();
    tx.add_approval(card.key, 9).unwrap();
    tx.remove_approval(card.key, 9).unwrap();
    tx.remove_approval(card.key, 8).unwrap();
    tx.commit().unwrap();
    let mut tx = store.begin(TxMode::Read).unwrap();
    assert_eq!(tx.pin(card.key).unwrap(), Some(pin));
    assert_eq!(tx.pin(sample_card(13, 22).key).unwrap(), None);
    assert!(tx.card(card.key).unwrap().unwrap().revoked);
    let ids: Vec<String> = tx
        .charges_of(card.key, 5)
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, ["ch_b", "ch_a"]);
    assert_eq!(tx.charges_of(card.key, 1).unwrap().len(), 1);
    assert_eq!(tx.approvals_on(card.key, 9).unwrap(), 1);
    assert_eq!(tx.approvals_on(card.key, 8).unwrap(), 0);
}

/// `reseal_keys` on a store whose KEK file gains a new key while it is
/// open: it opens keys under both, re-seals in batches of `limit`, and
/// afterwards (reopened by `open` with the new KEK alone) every key opens.
pub(crate) fn reseal_follows_the_kek_file(
    open: &mut dyn FnMut(std::sync::Arc<crate::custody::Vault>) -> Box<dyn Store>,
) {
    use crate::custody::{Kek, Vault};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kek");
    let old = Kek::create(&path).unwrap();
    let mut store = open(Arc::new(Vault::from_file(&path).unwrap()));
    let merchant = sample_merchant("m_00000000000000bb");
    let mut tx = store.begin(TxMode::Write).unwrap();
    for token in 1..=3 {
        tx.insert_card(&sample_card(13, token)).unwrap();
    }
    tx.insert_merchant(&merchant).unwrap();
    // A card on its second key: re-sealed under its own version.
    let second = SecretKey::from_slice(&[0x42; 32]);
    let moved = CardKey {
        prefix: 13,
        token: 3,
    };
    assert_eq!(tx.replace_card_key(moved, &second, None).unwrap(), Some(2));
    tx.commit().unwrap();
    let new = Kek::generate();
    Kek::write_ring(&path, &[&new, &old]).unwrap();
    let mut tx = store.begin(TxMode::Write).unwrap();
    assert_eq!(tx.reseal_keys(2).unwrap(), 2);
    assert_eq!(tx.reseal_keys(50).unwrap(), 2);
    assert_eq!(tx.reseal_keys(50).unwrap(), 0);
    tx.commit().unwrap();
    drop(store);
    let mut store = open(Arc::new(Vault::new(Kek::load(&path).unwrap())));
    let mut tx = store.begin(TxMode::Read).unwrap();
    for token in 1..=2 {
        let key = CardKey { prefix: 13, token };
        assert_eq!(
            tx.card(key).unwrap().unwrap().secret,
            sample_card(13, token).secret
        );
    }
    let card = tx.card(moved).unwrap().unwrap();
    assert_eq!((card.secret, card.key_version), (second, 2));
    assert_eq!(
        tx.merchant_key(&merchant.id).unwrap(),
        Some(merchant.api_key)
    );
}
