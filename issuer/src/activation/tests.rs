use super::*;
use crate::store::contract::sample_card;
use crate::store::{MemoryStore, Store, TxMode};

const NOW: u64 = 1_764_100_000;

fn store_with_card() -> (MemoryStore, CardRecord) {
    let mut store = MemoryStore::new();
    let card = sample_card(13, 4242);
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_card(&card).unwrap();
    tx.commit().unwrap();
    (store, card)
}

fn issue_one(store: &mut MemoryStore, card: CardKey, at: u64) -> Issued {
    let mut tx = store.begin(TxMode::Write).unwrap();
    let issued = issue(tx.as_mut(), card, at).unwrap();
    tx.commit().unwrap();
    issued
}

fn redeem_at(store: &mut MemoryStore, code: &str, at: u64) -> Result<CardRecord, RedeemError> {
    let mut tx = store.begin(TxMode::Write).unwrap();
    let result = redeem(tx.as_mut(), code, at);
    tx.commit().unwrap();
    result
}

#[test]
fn a_code_delivers_its_card_once() {
    let (mut store, card) = store_with_card();
    let issued = issue_one(&mut store, card.key, NOW);
    assert_eq!(issued.expires_at, NOW + ACTIVATION_TTL_SECS);
    assert_eq!(
        redeem_at(&mut store, issued.code.expose(), NOW + 1).unwrap(),
        card
    );
    let again = redeem_at(&mut store, issued.code.expose(), NOW + 2).unwrap_err();
    assert_eq!(again.code(), "ACTIVATION_USED");
    // One hand-over, one event: the refused second try records none.
    let mut tx = store.begin(TxMode::Read).unwrap();
    let trail = tx.audit_events(0, 10).unwrap();
    let activated: Vec<_> = trail
        .iter()
        .filter(|r| r.event.kind == AuditKind::CardActivated)
        .collect();
    assert_eq!(activated.len(), 1, "{trail:?}");
    assert_eq!(activated[0].event.card, Some(card.key));
    assert_eq!(activated[0].event.at, NOW + 1);
}

#[test]
fn the_code_dies_at_ten_minutes_on_the_clock_given() {
    let (mut store, card) = store_with_card();
    let last_second = issue_one(&mut store, card.key, NOW);
    let too_late = issue_one(&mut store, card.key, NOW);
    let end = NOW + ACTIVATION_TTL_SECS;
    assert!(redeem_at(&mut store, last_second.code.expose(), end - 1).is_ok());
    let late = redeem_at(&mut store, too_late.code.expose(), end).unwrap_err();
    assert_eq!(late.code(), "ACTIVATION_EXPIRED");
    // A late try does not use the code up into "used": still expired.
    let late = redeem_at(&mut store, too_late.code.expose(), end + 1).unwrap_err();
    assert_eq!(late.code(), "ACTIVATION_EXPIRED");
}

#[test]
fn unknown_malformed_and_revoked_are_told_apart() {
    let (mut store, card) = store_with_card();
    let unknown = redeem_at(&mut store, &"0".repeat(32), NOW).unwrap_err();
    assert_eq!(unknown.code(), "ACTIVATION_UNKNOWN");
    for bad in ["", "xyz", &"A".repeat(32), &"0".repeat(33)] {
        assert_eq!(
            redeem_at(&mut store, bad, NOW).unwrap_err().code(),
            "INVALID_REQUEST"
        );
    }
    let issued = issue_one(&mut store, card.key, NOW);
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.set_revoked(card.key, true).unwrap();
    tx.commit().unwrap();
    let revoked = redeem_at(&mut store, issued.code.expose(), NOW).unwrap_err();
    assert_eq!(revoked.code(), "CARD_REVOKED");
}

#[test]
fn a_redemption_rolled_back_leaves_the_code_alive() {
    let (mut store, card) = store_with_card();
    let issued = issue_one(&mut store, card.key, NOW);
    {
        let mut tx = store.begin(TxMode::Write).unwrap();
        assert!(redeem(tx.as_mut(), issued.code.expose(), NOW).is_ok());
        // dropped: rolled back
    }
    assert!(redeem_at(&mut store, issued.code.expose(), NOW).is_ok());
}

#[test]
fn the_store_keeps_the_hash_and_never_the_code() {
    let (mut store, card) = store_with_card();
    let issued = issue_one(&mut store, card.key, NOW);
    let code = issued.code.expose();
    assert_eq!(code.len(), 32);
    let mut tx = store.begin(TxMode::Read).unwrap();
    let kept = tx.activation(&code_hash(code)).unwrap().unwrap();
    assert_eq!(kept.card, card.key);
    assert_ne!(&kept.code_hash[..], code.as_bytes());
    assert!(!format!("{issued:?}").contains(code));
}

#[test]
fn the_link_carries_the_code_and_no_key() {
    let (mut store, card) = store_with_card();
    let issued = issue_one(&mut store, card.key, NOW);
    let link = issued.link("Demo Bank", "https://bank.example");
    let parsed = ActivationLink::parse(&link).unwrap();
    assert_eq!(parsed.code, issued.code.expose());
    let key = card.secret.as_bytes();
    assert!(!link.contains(&hex::encode(key)));
    let base32 = paycode_wallet::core::secret::Secret::from_bytes(key.to_vec()).to_base32();
    assert!(!link.to_ascii_uppercase().contains(&base32));
    assert!(!link.contains("secret="));
}
