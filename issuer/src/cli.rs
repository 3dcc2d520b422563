//! The `paycode` command line, kept out of `main` so tests can drive it.
//!
//! Every command prints one JSON object on stdout. Errors that stop a
//! command before it reaches a decision print `{"error": KIND, "message":
//! TEXT}` on stdout as well and exit with status 1.

mod activation;
mod admin;
mod args;
mod audit;
mod card;
mod ledger;
mod merchant;
mod payment;
mod rekey;
mod serve;
mod till;

use paycode_wallet::core::code::Layout;
use paycode_wallet::core::funding::Funding;
use paycode_wallet::core::link::Card;
use paycode_wallet::core::secret::Secret;
use serde_json::{json, Value};

use crate::allowance::UtcOffset;
use crate::money::parse_amount;
use crate::provision::{provision_expiring, NewCard};
use crate::store::{AnyStore, DbLocation};
use crate::verifier::{
    ChargeOutcome, ChargeRequest, FundingUsed, ValidCode, Verifier, VerifierConfig, VerifyOutcome,
};
pub use args::ArgError;
use paycode_wallet::core::limits::DEFAULT_PERIOD;

/// Exit statuses.
pub mod status {
    pub const APPROVED: i32 = 0;
    /// Also: any command other than charge/verify that succeeded.
    pub const OK: i32 = 0;
    pub const ERROR: i32 = 1;
    pub const PIN_REQUIRED: i32 = 2;
    pub const REJECTED: i32 = 3;
}

pub const HELP: &str = "\
paycode — reference issuer for dynamic payment codes

USAGE (from the repository root):
  cargo run --release --bin paycode -- COMMAND [OPTIONS]

