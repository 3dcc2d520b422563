//! `paycode till …`, the real binary, against the scripted merchant API of
//! tests/till_server: the commands sign with the key file's key, print one
//! JSON object, exit by the outcome, and never show the key.

mod till_server;

use std::process::Command;

use serde_json::{json, Value};
use till_server::{error, payment, Action, Seen, TestServer, KEY_HEX, MERCHANT};

const PAYCODE: &str = env!("CARGO_BIN_EXE_paycode");

/// A scripted server on its own thread and runtime, for blocking callers.
struct Background {
    server: TestServer,
    _runtime: tokio::runtime::Runtime,
}

fn start(script: impl Fn(usize, &Seen) -> Action + Send + Sync + 'static) -> Background {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(TestServer::start(Box::new(script)));
    Background {
        server,
        _runtime: runtime,
    }
}

struct KeyFile {
    _dir: tempfile::TempDir,
    path: String,
}

fn key_file(contents: &str) -> KeyFile {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("merchant.json");
    std::fs::write(&path, contents).unwrap();
    KeyFile {
        path: path.to_str().unwrap().to_owned(),
        _dir: dir,
    }
}

fn good_key_file() -> KeyFile {
    key_file(&json!({"merchant": MERCHANT, "name": "Shop", "key": KEY_HEX}).to_string())
}

fn run(args: &[&str]) -> (i32, Value) {
    let out = Command::new(PAYCODE).args(args).output().unwrap();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains(KEY_HEX), "the key was printed: {text}");
    assert!(
        !text.contains(&KEY_HEX[..16]),
        "part of the key was printed: {text}"
    );
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (out.status.code().unwrap(), value)
}

