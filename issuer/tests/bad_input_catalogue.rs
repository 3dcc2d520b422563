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
// The HTTP API (`paycode serve`): each case gets a fresh card with one
// approved charge (swipe 0) and one charge waiting for the PIN (swipe 1).

mod api {
    use super::*;
    use std::net::SocketAddr;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use paycode_issuer::server::client::{ApiClient, Reply};
    use paycode_issuer::server::{start, RateLimit, RunningServer, ServerConfig};
    use serde_json::json;

    pub(super) fn now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }

    pub(super) struct Server {
        _dir: tempfile::TempDir,
        pub db: PathBuf,
        pub client: ApiClient,
        pub server: Option<RunningServer>,
    }

    /// One card of this server, provisioned through the API.
    pub(super) struct ApiCard {
        pub card: Card,
        pub approved: String,
        pub pending: String,
    }

    impl Server {
        pub async fn start() -> Server {
            let dir = tempfile::tempdir().expect("temp dir");
            let www = dir.path().join("www");
            std::fs::create_dir(&www).expect("www");
            let db = dir.path().join("api.db");
            let mut config =
                ServerConfig::new(SocketAddr::from(([127, 0, 0, 1], 0)), db.clone(), www);
            config.charge_rate = RateLimit::OFF;
            let server = start(config).await.expect("server starts");
            let client = ApiClient::new(server.addr());
            Server {
                _dir: dir,
                db,
                client,
                server: Some(server),
            }
        }

        pub async fn send(&mut self, req: &Request) -> Reply {
            self.client
                .request(
                    req.method.clone(),
                    &req.path,
                    req.content_type,
                    req.body.clone(),
                )
                .await
                .expect("the server answers")
        }

        pub async fn charge(&mut self, code: &str, amount: &str) -> Reply {
            let body = json!({ "code": code, "amount": amount }).to_string();
            self.send(&Request::post("/api/charge", body)).await
        }

        /// Waits, if needed, so the next ~15 s stay inside one time step:
        /// the cases name codes relative to the step of their set-up.
        pub async fn new_card(&mut self) -> ApiCard {
            while now() % 60 > 45 {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            let reply = self.send(&Request::post("/api/cards", "")).await;
            assert_eq!(reply.status, 200, "{:?}", reply.body);
            let link = reply.json()["link"].as_str().expect("link").to_owned();
            let card = Card::from_link(&link).expect("link reads");
            let t = now();
            let first = card.code_at(t, 0, 0).expect("code").to_string();
            let approved = self.charge(&first, "1.00").await.json();
            assert_eq!(approved["result"], "approved", "{approved}");
            let second = card.code_at(t, 1, 0).expect("code").to_string();
            let pending = self.charge(&second, "999.00").await.json();
            assert_eq!(pending["result"], "pin_required", "{pending}");
            ApiCard {
                card,
                approved: approved["charge_id"].as_str().expect("id").to_owned(),
                pending: pending["charge_id"].as_str().expect("id").to_owned(),
            }
        }

        /// Charges, charge states, approvals and every card's state.
        pub fn snapshot(&self) -> Snapshot {
            let conn = rusqlite::Connection::open(&self.db).expect("open db");
            let rows = |sql: &str| -> Vec<String> {
                let mut stmt = conn.prepare(sql).expect(sql);
                let found = stmt
                    .query_map([], |r| r.get::<_, String>(0))
                    .expect(sql)
                    .collect::<Result<Vec<_>, _>>()
                    .expect(sql);
                found
            };
            Snapshot {
                cards: rows("SELECT prefix || ':' || token FROM cards ORDER BY 1"),
                charges: rows("SELECT id || ':' || status FROM charges ORDER BY 1"),
                approvals: rows(
                    "SELECT token || ':' || day || ':' || approvals FROM allowance ORDER BY 1",
                ),
                states: rows(
                    "SELECT token || ':' || COALESCE(last_step, '-') || ':' || \
                     COALESCE(last_counter, '-') || ':' || COALESCE((SELECT l.locked_until FROM lockouts l WHERE l.prefix = card_state.prefix AND l.token = card_state.token AND l.merchant = ''), 0) FROM card_state ORDER BY 1",
                ),
            }
        }
    }

    #[derive(Debug, PartialEq)]
    pub(super) struct Snapshot {
        cards: Vec<String>,
        charges: Vec<String>,
        approvals: Vec<String>,
        states: Vec<String>,
    }

    #[derive(Clone)]
    pub(super) struct Request {
        pub method: hyper::Method,
        pub path: String,
        pub content_type: Option<&'static str>,
        pub body: Vec<u8>,
    }

    impl Request {
        pub fn post(path: &str, body: impl Into<Vec<u8>>) -> Request {
            Request {
                method: hyper::Method::POST,
                path: path.into(),
                content_type: Some("application/json"),
                body: body.into(),
            }
        }

        pub fn get(path: &str) -> Request {
            Request {
                method: hyper::Method::GET,
                path: path.into(),
                content_type: None,
                body: Vec::new(),
            }
        }

        pub fn typed(mut self, content_type: Option<&'static str>) -> Request {
            self.content_type = content_type;
            self
        }

        pub fn method(mut self, method: hyper::Method) -> Request {
            self.method = method;
            self
        }
    }
}

