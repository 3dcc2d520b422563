//! Request signing as a server checks it (src/signing/): the signature
//! covers every part of the request and the key, the clock window is
//! ±300 s inclusive, nonces are single use, and failures are specific.

use std::convert::Infallible;

use paycode_issuer::secret::SecretKey;
use paycode_issuer::signing::{
    authenticate, authorization, sign, verify, verify_and_remember, AuthError, AuthHeader,
    CheckError, MemoryNonceLog, NonceLog, Request, RequestParts,
};
use proptest::prelude::*;

const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
const MERCHANT: &str = "m_0123456789abcdef";
const NOW: u64 = 1_767_225_600;
const BODY: &[u8] =
    br#"{"out_trade_no":"T1","auth_code":"134567890123456789","amount":"12.50","currency":"CNY"}"#;

fn parts(ts: u64, nonce: &str) -> RequestParts<'_> {
    RequestParts {
        method: "POST",
        path_and_query: "/v1/payments",
        ts,
        nonce,
        body: BODY,
    }
}

fn request() -> Request<'static> {
    Request {
        method: "POST",
        path_and_query: "/v1/payments",
        body: BODY,
    }
}

fn header_for(ts: u64, nonce: &str) -> AuthHeader {
    AuthHeader::parse(&authorization(KEY, MERCHANT, &parts(ts, nonce))).unwrap()
}

fn check(header: &AuthHeader, now: u64) -> Result<(), AuthError> {
    verify(KEY, header, "POST", "/v1/payments", BODY, now)
}

#[test]
fn a_signed_request_verifies() {
    assert_eq!(check(&header_for(NOW, "nonce-0000000001"), NOW), Ok(()));
}

#[test]
fn the_window_is_300_seconds_either_way_inclusive() {
    let h = header_for(NOW, "nonce-0000000001");
    assert_eq!(check(&h, NOW + 300), Ok(()));
    assert_eq!(check(&h, NOW - 300), Ok(()));
    assert_eq!(
        check(&h, NOW + 301),
        Err(AuthError::TooOld { by_secs: 301 })
    );
    assert_eq!(
        check(&h, NOW - 301),
        Err(AuthError::TooNew { by_secs: 301 })
    );
}

#[test]
fn a_stale_request_is_refused_even_with_a_good_signature_at_extreme_times() {
    let h = header_for(u64::MAX, "nonce-0000000001");
    assert_eq!(check(&h, 0), Err(AuthError::TooNew { by_secs: u64::MAX }));
    let h = header_for(0, "nonce-0000000001");
    assert_eq!(
        check(&h, u64::MAX),
        Err(AuthError::TooOld { by_secs: u64::MAX })
    );
}

#[test]
fn a_wrong_key_is_a_bad_signature() {
    let h = header_for(NOW, "nonce-0000000001");
    assert_eq!(
        verify(b"another key", &h, "POST", "/v1/payments", BODY, NOW),
        Err(AuthError::BadSignature)
    );
}

#[test]
fn a_nonce_is_accepted_once_per_merchant() {
    let mut log = MemoryNonceLog::new();
    let h = header_for(NOW, "nonce-0000000001");
    assert_eq!(
        verify_and_remember(KEY, &h, &request(), NOW, &mut log),
        Ok(())
    );
    assert_eq!(
        verify_and_remember(KEY, &h, &request(), NOW + 1, &mut log),
        Err(CheckError::Auth(AuthError::NonceReused))
    );
    let other = header_for(NOW, "nonce-0000000002");
    assert_eq!(
        verify_and_remember(KEY, &other, &request(), NOW, &mut log),
        Ok(())
    );
}

#[test]
fn a_forged_request_does_not_use_up_the_nonce() {
    let mut log = MemoryNonceLog::new();
    let good = header_for(NOW, "nonce-0000000001");
    let forged = AuthHeader::new(MERCHANT, good.ts(), good.nonce(), &"0".repeat(64)).unwrap();
    assert_eq!(
        verify_and_remember(KEY, &forged, &request(), NOW, &mut log),
        Err(CheckError::Auth(AuthError::BadSignature))
    );
    assert!(log.is_empty());
    assert_eq!(
        verify_and_remember(KEY, &good, &request(), NOW, &mut log),
        Ok(())
    );
}

/// Records what it was asked, to check the expiry handed to the store.
struct Recording(Vec<(String, String, u64)>, Result<bool, &'static str>);

impl NonceLog for Recording {
    type Error = &'static str;
    fn remember(&mut self, m: &str, n: &str, expires_at: u64) -> Result<bool, &'static str> {
        self.0.push((m.into(), n.into(), expires_at));
        self.1
    }
}

#[test]
fn the_nonce_is_kept_until_its_ts_leaves_the_window() {
    let mut log = Recording(Vec::new(), Ok(true));
    let h = header_for(NOW - 10, "nonce-0000000001");
    verify_and_remember(KEY, &h, &request(), NOW, &mut log).unwrap();
    assert_eq!(
        log.0,
        [(MERCHANT.into(), "nonce-0000000001".into(), NOW - 10 + 301)]
    );
}

#[test]
fn a_failing_nonce_log_is_not_an_auth_failure() {
    let mut log = Recording(Vec::new(), Err("disk full"));
    let h = header_for(NOW, "nonce-0000000001");
    assert_eq!(
        verify_and_remember(KEY, &h, &request(), NOW, &mut log),
        Err(CheckError::Log("disk full"))
    );
}

fn keys(id: &str) -> Result<Option<Vec<u8>>, Infallible> {
    Ok((id == MERCHANT).then(|| KEY.to_vec()))
}