fn till(s: &Background, key: &KeyFile, args: &[&str]) -> (i32, Value) {
    let url = s.server.url();
    let mut all = vec!["till"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--key-file", &key.path, "--url", &url]);
    all.extend_from_slice(&[
        "--timeout-ms",
        "2000",
        "--poll-interval-ms",
        "20",
        "--poll-for-ms",
        "100",
    ]);
    run(&all)
}

#[test]
fn pay_makes_an_order_number_and_exits_0_when_paid() {
    let s = start(|_, seen| {
        Action::Answer(
            200,
            payment("SUCCESS", seen.body["out_trade_no"].as_str().unwrap()),
        )
    });
    let key = good_key_file();
    let (status, out) = till(&s, &key, &["pay", "134617201123456789", "--amount", "12.5"]);
    assert_eq!(status, 0, "{out}");
    assert_eq!(out["outcome"], "settled");
    assert_eq!(out["paid"], true);
    assert_eq!(out["payment"]["status"], "SUCCESS");
    let seen = s.server.seen();
    assert_eq!(seen.len(), 1);
    let sent = &seen[0].body;
    assert_eq!(sent["amount"], "12.50");
    assert_eq!(sent["currency"], "CNY");
    assert_eq!(out["out_trade_no"], sent["out_trade_no"]);
    assert!(sent["out_trade_no"].as_str().unwrap().starts_with('T'));
    s.server.assert_all_verified();
}

#[test]
fn pay_that_stays_userpaying_is_reversed_and_exits_3() {
    let s = start(
        |_, seen| match (seen.method.as_str(), seen.target.ends_with("/reverse")) {
            ("POST", true) => Action::Answer(200, payment("CLOSED", "T-CLI-1")),
            _ => Action::Answer(200, payment("USERPAYING", "T-CLI-1")),
        },
    );
    let key = good_key_file();
    let (status, out) = till(
        &s,
        &key,
        &[
            "pay",
            "134617201123456789",
            "--amount",
            "350",
            "--out-trade-no",
            "T-CLI-1",
            "--description",
            "a bike",
        ],
    );
    assert_eq!(status, 3, "{out}");
    assert_eq!(out["outcome"], "reversed");
    assert_eq!(out["paid"], false);
    assert_eq!(out["payment"]["status"], "CLOSED");
    let seen = s.server.seen();
    assert_eq!(seen[0].body["description"], "a bike");
    assert_eq!(seen.last().unwrap().target, "/v1/payments/T-CLI-1/reverse");
    s.server.assert_all_verified();
}

#[test]
fn query_reverse_and_refund_print_the_answer() {
    let s = start(|_, seen| match seen.target.as_str() {
        "/v1/refunds" => Action::Answer(
            200,
            json!({"refund_id": "r_1", "out_refund_no": "R1", "out_trade_no": "T1",
                   "amount": "2.00", "status": "SUCCESS", "payment_status": "PARTIALLY_REFUNDED"}),
        ),
        "/v1/payments/T1/reverse" => Action::Answer(422, error("REVERSE_NOT_ALLOWED")),
        _ => Action::Answer(200, payment("PARTIALLY_REFUNDED", "T1")),
    });
    let key = good_key_file();
    let (status, out) = till(&s, &key, &["query", "T1"]);
    assert_eq!((status, &out["status"]), (0, &json!("PARTIALLY_REFUNDED")));
    let (status, out) = till(
        &s,
        &key,
        &["refund", "T1", "--out-refund-no", "R1", "--amount", "2"],
    );
    assert_eq!(
        (status, &out["payment_status"]),
        (0, &json!("PARTIALLY_REFUNDED"))
    );
    let (status, out) = till(&s, &key, &["reverse", "T1"]);
    assert_eq!(status, 1);
    assert_eq!(out["error"], "api_error");
    assert_eq!(out["code"], "REVERSE_NOT_ALLOWED");
    assert_eq!(out["http_status"], 422);
    let seen = s.server.seen();
    assert_eq!(
        seen[1].body,
        json!({"out_trade_no": "T1", "out_refund_no": "R1", "amount": "2.00"})
    );
    s.server.assert_all_verified();
}

#[test]
fn the_key_is_only_read_from_a_file() {
    let s = start(|_, _| Action::Answer(200, payment("SUCCESS", "T1")));
    let url = s.server.url();
    let (status, out) = run(&["till", "query", "T1", "--key", KEY_HEX, "--url", &url]);
    assert_eq!((status, &out["error"]), (1, &json!("unknown_option")));
    let (status, out) = run(&["till", "query", "T1", "--url", &url]);
    assert_eq!((status, &out["error"]), (1, &json!("missing_argument")));
    assert!(s.server.seen().is_empty());
}

#[test]
fn bad_key_files_and_arguments_are_named() {
    let s = start(|_, _| Action::Answer(200, payment("SUCCESS", "T1")));
    let cases = [
        (key_file("{"), &["query", "T1"][..], "key_file_malformed"),
        (
            key_file(&format!(r#"{{"merchant":"m 1","key":"{KEY_HEX}"}}"#)),
            &["query", "T1"],
            "key_file_bad_merchant",
        ),
        (
            key_file(&format!(r#"{{"merchant":"m_1","key":"{KEY_HEX}x"}}"#)),
            &["query", "T1"],
            "key_file_key_not_hex",
        ),
        (good_key_file(), &["query", "T.1"], "bad_value"),
        (
            good_key_file(),
            &["pay", "1346", "--amount", "1.234"],
            "amount_too_many_decimals",
        ),
        (
            good_key_file(),
            &["refund", "T1", "--amount", "1"],
            "missing_argument",
        ),
        (good_key_file(), &["charge", "T1"], "unknown_command"),
    ];
    for (key, args, kind) in cases {
        let (status, out) = till(&s, &key, args);
        assert_eq!(
            (status, out["error"].as_str()),
            (1, Some(kind)),
            "{args:?}: {out}"
        );
    }
    let missing = KeyFile {
        path: "/nonexistent/merchant.json".into(),
        _dir: tempfile::tempdir().unwrap(),
    };
    let (_, out) = till(&s, &missing, &["query", "T1"]);
    assert_eq!(out["error"], "key_file_unreadable");
    assert!(s.server.seen().is_empty());
}

#[test]
fn a_wrong_url_is_named() {
    let key = good_key_file();
    for (url, kind) in [("https://127.0.0.1:1", "bad_url"), ("nowhere", "bad_url")] {
        let (status, out) = run(&["till", "query", "T1", "--key-file", &key.path, "--url", url]);
        assert_eq!((status, out["error"].as_str()), (1, Some(kind)), "{url}");
    }
}

#[test]
fn an_unanswered_reverse_exits_1_and_says_what_to_do() {
    let s = start(|_, _| Action::Answer(500, error("SYSTEMERROR")));
    let key = good_key_file();
    let (status, out) = till(
        &s,
        &key,
        &[
            "pay",
            "134617201123456789",
            "--amount",
            "1",
            "--out-trade-no",
            "T-CLI-2",
        ],
    );
    assert_eq!(status, 1, "{out}");
    assert_eq!(out["outcome"], "unresolved");
    assert_eq!(out["paid"], false);
    assert!(out["message"]
        .as_str()
        .unwrap()
        .contains("paycode till reverse T-CLI-2"));
    s.server.assert_all_verified();
}
