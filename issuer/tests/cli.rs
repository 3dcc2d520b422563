//! The real `paycode` binary end to end: every run is a separate process on
//! one database file, as a till would use it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const PAYCODE: &str = env!("CARGO_BIN_EXE_paycode");
/// 2025-11-25T19:46:40Z, 03:46:40 in Shanghai: the local day has 12 hours
/// left, so every test below stays within one day.
const T0: u64 = 1_764_100_000;
const PERIOD: u64 = 60;

struct Issuer {
    _dir: tempfile::TempDir,
    db: PathBuf,
    link: String,
}

fn parse(out: &Output) -> Value {
    assert!(
        out.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn run(args: &[&str]) -> (i32, Value) {
    let out = Command::new(PAYCODE).args(args).output().unwrap();
    (out.status.code().unwrap(), parse(&out))
}

fn db_arg(db: &Path) -> String {
    db.to_str().unwrap().to_owned()
}

impl Issuer {
    fn new() -> Issuer {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("issuer.db");
        let (status, v) = run(&[
            "provision",
            "--db",
            &db_arg(&db),
            "--funding",
            "balance,debit:ICBC:1234",
            "--issuer",
            "Demo Bank",
            "--at",
            &T0.to_string(),
        ]);
        assert_eq!(status, 0, "{v}");
        let link = v["link"].as_str().unwrap().to_owned();
        assert!(link.starts_with("paycode://provision?v=1&"), "{link}");
        let token = v["token"].as_u64().unwrap();
        assert!(token < 1 << 20);
        assert!(link.contains(&format!("token={token}&")));
        Issuer {
            _dir: dir,
            db,
            link,
        }
    }

    /// The code the wallet shows at `t` after `swipe` swipes.
    fn code(&self, t: u64, swipe: u8) -> String {
        let (status, v) = run(&[
            "code",
            "--link",
            &self.link,
            "--at",
            &t.to_string(),
            "--swipe",
            &swipe.to_string(),
        ]);
        assert_eq!(status, 0, "{v}");
        let code = v["code"].as_str().unwrap().to_owned();
        assert_eq!(code.len(), 18);
        assert!(code.starts_with("13"));
        let masked = v["masked"].as_str().unwrap();
        assert!(masked.starts_with(&code[..4]) && masked.ends_with(&code[16..]));
        assert!(masked.contains('•'));
        code
    }

    fn charge(&self, code: &str, amount: &str, at: u64) -> (i32, Value) {
        run(&[
            "charge",
            code,
            "--amount",
            amount,
            "--at",
            &at.to_string(),
            "--db",
            &db_arg(&self.db),
            "--merchant",
            "Corner Shop",
        ])
    }
}

fn assert_result(got: &(i32, Value), status: i32, result: &str, reason: Option<&str>) {
    let (s, v) = got;
    assert_eq!(*s, status, "{v}");
    assert_eq!(v["result"], result, "{v}");
    match reason {
        Some(r) => assert_eq!(v["reason"], r, "{v}"),
        None => assert!(v["reason"].is_null(), "{v}"),
    }
}

#[test]
fn provision_code_charge_then_replay_is_rejected() {
    let issuer = Issuer::new();
    let code = issuer.code(T0 + 5, 0);
    let first = issuer.charge(&code, "12.50", T0 + 20);
    assert_result(&first, 0, "approved", None);
    assert_eq!(first.1["funding"]["index"], 0);
    assert_eq!(first.1["funding"]["label"], "Balance");
    assert_eq!(first.1["amount"], "12.50");
    assert!(first.1["charge"].as_str().unwrap().starts_with("ch_"));
    let again = issuer.charge(&code, "12.50", T0 + 21);
    assert_result(&again, 3, "rejected", Some("replayed"));
    assert!(again.1["charge"].is_null());
}

#[test]
fn code_from_three_steps_earlier_is_expired() {
    let issuer = Issuer::new();
    let old = issuer.code(T0 - 3 * PERIOD, 0);
    assert_result(
        &issuer.charge(&old, "1", T0),
        3,
        "rejected",
        Some("expired"),
    );
    // One step earlier is inside the window.
    let recent = issuer.code(T0 - PERIOD, 0);
    assert_result(&issuer.charge(&recent, "1", T0), 0, "approved", None);
}

#[test]
fn eleventh_charge_of_the_day_needs_the_pin() {
    let issuer = Issuer::new();
    for i in 0..10 {
        let t = T0 + i * PERIOD;
        let got = issuer.charge(&issuer.code(t, 0), "8.80", t);
        assert_result(&got, 0, "approved", None);
    }
    let t = T0 + 10 * PERIOD;
    let got = issuer.charge(&issuer.code(t, 0), "8.80", t);
    assert_result(&got, 2, "pin_required", Some("daily_count"));
    // The pending charge can be completed once the PIN is checked.
    let id = got.1["charge"].as_str().unwrap().to_owned();
    let (status, v) = run(&["pin", &id, "--db", &db_arg(&issuer.db)]);
    assert_eq!(status, 0, "{v}");
    assert_eq!(v["result"], "pin_approved");
}

#[test]
fn over_300_yuan_needs_the_pin_and_300_does_not() {
    let issuer = Issuer::new();
    let at = T0 + 1;
    let exact = issuer.charge(&issuer.code(T0, 0), "300.00", at);
    assert_result(&exact, 0, "approved", None);
    let over = issuer.charge(&issuer.code(T0, 1), "300.01", at);
    assert_result(&over, 2, "pin_required", Some("amount_limit"));
    assert_eq!(over.1["amount"], "300.01");
}

#[test]
fn swipe_code_older_than_an_accepted_one_is_superseded() {
    let issuer = Issuer::new();
    let older = issuer.code(T0, 1);
    let newer = issuer.code(T0, 2);
    assert_ne!(older, newer);
    assert_result(&issuer.charge(&newer, "5", T0), 0, "approved", None);
    assert_result(
        &issuer.charge(&older, "5", T0),
        3,
        "rejected",
        Some("superseded"),
    );
}

#[test]
fn eight_concurrent_charges_of_one_code_approve_exactly_once() {
    let issuer = Issuer::new();
    let code = issuer.code(T0, 0);
    let db = db_arg(&issuer.db);
    let at = T0.to_string();
    // Start all eight before waiting for any.
    let children: Vec<_> = (0..8)
        .map(|_| {
            Command::new(PAYCODE)
                .args([
                    "charge", &code, "--amount", "9.99", "--at", &at, "--db", &db,
                ])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let results: Vec<(i32, Value)> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            (out.status.code().unwrap(), parse(&out))
        })
        .collect();
    let approved = results.iter().filter(|(s, _)| *s == 0).count();
    assert_eq!(approved, 1, "{results:?}");
    for (status, v) in results.iter().filter(|(s, _)| *s != 0) {
        assert_eq!(*status, 3, "{v}");
        // Seven replays: the fifth locks the token, so the last may say so.
        let reason = v["reason"].as_str().unwrap();
        assert!(reason == "replayed" || reason == "locked", "{v}");
    }
    // Exactly one approval was recorded, whatever the interleaving.
    let conn = rusqlite::Connection::open(&issuer.db).unwrap();
    let n: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM charges WHERE status = 'approved'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn five_bad_codes_lock_until_the_cooldown_has_passed() {
    let issuer = Issuer::new();
    let used = issuer.code(T0, 0);
    assert_result(&issuer.charge(&used, "1", T0), 0, "approved", None);
    for i in 0..5 {
        let got = issuer.charge(&used, "1", T0 + i);
        assert_result(&got, 3, "rejected", Some("replayed"));
    }
    let t = T0 + 10;
    let valid = issuer.code(t, 1);
    assert_result(
        &issuer.charge(&valid, "1", t),
        3,
        "rejected",
        Some("locked"),
    );
    let later = T0 + 4 + 15 * 60;
    let fresh = issuer.code(later, 0);
    assert_result(&issuer.charge(&fresh, "1", later), 0, "approved", None);
}

#[test]
fn verify_does_not_use_the_code_up() {
    let issuer = Issuer::new();
    let code = issuer.code(T0, 0);
    let db = db_arg(&issuer.db);
    for _ in 0..2 {
        let (status, v) = run(&["verify", &code, "--db", &db, "--at", &T0.to_string()]);
        assert_eq!(status, 0, "{v}");
        assert_eq!(v["result"], "valid");
        assert_eq!(v["code"]["step"], T0 / PERIOD);
    }
    assert_result(&issuer.charge(&code, "1", T0), 0, "approved", None);
    let (status, v) = run(&["verify", &code, "--db", &db, "--at", &T0.to_string()]);
    assert_eq!((status, v["reason"].as_str()), (3, Some("replayed")), "{v}");
}

#[test]
fn bad_input_gets_a_specific_kind() {
    let issuer = Issuer::new();
    let code = issuer.code(T0, 0);
    for (amount, kind) in [
        ("-1", "amount_negative"),
        ("1.234", "amount_too_many_decimals"),
        ("abc", "amount_not_a_number"),
        ("1e9", "amount_not_a_number"),
        ("0", "amount_zero"),
        ("", "amount_empty"),
        ("123456789012345678901234567890", "amount_too_large"),
    ] {
        let (status, v) = issuer.charge(&code, amount, T0);
        assert_eq!(status, 1, "{amount:?}: {v}");
        assert_eq!(v["error"], kind, "{amount:?}: {v}");
        assert!(!v["message"].as_str().unwrap().is_empty());
    }
    for (bad, reason) in [
        (&code[..12], "malformed"),
        ("13456789012345678x", "malformed"),
        ("093456789012345678", "unknown_prefix"),
        ("143456789012345678", "unknown_prefix"),
    ] {
        assert_result(&issuer.charge(bad, "1", T0), 3, "rejected", Some(reason));
    }
    // None of the above used the code or locked the card.
    assert_result(&issuer.charge(&code, "1", T0), 0, "approved", None);

    let (status, v) = run(&["code", "--link", "paycode://provision?v=1"]);
    assert_eq!(
        (status, v["error"].as_str()),
        (1, Some("missing_field")),
        "{v}"
    );
    let (status, v) = run(&["code", "--link", &issuer.link, "--swipe", "16"]);
    assert_eq!(
        (status, v["error"].as_str()),
        (1, Some("counter_out_of_range")),
        "{v}"
    );
    let (status, v) = run(&["charge", &code, "--amount", "1", "--bogus", "x"]);
    assert_eq!(
        (status, v["error"].as_str()),
        (1, Some("unknown_option")),
        "{v}"
    );
}