#[test]
fn authenticate_names_the_signer() {
    let value = authorization(KEY, MERCHANT, &parts(NOW, "nonce-0000000001"));
    let mut log = MemoryNonceLog::new();
    assert_eq!(
        authenticate(Some(&value), &request(), NOW, keys, &mut log),
        Ok(MERCHANT.to_owned())
    );
}

#[test]
fn authenticate_takes_the_stores_secret_keys() {
    let value = authorization(KEY, MERCHANT, &parts(NOW, "nonce-0000000001"));
    let mut log = MemoryNonceLog::new();
    let from_store =
        |_: &str| -> Result<Option<SecretKey>, Infallible> { Ok(Some(SecretKey::from_slice(KEY))) };
    assert_eq!(
        authenticate(Some(&value), &request(), NOW, from_store, &mut log),
        Ok(MERCHANT.to_owned())
    );
}

#[test]
fn authenticate_refuses_each_failure_specifically() {
    let mut log = MemoryNonceLog::new();
    let mut run = |value: Option<&str>| {
        authenticate(value, &request(), NOW, keys, &mut log).map_err(|e| match e {
            CheckError::Auth(a) => a,
            CheckError::Log(never) => match never {},
        })
    };
    assert_eq!(run(None), Err(AuthError::Missing));
    assert_eq!(
        run(Some("Basic dXNlcjpwYXNz")),
        Err(AuthError::UnknownScheme)
    );
    let stranger = authorization(KEY, "m_nobody", &parts(NOW, "nonce-0000000001"));
    assert_eq!(run(Some(&stranger)), Err(AuthError::UnknownMerchant));
    let old = authorization(KEY, MERCHANT, &parts(NOW - 301, "nonce-0000000001"));
    assert_eq!(run(Some(&old)), Err(AuthError::TooOld { by_secs: 301 }));
    let good = authorization(KEY, MERCHANT, &parts(NOW, "nonce-0000000001"));
    assert_eq!(run(Some(&good)), Ok(MERCHANT.to_owned()));
    assert_eq!(run(Some(&good)), Err(AuthError::NonceReused));
}

#[test]
fn signing_another_merchants_id_does_not_act_for_it() {
    // A key signs for its own merchant only: claiming another id with it
    // is a bad signature under that merchant's key.
    let other_key = b"fedcba9876543210fedcba9876543210";
    let claim = authorization(KEY, "m_victim", &parts(NOW, "nonce-0000000001"));
    let mut log = MemoryNonceLog::new();
    let lookup = |id: &str| -> Result<Option<Vec<u8>>, Infallible> {
        Ok((id == "m_victim").then(|| other_key.to_vec()))
    };
    assert_eq!(
        authenticate(Some(&claim), &request(), NOW, lookup, &mut log),
        Err(CheckError::Auth(AuthError::BadSignature))
    );
}

#[test]
fn the_signature_is_64_lowercase_hex() {
    let sig = sign(KEY, &parts(NOW, "nonce-0000000001"));
    assert_eq!(sig.len(), 64);
    assert!(sig
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
}

#[derive(Debug, Clone)]
enum Change {
    Method(String),
    Path(String),
    Ts(u64),
    Nonce(String),
    Body(Vec<u8>),
    Key(Vec<u8>),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        "[A-Z]{1,7}".prop_map(Change::Method),
        "/[ -~]{0,40}".prop_map(Change::Path),
        any::<u64>().prop_map(Change::Ts),
        "[A-Za-z0-9_-]{16,64}".prop_map(Change::Nonce),
        proptest::collection::vec(any::<u8>(), 0..80).prop_map(Change::Body),
        proptest::collection::vec(any::<u8>(), 0..80).prop_map(Change::Key),
    ]
}

proptest! {
    /// Any change to any signed part, or to the key, breaks the signature.
    #[test]
    fn any_change_breaks_the_signature(
        key in proptest::collection::vec(any::<u8>(), 0..80),
        method in "[A-Z]{1,7}",
        path in "/[ -~]{0,40}",
        ts in any::<u64>(),
        nonce in "[A-Za-z0-9_-]{16,64}",
        body in proptest::collection::vec(any::<u8>(), 0..80),
        changed in change(),
    ) {
        let original = RequestParts { method: &method, path_and_query: &path, ts, nonce: &nonce, body: &body };
        let sig = sign(&key, &original);
        let mut other = original;
        let mut other_key: &[u8] = &key;
        let same = match &changed {
            Change::Method(m) => { other.method = m; *m == method }
            Change::Path(p) => { other.path_and_query = p; *p == path }
            Change::Ts(t) => { other.ts = *t; *t == ts }
            Change::Nonce(n) => { other.nonce = n; *n == nonce }
            Change::Body(b) => { other.body = b; *b == body }
            // HMAC pads short keys with zeros, so a key and the same key
            // with zero bytes appended are one key; compare them that way.
            Change::Key(k) => { other_key = k; k.len() <= 64 && key.len() <= 64 && trim_zeros(k) == trim_zeros(&key) }
        };
        prop_assume!(!same);
        prop_assert_ne!(sign(other_key, &other), sig.clone());
        // And the verifier agrees: the changed request is refused.
        let header = AuthHeader::new(MERCHANT, ts, &nonce, &sig).unwrap();
        if other.ts == ts && other.nonce == nonce {
            prop_assert_eq!(
                verify(other_key, &header, other.method, other.path_and_query, other.body, ts),
                Err(AuthError::BadSignature)
            );
        }
    }
}

fn trim_zeros(k: &[u8]) -> &[u8] {
    let end = k.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
    &k[..end]
}
