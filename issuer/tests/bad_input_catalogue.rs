//! The issuer's bad-input catalogue: one table row per broken or hostile
//! command line given to the real `paycode` binary, the error kind (exit 1)
//! or refusal reason (exit 3) it must give, and after each one a check that
//! nothing was lost or leaked: the database holds the same cards and
//! charges, the token is not locked, a fresh genuine code still verifies,
//! stderr is empty, stdout is one JSON object, and neither ever shows the
//! card's secret.
//!
//! The wallet side has its own catalogue in tests/bad_input_catalogue.rs.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

use paycode_wallet::core::link::Card;
use serde_json::Value;

const PAYCODE: &str = env!("CARGO_BIN_EXE_paycode");
/// 2025-11-25T19:46:40Z; the Shanghai day has hours left.
const T0: u64 = 1_764_100_000;

/// One provisioned card in its own database, with one approved charge
/// (the counter-0 code at T0).
struct Issuer {
    _dir: tempfile::TempDir,
    db: PathBuf,
    link: String,
    card: Card,
    charge_id: String,
}

struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

fn run<I: IntoIterator<Item = OsString>>(args: I) -> Run {
    let out = Command::new(PAYCODE)
        .args(args)
        .output()
        .expect("paycode runs");
    Run {
        status: out.status.code().expect("exit status"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json(r: &Run) -> Value {
    assert!(r.stderr.is_empty(), "stderr: {}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.stdout))
}

fn os(words: &[&str]) -> Vec<OsString> {
    words.iter().map(OsString::from).collect()
}

/// Card count, (charge id, status) pairs, approvals and the card's
/// (last_step, last_counter, locked_until).
type Snapshot = (i64, Vec<(String, String)>, i64, Option<(i64, i64, i64)>);

impl Issuer {
    fn new() -> Issuer {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("issuer.db");
        let at = T0.to_string();
        let out = json(&run(os(&[
            "provision",
            "--db",
            db.to_str().expect("UTF-8 path"),
            "--funding",
            "balance,debit:ICBC:1234",
            "--at",
            &at,
        ])));
        let link = out["link"].as_str().expect("link").to_owned();
        let card = Card::from_link(&link).expect("the issuer's link reads");
        let mut issuer = Issuer {
            _dir: dir,
            db,
            link,
            card,
            charge_id: String::new(),
        };
        let first = issuer.code(T0, 0, 0);
        let v = json(&run(
            issuer.args(&["charge", &first, "--amount", "1", "--at", &at])
        ));
        assert_eq!(v["result"], "approved", "{v}");
        issuer.charge_id = v["charge"].as_str().expect("charge id").to_owned();
        issuer
    }

    fn code(&self, at: u64, counter: u8, funding: u8) -> String {
        self.card
            .code_at(at, counter, funding)
            .expect("code")
            .to_string()
    }

    /// `words` plus `--db` for this issuer.
    fn args(&self, words: &[&str]) -> Vec<OsString> {
        let mut all = os(words);
        all.push("--db".into());
        all.push(self.db.clone().into_os_string());
        all
    }

    /// Cards, charges, approvals and the card's state, to compare.
    fn snapshot(&self) -> Snapshot {
        let conn = rusqlite::Connection::open(&self.db).expect("open db");
        let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).expect(sql);
        let mut charges = conn
            .prepare("SELECT id, status FROM charges ORDER BY id")
            .expect("charges");
        let charges = charges
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("charges")
            .collect::<Result<Vec<_>, _>>()
            .expect("charges");
        let state = conn
            .query_row(
                "SELECT last_step, last_counter, COALESCE((SELECT l.locked_until FROM lockouts l WHERE l.prefix = card_state.prefix AND l.token = card_state.token AND l.merchant = ''), 0) FROM card_state",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .ok();
        (
            count("SELECT COUNT(*) FROM cards"),
            charges,
            count("SELECT COALESCE(SUM(approvals), 0) FROM allowance"),
            state,
        )
    }

    /// The wallet's next code (counter 1 at T0) is still good.
    fn assert_still_works(&self, case: &str) {
        let code = self.code(T0, 1, 1);
        let v = json(&run(self.args(&["verify", &code, "--at", &T0.to_string()])));
        assert_eq!(v["result"], "valid", "{case}: {v}");
    }

    /// Every spelling of the key that could leak.
    fn secret_spellings(&self) -> Vec<String> {
        let b32 = self.card.secret.to_base32();
        let hex: String = self
            .card
            .secret
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        vec![
            b32.clone(),
            b32.to_lowercase(),
            b32[..16].to_owned(),
            hex.clone(),
            hex[..16].to_owned(),
        ]
    }
}

/// What a case expects: an error kind (exit 1) or a refusal reason (exit 3).
#[derive(Clone, Copy, Debug)]
enum Expect {
    Error(&'static str),
    Rejected(&'static str),
}

struct Case {
    name: &'static str,
    args: fn(&Issuer) -> Vec<OsString>,
    expect: Expect,
}

fn case(name: &'static str, args: fn(&Issuer) -> Vec<OsString>, expect: Expect) -> Case {
    Case { name, args, expect }
}

fn at(t: u64) -> String {
    t.to_string()
}

/// A code with its last digit changed: same fields, wrong MAC.
fn wrong_mac(i: &Issuer) -> String {
    let mut code = i.code(T0, 1, 0).into_bytes();
    let last = code.len() - 1;
    code[last] = if code[last] == b'9' {
        b'0'
    } else {
        code[last] + 1
    };
    String::from_utf8(code).expect("digits")
}

/// The held link with one field edited: the secret is still inside.
fn edited_link(i: &Issuer, from: &str, to: &str) -> String {
    assert!(i.link.contains(from), "{from}");
    i.link.replacen(from, to, 1)
}

fn catalogue() -> Vec<Case> {
    use Expect::{Error, Rejected};
    vec![
        // The command line itself.
        case("no command", |_| vec![], Error("missing_command")),
        case(
            "unknown command",
            |i| i.args(&["frobnicate"]),
            Error("unknown_command"),
        ),
        case(
            "link as the command",
            |i| os(&[&i.link]),
            Error("unknown_command"),
        ),
        case(
            "non-UTF-8 argument",
            |i| {
                use std::os::unix::ffi::OsStringExt;
                let mut a = i.args(&["verify"]);
                a.push(OsString::from_vec(vec![b'1', 0xff, 0xfe]));
                a
            },
            Error("bad_value"),
        ),
        case(
            "unknown option",
            |i| i.args(&["verify", "1", "--secret", "x"]),
            Error("unknown_option"),
        ),
        case(
            "option without value",
            |_| os(&["charge", "1", "--amount"]),
            Error("missing_value"),
        ),
        case(
            "option twice",
            |i| i.args(&["charge", "1", "--amount", "1", "--amount=2"]),
            Error("duplicate_option"),
        ),
        case(
            "charge without code",
            |i| i.args(&["charge", "--amount", "1"]),
            Error("missing_argument"),
        ),
        case(
            "charge without amount",
            |i| i.args(&["charge", &i.code(T0, 1, 0)]),
            Error("missing_argument"),
        ),
        case(
            "two codes",
            |i| {
                i.args(&[
                    "charge",
                    &i.code(T0, 1, 0),
                    &i.code(T0, 2, 0),
                    "--amount",
                    "1",
                ])
            },
            Error("extra_argument"),
        ),
        case(
            "link as a second argument",
            |i| i.args(&["verify", "1", &i.link]),
            Error("extra_argument"),
        ),
        case(
            "code given a link",
            |i| os(&["code", &i.link]),
            Error("extra_argument"),
        ),
        case(
            "time given a link",
            |i| i.args(&["verify", "1", "--at", &i.link]),
            Error("bad_value"),
        ),
        case(
            "time with a sign",
            |i| i.args(&["verify", "1", "--at", "-5"]),
            Error("bad_value"),
        ),
        case(
            "time past u64",
            |i| i.args(&["verify", "1", "--at", "99999999999999999999"]),
            Error("bad_value"),
        ),
        case(
            "time zone +25:00",
            |i| i.args(&["verify", "1", "--utc-offset", "+25:00"]),
            Error("bad_value"),
        ),
        case(
            "database in a missing folder",
            |i| os(&["verify", &i.code(T0, 1, 0), "--db", "/nonexistent/dir/x.db"]),
            Error("database"),
        ),
        // Amounts.
        case(
            "negative amount",
            |i| {
                i.args(&[
                    "charge",
                    &i.code(T0, 1, 0),
                    "--amount",
                    "-1",
                    "--at",
                    &at(T0),
                ])
            },
            Error("amount_negative"),
        ),
        case(
            "three decimals",
            |i| {
                i.args(&[
                    "charge",
                    &i.code(T0, 1, 0),
                    "--amount",
                    "1.234",
                    "--at",
                    &at(T0),
                ])
            },
            Error("amount_too_many_decimals"),
        ),
        case(
            "exponent",
            |i| {
                i.args(&[
                    "charge",
                    &i.code(T0, 1, 0),
                    "--amount",
                    "1e3",
                    "--at",
                    &at(T0),
                ])
            },
            Error("amount_not_a_number"),
        ),
        case(
            "NaN amount",
            |i| {
                i.args(&[
                    "charge",
                    &i.code(T0, 1, 0),
                    "--amount",
                    "NaN",
                    "--at",
                    &at(T0),
                ])
            },
            Error("amount_not_a_number"),
        ),
        case(
            "fullwidth amount",
            |i| {
                i.args(&[
                    "charge",
                    &i.code(T0, 1, 0),
                    "--amount",
                    "１２",
                    "--at",
                    &at(T0),
                ])
            },
            Error("amount_not_a_number"),
        ),
        case(
            "zero amount",
            |i| {
                i.args(&[
                    "charge",
                    &i.code(T0, 1, 0),
                    "--amount",
                    "0.00",
                    "--at",
                    &at(T0),
                ])
            },
            Error("amount_zero"),
        ),
        case(
            "empty amount",
            |i| i.args(&["charge", &i.code(T0, 1, 0), "--amount", "", "--at", &at(T0)]),
            Error("amount_empty"),
        ),
        case(
            "huge amount",
            |i| {
                i.args(&[
                    "charge",
                    &i.code(T0, 1, 0),
                    "--amount",
                    "100000000000",
                    "--at",
                    &at(T0),
                ])
            },
            Error("amount_too_large"),
        ),
        // Codes presented for a charge.
        case(
            "empty code",
            |i| i.args(&["charge", "", "--amount", "1", "--at", &at(T0)]),
            Rejected("malformed"),
        ),
        case(
            "spaced code",
            |i| {
                i.args(&[
                    "charge",
                    "1346 0541 9283 5061 71",
                    "--amount",
                    "1",
                    "--at",
                    &at(T0),
                ])
            },
            Rejected("malformed"),
        ),
        case(
            "15 digits",
            |i| {
                i.args(&[
                    "charge",
                    "134605419283506",
                    "--amount",
                    "1",
                    "--at",
                    &at(T0),
                ])
            },
            Rejected("malformed"),
        ),
        case(
            "payload out of range",
            |i| {
                i.args(&[
                    "charge",
                    "139999999999999999",
                    "--amount",
                    "1",
                    "--at",
                    &at(T0),
                ])
            },
            Rejected("malformed"),
        ),
        case(
            "prefix 09",
            |i| {
                i.args(&[
                    "charge",
                    "094605419283506171",
                    "--amount",
                    "1",
                    "--at",
                    &at(T0),
                ])
            },
            Rejected("unknown_prefix"),
        ),
        case(
            "prefix 14, no such cards",
            |i| {
                let code = format!("14{}", &i.code(T0, 1, 0)[2..]);
                i.args(&["charge", &code, "--amount", "1", "--at", &at(T0)])
            },
            Rejected("unknown_prefix"),
        ),
        case(
            "other token",
            |i| {
                let mut other = i.card.clone();
                other.token = (other.token + 1) % (1 << 20);
                let code = other.code_at(T0, 1, 0).expect("code").to_string();
                i.args(&["charge", &code, "--amount", "1", "--at", &at(T0)])
            },
            Rejected("unknown_card"),
        ),
        case(
            "17-digit code for an 18-digit card",
            |i| {
                let mut other = i.card.clone();
                other.layout.length = 17;
                let code = other.code_at(T0, 1, 0).expect("code").to_string();
                i.args(&["charge", &code, "--amount", "1", "--at", &at(T0)])
            },
            Rejected("unknown_card"),
        ),
        case(
            "wrong MAC digit",
            |i| i.args(&["charge", &wrong_mac(i), "--amount", "1", "--at", &at(T0)]),
            Rejected("bad_mac"),
        ),
        case(
            "replayed code",
            |i| {
                i.args(&[
                    "charge",
                    &i.code(T0, 0, 0),
                    "--amount",
                    "1",
                    "--at",
                    &at(T0 + 1),
                ])
            },
            Rejected("replayed"),
        ),
        case(
            "same step and swipe, other source",
            |i| {
                i.args(&[
                    "charge",
                    &i.code(T0, 0, 1),
                    "--amount",
                    "1",
                    "--at",
                    &at(T0 + 1),
                ])
            },
            Rejected("replayed"),
        ),
        case(
            "code from the step before",
            |i| {
                i.args(&[
                    "charge",
                    &i.code(T0 - 60, 5, 0),
                    "--amount",
                    "1",
                    "--at",
                    &at(T0),
                ])
            },
            Rejected("superseded"),
        ),
        case(
            "code five minutes old",
            |i| {
                i.args(&[
                    "charge",
                    &i.code(T0, 1, 0),
                    "--amount",
                    "1",
                    "--at",
                    &at(T0 + 300),
                ])
            },
            Rejected("expired"),
        ),
        case(
            "code from the future",
            |i| {
                i.args(&[
                    "charge",
                    &i.code(T0 + 300, 1, 0),
                    "--amount",
                    "1",
                    "--at",
                    &at(T0),
                ])
            },
            Rejected("expired"),
        ),
        case(
            "verify a wrong MAC",
            |i| i.args(&["verify", &wrong_mac(i), "--at", &at(T0)]),
            Rejected("bad_mac"),
        ),
        // PIN completion.
        case(
            "PIN for an unknown charge",
            |i| i.args(&["pin", "ch_000000000000000000000000"]),
            Error("unknown_charge"),
        ),
        case(
            "PIN for an approved charge",
            |i| i.args(&["pin", &i.charge_id]),
            Error("not_pending"),
        ),
        // Provisioning requests.
        case(
            "provision prefix 16",
            |i| i.args(&["provision", "--prefix", "16", "--at", &at(T0)]),
            Error("bad_prefix"),
        ),
        case(
            "provision length 30",
            |i| i.args(&["provision", "--length", "30", "--at", &at(T0)]),
            Error("bad_length"),
        ),
        case(
            "provision credit",
            |i| {
                i.args(&[
                    "provision",
                    "--funding",
                    "credit:VISA:1234",
                    "--at",
                    &at(T0),
                ])
            },
            Error("credit_refused"),
        ),
        case(
            "provision cash",
            |i| i.args(&["provision", "--funding", "cash", "--at", &at(T0)]),
            Error("bad_funding"),
        ),
        case(
            "provision nine sources",
            |i| {
                i.args(&[
                    "provision",
                    "--funding",
                    "balance,balance,balance,balance,balance,balance,balance,balance,balance",
                    "--at",
                    &at(T0),
                ])
            },
            Error("too_many_funding"),
        ),
        case(
            "provision period 5",
            |i| i.args(&["provision", "--period", "5", "--at", &at(T0)]),
            Error("bad_period"),
        ),
        case(
            "provision blank issuer",
            |i| i.args(&["provision", "--issuer", "  ", "--at", &at(T0)]),
            Error("bad_issuer"),
        ),
        case(
            "provision at time 0",
            |i| i.args(&["provision", "--at", "0"]),
            Error("bad_time"),
        ),
        // Links that hold the secret but are refused: nothing may echo it.
        case(
            "link with period 5",
            |i| {
                os(&[
                    "code",
                    "--link",
                    &edited_link(i, "period=60", "period=5"),
                    "--at",
                    &at(T0),
                ])
            },
            Error("bad_period"),
        ),
        case(
            "link with algorithm SHA1",
            |i| {
                os(&[
                    "code",
                    "--link",
                    &edited_link(i, "algorithm=SHA256", "algorithm=SHA1"),
                    "--at",
                    &at(T0),
                ])
            },
            Error("unsupported_algorithm"),
        ),
        case(
            "link with secret twice",
            |i| {
                os(&[
                    "code",
                    "--link",
                    &format!("{}&secret={}", i.link, i.card.secret.to_base32()),
                    "--at",
                    &at(T0),
                ])
            },
            Error("duplicate_field"),
        ),
        case(
            "link cut inside the secret",
            |i| {
                let b32 = i.card.secret.to_base32();
                let cut = edited_link(i, &b32, &b32[..b32.len() - 1]);
                os(&["code", "--link", &cut, "--at", &at(T0)])
            },
            Error("bad_base32"),
        ),
        case(
            "link with scheme https",
            |i| {
                os(&[
                    "code",
                    "--link",
                    &edited_link(i, "paycode://", "https://"),
                    "--at",
                    &at(T0),
                ])
            },
            Error("wrong_scheme"),
        ),
        case(
            "code swipe 16",
            |i| {
                os(&[
                    "code",
                    "--link",
                    &i.link,
                    "--swipe",
                    "16",
                    "--at",
                    &t0_str(),
                ])
            },
            Error("counter_out_of_range"),
        ),
        case(
            "code unknown source",
            |i| {
                os(&[
                    "code",
                    "--link",
                    &i.link,
                    "--funding",
                    "7",
                    "--at",
                    &t0_str(),
                ])
            },
            Error("bad_value"),
        ),
    ]
}

fn t0_str() -> String {
    at(T0)
}

#[test]
fn every_bad_command_line_gives_its_error_and_loses_nothing() {
    let cases = catalogue();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut names: Vec<_> = cases.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "case names are unique");

    let mut failures = Vec::new();
    for c in &cases {
        let issuer = Issuer::new();
        let before = issuer.snapshot();
        let out = run((c.args)(&issuer));
        let leaked = issuer
            .secret_spellings()
            .into_iter()
            .any(|s| out.stdout.contains(&s) || out.stderr.contains(&s));
        if leaked {
            failures.push(format!(
                "{}: the output shows the secret: {}",
                c.name, out.stdout
            ));
            continue;
        }
        let v = json(&out);
        let got = match (out.status, v["error"].as_str(), v["reason"].as_str()) {
            (1, Some(kind), _) => Some(Expect::Error(leak(kind))),
            (3, None, Some(reason)) => Some(Expect::Rejected(leak(reason))),
            _ => None,
        };
        let ok = match (got, c.expect) {
            (Some(Expect::Error(a)), Expect::Error(b)) => a == b,
            (Some(Expect::Rejected(a)), Expect::Rejected(b)) => a == b,
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{}: expected {:?}, got status {} {v}",
                c.name, c.expect, out.status
            ));
            continue;
        }
        assert!(
            v["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{}: no message: {v}",
            c.name
        );
        let after = issuer.snapshot();
        assert_eq!(after, before, "{}: the database changed", c.name);
        issuer.assert_still_works(c.name);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Kinds are a small closed set; leaking them keeps `Expect` `Copy`.
fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

// ---------------------------------------------------------------------------
// The merchant API (`paycode serve`, `/v1/`): each case gets a fresh card
// that has paid one payment (`T-paid`, 1.00) to a merchant of its own. A
// refused request changes nothing; a refused code is recorded as a FAILED
// payment and moves nothing, and the card still pays afterwards.

#[path = "server_support/mod.rs"]
mod server_support;

mod api {
    use super::server_support::Reply;
    use super::server_support::{self as support, DemoCard, Till};
    use paycode_issuer::server::{start, RunningServer};
    use std::path::PathBuf;

    pub(super) struct Server {
        _dir: tempfile::TempDir,
        pub db: PathBuf,
        pub till: Till,
        pub server: Option<RunningServer>,
    }

    /// How a case's request is authorised.
    #[derive(Clone)]
    pub(super) enum Auth {
        /// Signed now, with a fresh nonce, over exactly what is sent.
        Signed,
        None,
        /// This header value as is.
        Header(String),
    }

    #[derive(Clone)]
    pub(super) struct Request {
        pub method: hyper::Method,
        pub path: String,
        pub content_type: Option<&'static str>,
        pub body: String,
        pub auth: Auth,
    }

    impl Request {
        pub fn post(path: &str, body: impl Into<String>) -> Request {
            Request {
                method: hyper::Method::POST,
                path: path.into(),
                content_type: Some("application/json"),
                body: body.into(),
                auth: Auth::Signed,
            }
        }

        pub fn get(path: &str) -> Request {
            Request {
                method: hyper::Method::GET,
                path: path.into(),
                content_type: None,
                body: String::new(),
                auth: Auth::Signed,
            }
        }

        pub fn typed(mut self, content_type: Option<&'static str>) -> Request {
            self.content_type = content_type;
            self
        }

        pub fn auth(mut self, auth: Auth) -> Request {
            self.auth = auth;
            self
        }
    }

    impl Server {
        pub async fn start() -> Server {
            let dir = tempfile::tempdir().expect("temp dir");
            let config = support::config(&dir);
            let db = config
                .db
                .sqlite_path()
                .expect("the catalogue runs on SQLite")
                .to_owned();
            let server = start(config).await.expect("server starts");
            let till = Till::new(server.addr()).await;
            Server {
                _dir: dir,
                db,
                till,
                server: Some(server),
            }
        }

        pub fn addr(&self) -> std::net::SocketAddr {
            self.server.as_ref().expect("running").addr()
        }

        pub async fn send(&mut self, req: &Request) -> Reply {
            let mut headers = Vec::new();
            if let Some(t) = req.content_type {
                headers.push(("content-type", t));
            }
            let signed;
            match &req.auth {
                Auth::Signed => {
                    signed = self.till.sign(
                        req.method.as_str(),
                        &req.path,
                        &req.body,
                        support::now(),
                        &support::nonce(),
                    );
                    headers.push(("authorization", signed.as_str()));
                }
                Auth::Header(h) => headers.push(("authorization", h.as_str())),
                Auth::None => {}
            }
            self.till
                .client
                .send(req.method.clone(), &req.path, &headers, req.body.clone())
                .await
                .expect("the server answers")
        }

        /// Waits, if needed, so the next ~15 s stay inside one time step:
        /// some cases name codes relative to the step of their set-up.
        pub async fn new_card(&mut self) -> DemoCard {
            while support::now() % 60 > 45 {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
            // A merchant of its own, so every case may use the same numbers.
            self.till = Till::new(self.addr()).await;
            let mut card = support::new_card(self.addr()).await;
            let code = card.next(0);
            let paid = self.till.pay("T-paid", &code, "1.00").await.json();
            assert_eq!(paid["status"], "SUCCESS", "{paid}");
            card
        }

        fn rows(&self, sql: &str) -> Vec<String> {
            let conn = rusqlite::Connection::open(&self.db).expect("open db");
            let mut stmt = conn.prepare(sql).expect(sql);
            let found = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .expect(sql)
                .collect::<Result<Vec<_>, _>>()
                .expect(sql);
            found
        }

        /// Money, codes and locks: what no refusal may change.
        pub fn money(&self) -> Vec<Vec<String>> {
            vec![
                self.rows("SELECT journal || ':' || account || ':' || amount_fen FROM postings ORDER BY 1"),
                self.rows("SELECT token || ':' || day || ':' || approvals FROM allowance ORDER BY 1"),
                self.rows(
                    "SELECT token || ':' || COALESCE(last_step, '-') || ':' || \
                     COALESCE(last_counter, '-') FROM card_state ORDER BY 1",
                ),
                self.rows("SELECT token || ':' || merchant || ':' || locked_until FROM lockouts WHERE locked_until > 0 ORDER BY 1"),
                self.rows("SELECT id || ':' || status FROM payments WHERE status != 'FAILED' ORDER BY 1"),
                self.rows("SELECT id || ':' || amount_fen FROM refunds ORDER BY 1"),
                self.rows("SELECT id FROM merchants ORDER BY 1"),
            ]
        }

        /// Every payment (FAILED ones too) and every remembered nonce.
        pub fn records(&self) -> Vec<Vec<String>> {
            vec![
                self.rows("SELECT id || ':' || status FROM payments ORDER BY 1"),
                self.rows("SELECT merchant || ':' || nonce FROM nonces ORDER BY 1"),
            ]
        }

        pub fn failed_codes(&self) -> Vec<String> {
            self.rows("SELECT error FROM payments WHERE status = 'FAILED' ORDER BY created, rowid")
        }
    }
}

use api::{Auth, Request};
use server_support::DemoCard;

/// What a bad request must get.
enum Outcome {
    /// Refused as a request: this status and `error.code`; no payment and
    /// no nonce recorded unless `records` (a signed request the payment
    /// service refused keeps its nonce).
    Refused(u16, &'static str, bool),
    /// 200, a FAILED payment with this `error.code`, nothing moved.
    Failed(&'static str),
}

struct ApiCase {
    name: &'static str,
    request: fn(&mut DemoCard) -> Request,
    outcome: Outcome,
}

fn api_case(
    name: &'static str,
    request: fn(&mut DemoCard) -> Request,
    outcome: Outcome,
) -> ApiCase {
    ApiCase {
        name,
        request,
        outcome,
    }
}

fn pay_body(out_trade_no: &str, code: &str, amount: &str) -> String {
    server_support::pay_body(out_trade_no, code, amount)
}

fn pay(body: String) -> Request {
    Request::post("/v1/payments", body)
}

/// A request refused before it reached the payment service.
fn refused(status: u16, code: &'static str) -> Outcome {
    Outcome::Refused(status, code, false)
}

fn api_catalogue() -> Vec<ApiCase> {
    use serde_json::json;
    vec![
        // Authentication: 401, nothing recorded.
        api_case(
            "no Authorization",
            |c| pay(pay_body("T-1", &c.next(0), "1.00")).auth(Auth::None),
            refused(401, "UNAUTHORIZED"),
        ),
        api_case(
            "Authorization garbage",
            |c| {
                pay(pay_body("T-1", &c.next(0), "1.00"))
                    .auth(Auth::Header("Basic dXNlcjpwYXNz".into()))
            },
            refused(401, "UNAUTHORIZED"),
        ),
        api_case(
            "signature of another body",
            |c| {
                let code = c.next(0);
                let mut header = String::from("PAYCODE-HMAC-SHA256 merchant=m_0000000000000000,ts=1,nonce=aaaaaaaaaaaaaaaa,sig=");
                header.push_str(&"0".repeat(64));
                pay(pay_body("T-1", &code, "1.00")).auth(Auth::Header(header))
            },
            refused(401, "UNAUTHORIZED"),
        ),
        // How the body is sent.
        api_case(
            "text/plain body",
            |c| pay(pay_body("T-1", &c.next(0), "1.00")).typed(Some("text/plain")),
            refused(415, "UNSUPPORTED_MEDIA_TYPE"),
        ),
        api_case(
            "no content type",
            |c| pay(pay_body("T-1", &c.next(0), "1.00")).typed(None),
            refused(415, "UNSUPPORTED_MEDIA_TYPE"),
        ),
        api_case(
            "not JSON",
            |_| pay("out_trade_no=T-1".into()),
            refused(400, "INVALID_REQUEST"),
        ),
        api_case(
            "truncated JSON",
            |_| pay("{\"out_trade_no\":\"T-1\"".into()),
            refused(400, "INVALID_REQUEST"),
        ),
        api_case(
            "empty body",
            |_| pay(String::new()),
            refused(400, "INVALID_REQUEST"),
        ),
        api_case(
            "JSON array",
            |_| pay("[1,2]".into()),
            refused(400, "INVALID_REQUEST"),
        ),
        api_case(
            "body over 4 KiB",
            |_| pay(format!("{{\"x\":\"{}\"}}", "a".repeat(5000))),
            refused(413, "BODY_TOO_LARGE"),
        ),
        // Fields.
        api_case(
            "no auth_code",
            |_| {
                pay(json!({"out_trade_no": "T-1", "amount": "1.00", "currency": "CNY"}).to_string())
            },
            refused(400, "INVALID_REQUEST"),
        ),
        api_case(
            "no amount",
            |c| {
                pay(
                    json!({"out_trade_no": "T-1", "auth_code": c.next(0), "currency": "CNY"})
                        .to_string(),
                )
            },
            refused(400, "INVALID_REQUEST"),
        ),
        api_case(
            "unknown field merchant",
            |c| {
                pay(json!({"out_trade_no": "T-1", "auth_code": c.next(0), "amount": "1.00", "currency": "CNY", "merchant": "m_x"}).to_string())
            },
            refused(400, "INVALID_REQUEST"),
        ),
        api_case(
            "amount as a JSON number",
            |c| {
                pay(json!({"out_trade_no": "T-1", "auth_code": c.next(0), "amount": 1.5, "currency": "CNY"}).to_string())
            },
            refused(400, "INVALID_REQUEST"),
        ),
        api_case(
            "auth_code as a number",
            |_| {
                pay("{\"out_trade_no\":\"T-1\",\"auth_code\":134605419283506171,\"amount\":\"1\",\"currency\":\"CNY\"}".into())
            },
            refused(400, "INVALID_REQUEST"),
        ),
        api_case(
            "out_trade_no with a dot",
            |c| pay(pay_body("T.1", &c.next(0), "1.00")),
            refused(400, "INVALID_REQUEST"),
        ),
        api_case(
            "out_trade_no of 33",
            |c| pay(pay_body(&"T".repeat(33), &c.next(0), "1.00")),
            refused(400, "INVALID_REQUEST"),
        ),
        api_case(
            "empty out_trade_no",
            |c| pay(pay_body("", &c.next(0), "1.00")),
            refused(400, "INVALID_REQUEST"),
        ),
        api_case(
            "auth_code of 65 digits",
            |_| pay(pay_body("T-1", &"1".repeat(65), "1.00")),
            refused(400, "INVALID_REQUEST"),
        ),
        api_case(
            "description of 129",
            |c| {
                pay(json!({"out_trade_no": "T-1", "auth_code": c.next(0), "amount": "1.00", "currency": "CNY", "description": "d".repeat(129)}).to_string())
            },
            refused(400, "INVALID_REQUEST"),
        ),
        api_case(
            "description with a newline",
            |c| {
                pay(json!({"out_trade_no": "T-1", "auth_code": c.next(0), "amount": "1.00", "currency": "CNY", "description": "a\nb"}).to_string())
            },
            refused(400, "INVALID_REQUEST"),
        ),
        api_case(
            "negative amount",
            |c| pay(pay_body("T-1", &c.next(0), "-1.00")),
            refused(422, "AMOUNT_INVALID"),
        ),
        api_case(
            "amount zero",
            |c| pay(pay_body("T-1", &c.next(0), "0")),
            refused(422, "AMOUNT_INVALID"),
        ),
        api_case(
            "three decimals",
            |c| pay(pay_body("T-1", &c.next(0), "1.001")),
            refused(422, "AMOUNT_INVALID"),
        ),
        api_case(
            "amount too large",
            |c| pay(pay_body("T-1", &c.next(0), "100000000")),
            refused(422, "AMOUNT_INVALID"),
        ),
        api_case(
            "amount text",
            |c| pay(pay_body("T-1", &c.next(0), "ten")),
            refused(422, "AMOUNT_INVALID"),
        ),
        // Idempotency.
        api_case(
            "T-paid with another amount",
            |c| pay(pay_body("T-paid", &c.next(0), "2.00")),
            Outcome::Refused(409, "OUT_TRADE_NO_CONFLICT", true),
        ),
        // Codes: a FAILED payment, nothing moved.
        api_case(
            "currency USD",
            |c| {
                pay(json!({"out_trade_no": "T-1", "auth_code": c.next(0), "amount": "1.00", "currency": "USD"}).to_string())
            },
            Outcome::Failed("CURRENCY_UNSUPPORTED"),
        ),
        api_case(
            "empty code",
            |_| pay(pay_body("T-1", "", "1.00")),
            refused(400, "INVALID_REQUEST"),
        ),
        api_case(
            "link sent as the code",
            |_| pay(pay_body("T-1", "paycode:x", "1.00")),
            Outcome::Failed("AUTH_CODE_INVALID"),
        ),
        api_case(
            "code of another scheme",
            |_| pay(pay_body("T-1", "281234567890123456", "1.00")),
            Outcome::Failed("AUTH_CODE_INVALID"),
        ),
        api_case(
            "other token",
            |c| {
                let mut other = c.card.clone();
                other.token = (other.token + 1) % (1 << 20);
                pay(pay_body(
                    "T-1",
                    &other
                        .code_at(server_support::now(), 2, 0)
                        .expect("code")
                        .to_string(),
                    "1.00",
                ))
            },
            Outcome::Failed("AUTH_CODE_INVALID"),
        ),
        api_case(
            "wrong MAC digit",
            |c| {
                pay(pay_body(
                    "T-1",
                    &server_support::wrong_mac(&c.next(0)),
                    "1.00",
                ))
            },
            Outcome::Failed("AUTH_CODE_INVALID"),
        ),
        api_case(
            "replayed code",
            |c| {
                let (_, counter) = c.last.expect("set-up paid");
                let code = c
                    .card
                    .code_at(server_support::now(), counter, 0)
                    .expect("code");
                pay(pay_body("T-1", &code.to_string(), "1.00"))
            },
            Outcome::Failed("AUTH_CODE_USED"),
        ),
        api_case(
            "code five minutes old",
            |c| {
                pay(pay_body(
                    "T-1",
                    &c.card
                        .code_at(server_support::now() - 300, 5, 0)
                        .expect("code")
                        .to_string(),
                    "1.00",
                ))
            },
            Outcome::Failed("AUTH_CODE_EXPIRED"),
        ),
        // Query, reverse, refund.
        api_case(
            "query of an unknown out_trade_no",
            |_| Request::get("/v1/payments/T-none"),
            Outcome::Refused(404, "NOT_FOUND", true),
        ),
        api_case(
            "query with a bad out_trade_no",
            |_| Request::get("/v1/payments/T%2E1"),
            refused(400, "INVALID_REQUEST"),
        ),
        api_case(
            "query with a non-UTF-8 out_trade_no",
            |_| Request::get("/v1/payments/T%FF"),
            refused(400, "INVALID_REQUEST"),
        ),
        api_case(
            "reverse with a body field",
            |_| Request::post("/v1/payments/T-paid/reverse", "{\"why\":1}"),
            refused(400, "INVALID_REQUEST"),
        ),
        api_case(
            "refund of an unknown payment",
            |_| {
                Request::post(
                    "/v1/refunds",
                    json!({"out_trade_no": "T-none", "out_refund_no": "R-1", "amount": "1.00"})
                        .to_string(),
                )
            },
            Outcome::Refused(404, "NOT_FOUND", true),
        ),
        api_case(
            "refund above the amount",
            |_| {
                Request::post(
                    "/v1/refunds",
                    json!({"out_trade_no": "T-paid", "out_refund_no": "R-1", "amount": "1.01"})
                        .to_string(),
                )
            },
            Outcome::Refused(422, "REFUND_EXCEEDS_PAID", true),
        ),
        api_case(
            "refund amount zero",
            |_| {
                Request::post(
                    "/v1/refunds",
                    json!({"out_trade_no": "T-paid", "out_refund_no": "R-1", "amount": "0.00"})
                        .to_string(),
                )
            },
            refused(422, "AMOUNT_INVALID"),
        ),
        api_case(
            "refund without out_refund_no",
            |_| {
                Request::post(
                    "/v1/refunds",
                    json!({"out_trade_no": "T-paid", "amount": "0.50"}).to_string(),
                )
            },
            refused(400, "INVALID_REQUEST"),
        ),
        // Routes.
        api_case(
            "GET on payments",
            |_| Request::get("/v1/payments"),
            refused(404, "NOT_FOUND"),
        ),
        api_case(
            "unknown v1 path",
            |_| Request::get("/v1/secret"),
            refused(404, "NOT_FOUND"),
        ),
        api_case(
            "the old charge route",
            |c| {
                Request::post(
                    "/api/charge",
                    json!({"code": c.next(0), "amount": "1"}).to_string(),
                )
                .auth(Auth::None)
            },
            Outcome::Refused(404, "not_found", false),
        ),
    ]
}

#[test]
fn every_bad_api_request_gives_its_error_and_loses_nothing() {
    let cases = api_catalogue();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let mut server = api::Server::start().await;
        let mut failures = Vec::new();
        for c in &cases {
            let mut card = server.new_card().await;
            let request = (c.request)(&mut card);
            let (money, records) = (server.money(), server.records());
            let reply = server.send(&request).await;
            let text = String::from_utf8_lossy(&reply.body).into_owned();
            let v = reply.json();
            let b32 = card.card.secret.to_base32();
            if text.contains(&b32) || text.contains(&b32.to_lowercase()) {
                failures.push(format!("{}: the answer shows the key: {text}", c.name));
                continue;
            }
            // `/api/` errors are {"error": KIND}, `/v1/` ones {"error": {"code"}}.
            let code = v["error"]["code"].as_str().or(v["error"].as_str());
            match c.outcome {
                Outcome::Refused(status, expected, records_kept) => {
                    if reply.status != status || code != Some(expected) {
                        failures.push(format!(
                            "{}: expected {status} {expected}, got {} {text}",
                            c.name, reply.status
                        ));
                        continue;
                    }
                    let message = v["error"]["message"].as_str().or(v["message"].as_str());
                    if message.is_none_or(str::is_empty) {
                        failures.push(format!("{}: no message: {text}", c.name));
                    }
                    let after = server.records();
                    if !records_kept && after != records {
                        failures.push(format!("{}: recorded something", c.name));
                    }
                    if records_kept && after[0] != records[0] {
                        failures.push(format!("{}: recorded a payment", c.name));
                    }
                }
                Outcome::Failed(expected) => {
                    if reply.status != 200
                        || v["status"] != "FAILED"
                        || v["error"]["code"] != expected
                    {
                        failures.push(format!(
                            "{}: expected FAILED {expected}, got {} {text}",
                            c.name, reply.status
                        ));
                        continue;
                    }
                    if server.failed_codes().last().map(String::as_str) != Some(expected) {
                        failures.push(format!("{}: the FAILED payment is not recorded", c.name));
                    }
                }
            }
            assert_eq!(server.money(), money, "{}: money or codes moved", c.name);
            // The card still pays: its next code is accepted.
            let after = server
                .till
                .pay(&format!("T-after-{}", card.token), &card.next(0), "1.00")
                .await
                .json();
            assert_eq!(after["status"], "SUCCESS", "{}: {after}", c.name);
        }
        server_support::assert_ledger_clean(&server.db);
        if let Some(s) = server.server.take() {
            s.shutdown().await.expect("clean shutdown");
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    });
}

/// Everything the issuer prints about a card, in both formats, and every
/// refusal a bad code gets: none shows the card's key in any spelling.
#[test]
fn nothing_the_issuer_prints_shows_the_key() {
    use paycode_issuer::provision::{provision, NewCard};
    use paycode_issuer::store::{MemoryStore, SqliteStore};
    use paycode_issuer::verifier::{ChargeRequest, Verifier, VerifierConfig};
    use paycode_wallet::core::code::Layout;

    let mut store = MemoryStore::new();
    let record = provision(
        &mut store,
        NewCard {
            issuer: "Demo Bank".into(),
            layout: Layout::DEFAULT,
            period: 60,
            funding: vec![paycode_wallet::core::funding::Funding::Balance],
            at: T0,
            fall_through: false,
        },
    )
    .expect("provision");
    let key = record.secret.as_bytes().to_vec();
    let b32 = paycode_wallet::core::secret::Secret::from_bytes(key.clone()).to_base32();
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let decimal = format!("{key:?}");
    let spellings = [
        b32.clone(),
        b32.to_lowercase(),
        hex.clone(),
        hex.to_uppercase(),
        decimal[1..decimal.len() / 2].to_owned(),
    ];

    let mut verifier = Verifier::new(store, VerifierConfig::default());
    let mut shown = vec![
        format!("{record:?} {record:#?} {:?}", record.secret),
        format!("{verifier:?}"),
        format!("{:?}", SqliteStore::open_in_memory().expect("sqlite")),
    ];
    let card = Card {
        issuer: record.issuer.clone(),
        layout: Layout::DEFAULT,
        token: record.key.token,
        secret: paycode_wallet::core::secret::Secret::from_bytes(key.clone()),
        period: 60,
        issued_at: T0,
        funding: vec![paycode_wallet::core::funding::Funding::Balance],
        api: None,
    };
    let good = card.code_at(T0, 0, 0).expect("code").to_string();
    let mut bad = good.clone().into_bytes();
    bad[17] = if bad[17] == b'9' { b'0' } else { bad[17] + 1 };
    let bad = String::from_utf8(bad).expect("digits");
    for (code, at) in [(&bad, T0), (&good, T0 + 600), (&good, T0), (&good, T0)] {
        let outcome = verifier
            .charge(&ChargeRequest {
                code,
                amount: paycode_issuer::money::Fen::from_yuan(1, 0),
                now: at,
                merchant: None,
            })
            .expect("memory store");
        shown.push(format!("{outcome:?} {outcome:#?}"));
        if let paycode_issuer::verifier::ChargeOutcome::Rejected(r) = &outcome {
            shown.push(r.to_string());
        }
    }
    for text in &shown {
        for s in &spellings {
            assert!(!text.contains(s.as_str()), "{s} in {text}");
        }
    }
    // The control: the link does spell the key.
    assert!(card.to_link().contains(&b32));
}