use api::{ApiCard, Request};

struct ApiCase {
    name: &'static str,
    request: fn(&ApiCard) -> Request,
    status: u16,
    kind: &'static str,
}

fn api_case(
    name: &'static str,
    request: fn(&ApiCard) -> Request,
    status: u16,
    kind: &'static str,
) -> ApiCase {
    ApiCase {
        name,
        request,
        status,
        kind,
    }
}

fn charge_body(code: &str, amount: serde_json::Value) -> Vec<u8> {
    serde_json::json!({ "code": code, "amount": amount })
        .to_string()
        .into_bytes()
}

/// A fresh code of the card (swipe 2, not yet used) at the set-up's step.
fn fresh(c: &ApiCard) -> String {
    c.card.code_at(api::now(), 2, 0).expect("code").to_string()
}

fn charge(body: Vec<u8>) -> Request {
    Request::post("/api/charge", body)
}

fn api_catalogue() -> Vec<ApiCase> {
    use serde_json::json;
    vec![
        // How the body is sent.
        api_case(
            "text/plain body",
            |c| charge(charge_body(&fresh(c), json!("1"))).typed(Some("text/plain")),
            415,
            "unsupported_media_type",
        ),
        api_case(
            "no content type",
            |c| charge(charge_body(&fresh(c), json!("1"))).typed(None),
            415,
            "unsupported_media_type",
        ),
        api_case(
            "form-encoded body",
            |c| {
                charge(format!("code={}&amount=1", fresh(c)).into_bytes())
                    .typed(Some("application/x-www-form-urlencoded"))
            },
            415,
            "unsupported_media_type",
        ),
        api_case(
            "truncated JSON",
            |c| charge(format!("{{\"code\":\"{}\",\"amount\":", fresh(c)).into_bytes()),
            400,
            "malformed_json",
        ),
        api_case(
            "not JSON",
            |_| charge(b"\xff\xfe\x00".to_vec()),
            400,
            "malformed_json",
        ),
        api_case("empty body", |_| charge(Vec::new()), 400, "malformed_json"),
        // Not JSON although a value of the wrong type comes first: the
        // syntax decides (a typed decode alone stops at the wrong type).
        api_case(
            "a number, then text",
            |_| charge(b"5 x".to_vec()),
            400,
            "malformed_json",
        ),
        api_case(
            "truncated after a wrong-typed field",
            |_| charge(br#"{"code":5"#.to_vec()),
            400,
            "malformed_json",
        ),
        api_case(
            "truncated array",
            |_| charge(b"[1,".to_vec()),
            400,
            "malformed_json",
        ),
        api_case(
            "PIN body truncated after a wrong-typed field",
            |c| Request::post(&format!("/api/charge/{}/pin", c.pending), r#"{"pin":5"#),
            400,
            "malformed_json",
        ),
        api_case(
            "body over 4 KiB",
            |c| {
                charge(charge_body(
                    &format!("{}{}", fresh(c), " ".repeat(5000)),
                    json!("1"),
                ))
            },
            413,
            "body_too_large",
        ),
        // The shape of the JSON.
        api_case(
            "JSON string",
            |c| charge(json!(fresh(c)).to_string().into_bytes()),
            422,
            "invalid_fields",
        ),
        api_case(
            "no amount",
            |c| charge(json!({ "code": fresh(c) }).to_string().into_bytes()),
            422,
            "invalid_fields",
        ),
        api_case(
            "JSON array",
            |_| charge(b"[1, 2]".to_vec()),
            422,
            "invalid_fields",
        ),
        api_case(
            "code as a number, the object complete",
            |_| charge(br#"{"code":5,"amount":"1"}"#.to_vec()),
            422,
            "invalid_fields",
        ),
        api_case(
            "code as a number",
            |_| charge(b"{\"code\":134605419283506171,\"amount\":\"1\"}".to_vec()),
            422,
            "invalid_fields",
        ),
        api_case(
            "code given twice",
            |c| {
                charge(
                    format!(
                        "{{\"code\":\"{0}\",\"code\":\"{0}\",\"amount\":\"1\"}}",
                        fresh(c)
                    )
                    .into_bytes(),
                )
            },
            422,
            "invalid_fields",
        ),
        // Amounts.
        api_case(
            "negative amount",
            |c| charge(charge_body(&fresh(c), json!("-1"))),
            422,
            "amount_negative",
        ),
        api_case(
            "amount zero",
            |c| charge(charge_body(&fresh(c), json!(0))),
            422,
            "amount_zero",
        ),
        api_case(
            "amount 1.234",
            |c| charge(charge_body(&fresh(c), json!("1.234"))),
            422,
            "amount_too_many_decimals",
        ),
        api_case(
            "amount true",
            |c| charge(charge_body(&fresh(c), json!(true))),
            422,
            "amount_not_a_number",
        ),
        api_case(
            "amount NaN text",
            |c| charge(charge_body(&fresh(c), json!("NaN"))),
            422,
            "amount_not_a_number",
        ),
        api_case(
            "amount 10^12 yuan",
            |c| charge(charge_body(&fresh(c), json!("1000000000000"))),
            422,
            "amount_too_large",
        ),
        api_case(
            "merchant with a newline",
            |c| {
                charge(
                    json!({ "code": fresh(c), "amount": "1", "merchant": "Shop\nX" })
                        .to_string()
                        .into_bytes(),
                )
            },
            422,
            "bad_merchant",
        ),
        // Codes.
        api_case(
            "empty code",
            |_| charge(charge_body("", json!("1"))),
            422,
            "malformed",
        ),
        api_case(
            "link sent as the code",
            |c| charge(charge_body(&c.card.to_link(), json!("1"))),
            422,
            "malformed",
        ),
        api_case(
            "payload out of range",
            |_| charge(charge_body("139999999999999999", json!("1"))),
            422,
            "malformed",
        ),
        api_case(
            "prefix 09",
            |_| charge(charge_body("094605419283506171", json!("1"))),
            422,
            "unknown_prefix",
        ),
        api_case(
            "other token",
            |c| {
                let mut other = c.card.clone();
                other.token = (other.token + 1) % (1 << 20);
                charge(charge_body(
                    &other.code_at(api::now(), 2, 0).expect("code").to_string(),
                    json!("1"),
                ))
            },
            404,
            "unknown_card",
        ),
        api_case(
            "wrong MAC digit",
            |c| {
                let mut code = fresh(c).into_bytes();
                let last = code.len() - 1;
                code[last] = if code[last] == b'9' {
                    b'0'
                } else {
                    code[last] + 1
                };
                charge(charge_body(
                    &String::from_utf8(code).expect("digits"),
                    json!("1"),
                ))
            },
            422,
            "bad_mac",
        ),
        api_case(
            "replayed code",
            |c| {
                charge(charge_body(
                    &c.card.code_at(api::now(), 1, 0).expect("code").to_string(),
                    json!("1"),
                ))
            },
            409,
            "replayed",
        ),
        api_case(
            "code from the step before",
            |c| {
                charge(charge_body(
                    &c.card
                        .code_at(api::now() - 60, 9, 0)
                        .expect("code")
                        .to_string(),
                    json!("1"),
                ))
            },
            409,
            "superseded",
        ),
        api_case(
            "code five minutes old",
            |c| {
                charge(charge_body(
                    &c.card
                        .code_at(api::now() - 300, 2, 0)
                        .expect("code")
                        .to_string(),
                    json!("1"),
                ))
            },
            422,
            "expired",
        ),
        // PIN completion.
        api_case(
            "PIN for an unknown charge",
            |_| {
                Request::post(
                    "/api/charge/ch_000000000000000000000000/pin",
                    "{\"pin\":\"123456\"}",
                )
            },
            404,
            "unknown_charge",
        ),
        api_case(
            "PIN for a charge id of the wrong form",
            |_| Request::post("/api/charge/..%2F..%2Fetc/pin", "{\"pin\":\"123456\"}"),
            404,
            "unknown_charge",
        ),
        api_case(
            "PIN for an approved charge",
            |c| {
                Request::post(
                    &format!("/api/charge/{}/pin", c.approved),
                    "{\"pin\":\"123456\"}",
                )
            },
            409,
            "not_pending",
        ),
        api_case(
            "PIN as a number",
            |c| {
                Request::post(
                    &format!("/api/charge/{}/pin", c.pending),
                    "{\"pin\":123456}",
                )
            },
            422,
            "invalid_fields",
        ),
        api_case(
            "PIN of 5 digits",
            |c| {
                Request::post(
                    &format!("/api/charge/{}/pin", c.pending),
                    "{\"pin\":\"12345\"}",
                )
            },
            422,
            "bad_pin",
        ),
        // History and routing.
        api_case(
            "history of an unknown token",
            |c| {
                Request::get(&format!(
                    "/api/cards/{}/history",
                    (c.card.token + 1) % (1 << 20)
                ))
            },
            404,
            "unknown_card",
        ),
        api_case(
            "history token not a number",
            |_| Request::get("/api/cards/12ab/history"),
            404,
            "unknown_card",
        ),
        api_case(
            "history token not UTF-8",
            |_| Request::get("/api/cards/%FF%FE/history"),
            404,
            "unknown_card",
        ),
        api_case(
            "PIN for a charge id not UTF-8",
            |_| Request::post("/api/charge/ch_%FF/pin", "{\"pin\":\"123456\"}"),
            404,
            "unknown_charge",
        ),
        api_case(
            "history prefix 16",
            |c| Request::get(&format!("/api/cards/{}/history?prefix=16", c.card.token)),
            422,
            "bad_prefix",
        ),
        api_case(
            "history limit not a number",
            |c| Request::get(&format!("/api/cards/{}/history?limit=x", c.card.token)),
            422,
            "bad_query",
        ),
        api_case(
            "unknown API path",
            |_| Request::get("/api/secret"),
            404,
            "not_found",
        ),
        api_case(
            "PUT on charge",
            |c| charge(charge_body(&fresh(c), json!("1"))).method(hyper::Method::PUT),
            405,
            "method_not_allowed",
        ),
        api_case(
            "PUT on /api/",
            |_| Request::post("/api/", "{}").method(hyper::Method::PUT),
            404,
            "not_found",
        ),
    ]
}

#[test]
fn every_bad_api_request_gives_its_error_and_loses_nothing() {
    let cases = api_catalogue();
    assert!(cases.len() >= 35, "{} cases", cases.len());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let mut server = api::Server::start().await;
        let mut failures = Vec::new();
        for c in &cases {
            let card = server.new_card().await;
            let before = server.snapshot();
            let reply = server.send(&(c.request)(&card)).await;
            let text = String::from_utf8_lossy(&reply.body).into_owned();
            let v = reply.json();
            let b32 = card.card.secret.to_base32();
            if text.contains(&b32) || text.contains(&b32.to_lowercase()) {
                failures.push(format!("{}: the answer shows the key: {text}", c.name));
                continue;
            }
            if reply.status != c.status || v["error"] != c.kind {
                failures.push(format!(
                    "{}: expected {} {}, got {} {text}",
                    c.name, c.status, c.kind, reply.status
                ));
                continue;
            }
            if v["message"].as_str().is_none_or(str::is_empty) {
                failures.push(format!("{}: no message: {text}", c.name));
            }
            if v["result"] == "rejected" && v["reason"] != c.kind {
                failures.push(format!("{}: reason differs from error: {text}", c.name));
            }
            assert_eq!(
                server.snapshot(),
                before,
                "{}: the database changed",
                c.name
            );
            // The card still pays: its next fresh code is approved.
            let next = card
                .card
                .code_at(api::now(), 3, 1)
                .expect("code")
                .to_string();
            let after = server.charge(&next, "1.00").await.json();
            assert_eq!(after["result"], "approved", "{}: {after}", c.name);
        }
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