COMMANDS
  provision [--prefix 13] [--length 18] [--funding balance,debit:BANK:1234]
            [--issuer NAME] [--period 60] [--at UNIX_SECONDS]
            [--fall-through yes|no] [--api https://ISSUER-ORIGIN]
            [--expires UNIX_SECONDS]
            [--activation https://ISSUER-ORIGIN]
      Create a card with a random token id and a new 32-byte key, store it,
      print {\"link\", \"token\", ...}. The link holds the key: hand it to the
      wallet only. --funding may be repeated or comma-separated (1 to 8).
      With --fall-through yes, a payment from an empty source is paid by the
      next source instead: in the payer's order (set in the wallet), else in
      index order. --api puts this issuer's origin
      in the link, for a wallet served from another origin (docs/FORMAT.md §8).
      With --expires, the card's codes answer card_expired from then on.
      --activation https://ISSUER-ORIGIN prints {\"activation\", \"expires_at\",
      ...} instead: a one-time link without the key, which a wallet redeems
      at that origin (POST /v1/activations/redeem) within 10 minutes.
  code --link LINK [--at UNIX_SECONDS] [--swipe N] [--funding NAME|INDEX]
      The code the wallet shows at that time after N swipes (default 0),
      paying from the given source (index, or balance / debit / bank name /
      link form). Prints {\"code\", \"masked\", ...}. Uses no database.
  charge CODE --amount YUAN [--at UNIX_SECONDS] [--merchant NAME]
      Decide and record a charge. YUAN is like 12.50, 12.5 or 300.
      Prints {\"result\": \"approved\"|\"pin_required\"|\"rejected\",
      \"reason\", \"funding\", \"charge\", \"message\", ...}.
  verify CODE [--at UNIX_SECONDS]
      Run the same code checks without using the code up or counting
      failures. Prints {\"result\": \"valid\"|\"rejected\", \"reason\", ...}.
  pin CHARGE_ID
      Complete a charge that was waiting for the PIN (after the PIN was
      checked elsewhere).

  merchant add NAME
      Add a merchant; prints {\"merchant\": ID, \"api_key\": HEX} once.
  topup CARD AMOUNT [--source INDEX] [--prefix 13]
      Money into a card's balance (or, with --source, the demo-bank account
      behind that funding source). CARD is TOKEN or PREFIX:TOKEN.
  balance CARD|MERCHANT [--source INDEX] [--prefix 13]
      The balance of a card's source or a merchant (m_ id).
  ledger check
      Verify the ledger; exit 4 and name each violation if any.
  rekey --new-kek-file F
      Seal every stored card and merchant key under the KEK in F (created
      if missing) instead of the current one, while the server runs; the
      KEK file (--kek-file, default the database's path plus .kek) then
      holds F's key.
  revoke CARD [--prefix 13]
  card revoke|restore CARD [--prefix 13]
      Revoke a card (its codes are refused as revoked) or undo that.
  card reprovision CARD [--expires UNIX_SECONDS] [--api ORIGIN] [--prefix 13]
      Give the card's token a new key in one transaction and print its new
      link: the old link's codes are refused from then on (bad MAC), the
      card is no longer revoked, balance and history stay.
  audit [--json] [--after SEQ] [--limit N]
      The audit trail in order: cards created, activated, revoked and
      re-provisioned, rekeys, lockouts, counted 401s. No secret is in it.
  admin key --admin-key-file F
      Create F (0600) holding a new issuer-admin key, for paycode serve
      --admin-key-file F and for signing /v1/admin/ requests.
  pin reset CARD [--prefix 13]
      After three wrong PINs on the phone, PIN payments of the card are
      blocked; this unblocks them (the PIN stays the payer's).

  payment confirm PAYMENT_ID
      Confirm a USERPAYING payment as the payer's PIN would (SUCCESS, or
      CLOSED when late).

  serve [--addr 127.0.0.1:8080] [--www www] [--demo]
      Serve the merchant API (/v1/), the wallet and the till pages on this
      database until Ctrl-C; see paycode serve --help.

  till pay CODE --amount YUAN [--out-trade-no X] [--description TEXT]
  till query OUT_TRADE_NO
  till reverse OUT_TRADE_NO
  till refund OUT_TRADE_NO --out-refund-no R --amount YUAN
      A till over the signed merchant API (docs/MERCHANT_API.md). Each
      takes --key-file F (JSON {\"merchant\", \"key\"} as paycode merchant
      add prints it; the key is never taken on the command line) and --url
      http://HOST:PORT. pay makes an out_trade_no unless given one, and on
      a timeout, an error or USERPAYING queries every 5 s for 30 s, then
      reverses (--timeout-ms, --poll-interval-ms, --poll-for-ms change
      that). Prints {\"outcome\": \"settled\"|\"reversed\"|\"unresolved\",
      \"paid\", \"out_trade_no\", \"payment\"}; exit 0 paid, 3 not paid, 1
      unresolved or error. query, reverse and refund print the answer.

COMMON OPTIONS
  --db PATH|URL       the database: an SQLite file (created if missing) or a
                      PostgreSQL URL, postgres://user@host:port/db (its
                      schema is made or migrated on first use); default
                      $PAYCODE_DB, else ./paycode.db
  --utc-offset +08:00 the issuer's time zone for the daily no-PIN count
                      (default Asia/Shanghai, +08:00)
  --at                issuer time in unix seconds (default: the system clock)

RULES
  A code is accepted within one time step either side of now, once; codes
  older than the last accepted one are superseded. Without PIN: at most 10
  approvals per card per local day, each at most 300.00; past either limit
  the answer is pin_required. Five failed codes in a row lock the card's
  token for 15 minutes.

OUTPUT AND EXIT STATUS
  stdout always carries one JSON object; nothing is written to stderr.
  0  approved / valid / command done
  2  PIN required
  4  ledger check found violations
  3  rejected (reason: malformed, unknown_prefix, unknown_card, bad_mac,
     expired, replayed, superseded, locked, revoked, card_expired)
  1  error: {\"error\": KIND, \"message\": TEXT}, e.g. KIND = unknown_option,
     missing_value, bad_value, amount_not_a_number, amount_negative,
     amount_too_many_decimals, amount_zero, amount_too_large, amount_empty,
     a link error kind (bad_base32, wrong_scheme, ...), database
";

/// What a run prints and returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub status: i32,
    /// Printed as is on stdout.
    pub stdout: String,
}

impl Output {
    fn json(status: i32, value: Value) -> Output {
        Output {
            status,
            stdout: format!("{value}\n"),
        }
    }

    fn error(kind: &str, message: impl std::fmt::Display) -> Output {
        Output::json(
            status::ERROR,
            json!({ "error": kind, "message": message.to_string() }),
        )
    }
}

/// A failure before a decision, as `{"error", "message"}`.
struct Failure {
    kind: String,
    message: String,
}

impl<E: KindedError> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure {
            kind: e.error_kind().to_owned(),
            message: e.to_string(),
        }
    }
}

/// Errors with a stable kind name.
trait KindedError: std::fmt::Display {
    fn error_kind(&self) -> &'static str;
}

macro_rules! kinded {
    ($($t:ty),*) => {$(
        impl KindedError for $t {
            fn error_kind(&self) -> &'static str {
                self.kind()
            }
        }
    )*};
}
kinded!(
    ArgError,
    crate::money::AmountError,
    crate::store::StoreError,
    crate::custody::CustodyError,
    crate::provision::ProvisionError,
    paycode_wallet::core::link::LinkError,
    paycode_wallet::core::code::CodeError,
    crate::verifier::PinError,
    crate::till::TillError,
    crate::till::CredentialsError,
    crate::server::admin::AdminKeyError
);

fn bad_value(option: &str, why: impl Into<String>) -> Failure {
    ArgError::BadValue {
        option: option.to_owned(),
        why: why.into(),
    }
    .into()
}

/// Runs the command line `args` (without the program name). `now` is the
/// issuer time used when `--at` is absent.
pub fn run(args: &[String], now: u64) -> Output {
    let Some((command, rest)) = args.split_first() else {
        return Output::error(ArgError::MissingCommand.kind(), ArgError::MissingCommand);
    };
    let result = match command.as_str() {
        "-h" | "--help" | "help" => {
            return Output {
                status: status::OK,
                stdout: HELP.to_owned(),
            }
        }
        "provision" => cmd_provision(rest, now),
        "code" => cmd_code(rest, now),
        "charge" => cmd_charge(rest, now),
        "verify" => cmd_verify(rest, now),
        "pin" => cmd_pin(rest),
        "merchant" => merchant::cmd_merchant(rest, now),
        "card" => card::cmd_card(rest, now),
        "revoke" => card::cmd_revoke(rest, now),
        "audit" => audit::cmd_audit(rest),
        "admin" => admin::cmd_admin(rest),
        "rekey" => rekey::cmd_rekey(rest, now),
        "topup" => ledger::cmd_topup(rest, now),
        "balance" => ledger::cmd_balance(rest),
        "ledger" => ledger::cmd_ledger(rest),
        "serve" => return serve::run_command(rest),
        "payment" => payment::cmd_payment(rest, now),
        "till" => till::run(rest, now),
        other => Err(ArgError::UnknownCommand(other.to_owned()).into()),
    };
    result.unwrap_or_else(|f| Output::error(&f.kind, f.message))
}

/// `--db`, else `PAYCODE_DB`, else `./paycode.db`: a file path or a
/// `postgres://` URL.
/// Keys open with `--kek-file`, `PAYCODE_KEK`, `PAYCODE_KEK_FILE` or the
/// file beside an SQLite database ([`crate::custody::KekSource`]).
fn open_store(a: &args::Parsed) -> Result<AnyStore, Failure> {
    let location = DbLocation::from_option(a.get("db"));
    let kek = location.kek_source(a.get(args::KEK_FILE).map(std::path::Path::new), false)?;
    Ok(location.open(kek.vault().map_err(crate::store::StoreError::from)?)?)
}

fn verifier(a: &args::Parsed) -> Result<Verifier<AnyStore>, Failure> {
    let mut config = VerifierConfig::default();
    if let Some(text) = a.get("utc-offset") {
        config.allowance.offset = UtcOffset::parse(text)
            .ok_or_else(|| bad_value("--utc-offset", "use a form like +08:00, -05:30 or UTC"))?;
    }
    Ok(Verifier::new(open_store(a)?, config))
}

fn cmd_provision(words: &[String], now: u64) -> Result<Output, Failure> {
    let a = args::parse(
        words,
        &[
            "db",
            "prefix",
            "length",
            "funding",
            "issuer",
            "period",
            "at",
            "fall-through",
            "api",
            "expires",
            "activation",
        ],
        &["funding"],
    )?;
    a.no_positional()?;
    let layout = Layout::new(
        a.number("prefix", Layout::DEFAULT.prefix, 255)?,
        a.number("length", Layout::DEFAULT.length, 255)?,
    )?;
    let mut funding = Vec::new();
    for value in a.all("funding").flat_map(|v| v.split(',')) {
        funding.push(Funding::parse(value.trim())?);
    }
    if funding.is_empty() {
        funding.push(Funding::Balance);
    }
    let issuer = a.get("issuer").unwrap_or("Demo Bank").to_owned();
    let period = a.number("period", DEFAULT_PERIOD, u64::from(u32::MAX))?;
    let at = a.number("at", now, u64::MAX)?;
    let fall_through = match a.get("fall-through") {
        None | Some("no") => false,
        Some("yes") => true,
        Some(_) => return Err(bad_value("--fall-through", "use yes or no")),
    };
    // The wallet's own reader decides what a link may hold (issuer name,
    // period, time range...): check a stand-in card before storing anything.
    let probe = Card {
        issuer: issuer.clone(),
        layout,
        token: 0,
        secret: Secret::from_bytes(vec![0; 32]),
        period,
        issued_at: at,
        funding: funding.clone(),
        api: a.get("api").map(str::to_owned),
    };
    // The reader also writes the origin as links carry it (lower case, no `/`).
    let api = Card::from_link(&probe.to_link())?.api;

    let expires = card::expires_option(&a)?;
    let activation_origin = a
        .get("activation")
        .map(activation::activation_origin)
        .transpose()?;
    let mut store = open_store(&a)?;
    let record = provision_expiring(
        &mut store,
        NewCard {
            issuer,
            layout,
            period,
            funding,
            at,
            fall_through,
        },
        expires,
    )?;
    if let Some(origin) = activation_origin {
        return activation::activation_output(&mut store, &record, &origin, at);
    }
    let mut card = record.to_card();
    card.api = api;
    Ok(Output::json(
        status::OK,
        json!({
            "link": card.to_link(),
            "token": record.key.token,
            "prefix": layout.prefix,
            "length": layout.length,
            "period": period,
            "issued_at": at,
            "key_version": record.key_version,
            "expires": record.expires,
            "funding": card.funding.iter().enumerate().map(|(i, f)| json!({
                "index": i, "source": f.to_link_value(), "label": f.label(),
            })).collect::<Vec<_>>(),
        }),
    ))
}

fn cmd_code(words: &[String], now: u64) -> Result<Output, Failure> {
    let a = args::parse(words, &["link", "at", "swipe", "funding"], &[])?;
    a.no_positional()?;
    let link = a
        .get("link")
        .ok_or(ArgError::MissingArgument("--link LINK"))?;
    let card = Card::from_link(link)?;
    let at = a.number("at", now, u64::MAX)?;
    let swipe = a.number("swipe", 0u8, 255)?;
    let funding = match a.get("funding") {
        None => 0,
        Some(name) => pick_funding(&card.funding, name).ok_or_else(|| {
            bad_value(
                "--funding",
                format!(
                    "the card has no funding source {}; it has {}",
                    args::shown(name),
                    card.funding
                        .iter()
                        .enumerate()
                        .map(|(i, f)| format!("{i}: {}", f.to_link_value()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?,
    };
    let code = card.code_at(at, swipe, funding)?;
    let period = u64::from(card.period.max(1));
    Ok(Output::json(
        status::OK,
        json!({
            "code": code.as_str(),
            "masked": code.masked(),
            "step": card.step_at(at),
            "counter": swipe,
            "funding": funding,
            "seconds_left": period - at % period,
        }),
    ))
}

/// A funding index by number, link form ("debit:ICBC:1234"), kind
/// ("balance", "debit": the first of that kind) or bank name.
fn pick_funding(sources: &[Funding], name: &str) -> Option<u8> {
    let index = if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        name.parse::<usize>().ok().filter(|i| *i < sources.len())
    } else {
        let matches = |f: &Funding| {
            f.to_link_value().eq_ignore_ascii_case(name)
                || match f {
                    Funding::Balance => name.eq_ignore_ascii_case("balance"),
                    Funding::Debit { bank, .. } => {
                        name.eq_ignore_ascii_case("debit") || bank.eq_ignore_ascii_case(name)
                    }
                }
        };
        sources.iter().position(matches)
    };
    index.and_then(|i| u8::try_from(i).ok())
}

fn funding_json(f: &FundingUsed) -> Value {
    json!({ "index": f.index, "source": f.source, "label": f.label })
}

fn code_json(v: &ValidCode) -> Value {
    json!({ "token": v.card.token, "prefix": v.card.prefix, "step": v.step, "counter": v.counter })
}

fn cmd_charge(words: &[String], now: u64) -> Result<Output, Failure> {
    let a = args::parse(
        words,
        &["db", "utc-offset", "amount", "at", "merchant"],
        &[],
    )?;
    let code = a.single_positional("the payment CODE")?;
    let amount = parse_amount(
        a.get("amount")
            .ok_or(ArgError::MissingArgument("--amount YUAN"))?,
    )?;
    let at = a.number("at", now, u64::MAX)?;
    let mut verifier = verifier(&a)?;
    let outcome = verifier.charge(&ChargeRequest {
        code,
        amount,
        now: at,
        merchant: a.get("merchant"),
    })?;
    let amount = amount.to_string();
    Ok(match outcome {
        ChargeOutcome::Approved { charge_id, code } => Output::json(
            status::APPROVED,
            json!({
                "result": "approved", "reason": null, "charge": charge_id,
                "funding": funding_json(&code.funding), "amount": amount,
                "code": code_json(&code), "message": "approved",
            }),
        ),
        ChargeOutcome::PinRequired {
            reason,
            charge_id,
            code,
        } => Output::json(
            status::PIN_REQUIRED,
            json!({
                "result": "pin_required", "reason": reason.kind(), "charge": charge_id,
                "funding": funding_json(&code.funding), "amount": amount,
                "code": code_json(&code), "message": reason.message(),
            }),
        ),
        ChargeOutcome::Rejected(r) => Output::json(
            status::REJECTED,
            json!({
                "result": "rejected", "reason": r.reason.kind(), "charge": null,
                "funding": null, "amount": amount, "message": r.message,
            }),
        ),
    })
}

fn cmd_verify(words: &[String], now: u64) -> Result<Output, Failure> {
    let a = args::parse(words, &["db", "utc-offset", "at"], &[])?;
    let code = a.single_positional("the payment CODE")?;
    let at = a.number("at", now, u64::MAX)?;
    let mut verifier = verifier(&a)?;
    Ok(match verifier.verify(code, at)? {
        VerifyOutcome::Valid(v) => Output::json(
            status::APPROVED,
            json!({
                "result": "valid", "reason": null, "funding": funding_json(&v.funding),
                "code": code_json(&v), "message": "the code is valid and unused",
            }),
        ),
        VerifyOutcome::Rejected(r) => Output::json(
            status::REJECTED,
            json!({
                "result": "rejected", "reason": r.reason.kind(), "funding": null,
                "message": r.message,
            }),
        ),
    })
}

fn cmd_pin(words: &[String]) -> Result<Output, Failure> {
    if words.first().is_some_and(|w| w == "reset") {
        return card::cmd_pin_reset(&words[1..]);
    }
    let a = args::parse(words, &["db", "utc-offset"], &[])?;
    let id = a.single_positional("the CHARGE_ID")?;
    let mut verifier = verifier(&a)?;
    let charge = verifier.complete_with_pin(id)??;
    Ok(Output::json(
        status::OK,
        json!({
            "result": charge.status.as_str(), "charge": charge.id,
            "amount": charge.amount.to_string(), "funding": charge.funding,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_quotes_the_limits_core_defines() {
        use paycode_wallet::core::limits::MAX_FUNDING;
        assert!(HELP.contains(&format!("[--period {DEFAULT_PERIOD}]")));
        assert!(HELP.contains(&format!("(1 to {MAX_FUNDING})")));
    }

    fn words(s: &[&str]) -> Vec<String> {
        s.iter().map(|w| w.to_string()).collect()
    }

    fn error_kind(out: &Output) -> String {
        assert_eq!(out.status, status::ERROR, "{}", out.stdout);
        let v: Value = serde_json::from_str(&out.stdout).unwrap();
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
        v["error"].as_str().unwrap().to_owned()
    }

    #[test]
    fn usage_errors_are_json_with_a_kind() {
        let now = 1_764_100_000;
        assert_eq!(error_kind(&run(&[], now)), "missing_command");
        assert_eq!(
            error_kind(&run(&words(&["frobnicate"]), now)),
            "unknown_command"
        );
        assert_eq!(
            error_kind(&run(
                &words(&["charge", "13", "--amount", "1", "--x", "1"]),
                now
            )),
            "unknown_option"
        );
        assert_eq!(
            error_kind(&run(&words(&["charge", "13"]), now)),
            "missing_argument"
        );
        assert_eq!(error_kind(&run(&words(&["code"]), now)), "missing_argument");
        assert_eq!(
            error_kind(&run(&words(&["code", "--link", "https://x"]), now)),
            "wrong_scheme"
        );
        assert_eq!(
            error_kind(&run(
                &words(&["provision", "--prefix", "16", "--db", "/nonexistent/x.db"]),
                now
            )),
            "bad_prefix"
        );
        assert_eq!(
            error_kind(&run(
                &words(&[
                    "provision",
                    "--funding",
                    "credit:VISA:1234",
                    "--db",
                    "/nonexistent/x.db"
                ]),
                now
            )),
            "credit_refused"
        );
        assert_eq!(
            error_kind(&run(
                &words(&["provision", "--period", "5", "--db", "/nonexistent/x.db"]),
                now
            )),
            "bad_period"
        );
        for (amount, kind) in [
            ("-1", "amount_negative"),
            ("1.234", "amount_too_many_decimals"),
            ("abc", "amount_not_a_number"),
            ("1e9", "amount_not_a_number"),
            ("0", "amount_zero"),
            ("", "amount_empty"),
            ("1000000000000", "amount_too_large"),
        ] {
            let out = run(
                &words(&[
                    "charge",
                    "131234567890123456",
                    "--amount",
                    amount,
                    "--db",
                    "/nonexistent/x.db",
                ]),
                now,
            );
            assert_eq!(error_kind(&out), kind, "{amount:?}");
        }
        assert_eq!(
            error_kind(&run(
                &words(&[
                    "verify",
                    "131234567890123456",
                    "--db",
                    "/nonexistent/dir/x.db"
                ]),
                now
            )),
            "database"
        );
    }

    #[test]
    fn help_is_plain_text_and_names_every_command() {
        let out = run(&words(&["--help"]), 0);
        assert_eq!(out.status, 0);
        for c in [
            "provision",
            "code",
            "charge",
            "verify",
            "pin",
            "--db",
            "exit",
            "stdout",
        ] {
            assert!(out.stdout.to_lowercase().contains(c), "{c}");
        }
    }

    #[test]
    fn funding_is_picked_by_index_kind_bank_or_link_form() {
        let sources = [
            Funding::Balance,
            Funding::parse("debit:ICBC:1234").unwrap(),
            Funding::parse("debit:CMB:9876").unwrap(),
        ];
        assert_eq!(pick_funding(&sources, "0"), Some(0));
        assert_eq!(pick_funding(&sources, "2"), Some(2));
        assert_eq!(pick_funding(&sources, "3"), None);
        assert_eq!(pick_funding(&sources, "balance"), Some(0));
        assert_eq!(pick_funding(&sources, "debit"), Some(1));
        assert_eq!(pick_funding(&sources, "cmb"), Some(2));
        assert_eq!(pick_funding(&sources, "debit:CMB:9876"), Some(2));
        assert_eq!(pick_funding(&sources, "credit"), None);
        assert_eq!(pick_funding(&sources, ""), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Arbitrary words never panic and always print one JSON object
        /// (the database path is unusable so nothing is written).
        #[test]
        fn arbitrary_arguments_never_panic(
            command in proptest::sample::select(vec!["provision", "code", "charge", "verify", "pin", "x"]),
            rest in proptest::collection::vec(".{0,16}", 0..6),
        ) {
            let mut all = vec![command.to_owned()];
            all.extend(rest);
            all.push("--db".into());
            all.push("/nonexistent/dir/x.db".into());
            let out = run(&all, 1_764_100_000);
            let parsed: Result<Value, _> = serde_json::from_str(&out.stdout);
            proptest::prop_assert!(parsed.is_ok(), "{}", out.stdout);
        }
    }
}
