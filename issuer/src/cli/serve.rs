//! `paycode serve [--addr 127.0.0.1:8080] [--db paycode.db] [--www www]
//! [--demo] [--merchant-rate 50] [--merchant-burst 100] [--client-rate 50]
//! [--client-burst 100] [--userpaying-seconds 60] [--utc-offset +08:00]
//! [--public-url URL] [--embed-origin ORIGIN]… [--connect-origin ORIGIN]…`.

use std::net::SocketAddr;

use serde_json::json;

use super::{status, Output};
use crate::allowance::UtcOffset;
use crate::server::admin::AdminKey;
use crate::server::{bind, Origin, PublicUrl, ServeError, ServerConfig};
use crate::store::DbLocation;

pub const HELP: &str = "\
paycode serve — the issuer over HTTP: the signed merchant API (/v1/, see
docs/MERCHANT_API.md), the wallet (www/) and the till (cashier.html), on the
same database as the other commands.

  --addr ADDR           where to listen (default 127.0.0.1:8080; port 0 = any)
  --db PATH|URL         database: an SQLite file, or postgres://user@host/db
                        for PostgreSQL, which many nodes can share (default
                        $PAYCODE_DB, else ./paycode.db)
  --kek-file F          the key-encryption key that seals card and merchant
                        keys in the database (default $PAYCODE_KEK, else
                        $PAYCODE_KEK_FILE, else the database file's path
                        plus .kek; created, mode 0600, for a new SQLite
                        database or with --demo)
  --www DIR             static files (default ./www; the database, the
                        KEK file and the admin key file may not lie inside
                        it)
  --admin-key-file F    the issuer-admin key (paycode admin key makes it,
                        mode 0600): /v1/admin/ requests must be signed with
                        it (PAYCODE-ADMIN). Without it the admin routes
                        answer 403 ADMIN_DISABLED
  --demo                the demo routes: POST /api/cards (cards with money
                        on them) and POST /api/demo/till (a merchant and
                        its key for the cashier page)
  --merchant-rate N     signed requests per second per merchant (default 50;
                        0 turns the limit off)
  --merchant-burst N    signed requests at once per merchant (default 100)
  --client-rate N       unauthenticated requests per second per client
                        address (default 50; 0 turns the limit off)
  --client-burst N      the same, at once (default 100)
  --userpaying-seconds N  how long a payment waits for the payer's PIN
                        (default 60)
  --utc-offset +08:00   the issuer's time zone for the daily no-PIN count
  --public-url URL      where payers and tills reach this server, e.g.
                        https://pay.example: its host is answered besides
                        the listen address and localhost (any other Host
                        gets 421), and https:// turns on HSTS
  --embed-origin ORIGIN an origin that may frame the wallet, e.g.
                        https://shop.example (repeatable; default: none may;
                        the cashier page is never framed)
  --connect-origin ORIGIN  an origin the wallet page may connect to besides
                        this server (repeatable; default: none)

Prints the URLs once listening; stops cleanly on Ctrl-C or SIGTERM.
";

fn output_error(kind: &str, message: impl std::fmt::Display) -> Output {
    Output {
        status: status::ERROR,
        stdout: format!(
            "{}\n",
            json!({ "error": kind, "message": message.to_string() })
        ),
    }
}

fn bad_value(option: &str, why: &str) -> Output {
    output_error("bad_value", format!("{option}: {why}"))
}

/// Reads the options; `Err` is the output to print.
fn parse(words: &[String]) -> Result<ServerConfig, Output> {
    let mut config = ServerConfig::new(
        SocketAddr::from(([127, 0, 0, 1], 8080)),
        DbLocation::from_option(None),
        "www",
    );
    let mut admin_key_file = None;
    let mut rest = words.iter();
    while let Some(word) = rest.next() {
        if word == "-h" || word == "--help" {
            return Err(Output {
                status: status::OK,
                stdout: HELP.to_owned(),
            });
        }
        let (name, inline) = match word.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (word.as_str(), None),
        };
        if word == "--demo" {
            config.demo = true;
            continue;
        }
        let known = [
            "--addr",
            "--db",
            "--kek-file",
            "--www",
            "--merchant-rate",
            "--merchant-burst",
            "--client-rate",
            "--client-burst",
            "--userpaying-seconds",
            "--utc-offset",
            "--public-url",
            "--embed-origin",
            "--connect-origin",
            "--admin-key-file",
        ];
        if !known.contains(&name) {
            return Err(output_error(
                "unknown_option",
                format!("serve has no option {name:?}; see paycode serve --help"),
            ));
        }
        let Some(value) = inline.or_else(|| rest.next().cloned()) else {
            return Err(output_error(
                "missing_value",
                format!("{name} needs a value"),
            ));
        };
        match name {
            "--addr" => {
                config.addr = value
                    .parse()
                    .map_err(|_| bad_value(name, "use IP:PORT, like 127.0.0.1:8080"))?
            }
            "--db" => config.db = DbLocation::parse(&value),
            "--kek-file" => config.kek_file = Some(value.into()),
            "--admin-key-file" => admin_key_file = Some(std::path::PathBuf::from(value)),
            "--www" => config.www = value.into(),
            "--merchant-rate" => config.merchant_rate.per_second = rate(name, &value)?,
            "--merchant-burst" => config.merchant_rate.burst = burst(name, &value)?,
            "--client-rate" => config.client_rate.per_second = rate(name, &value)?,
            "--client-burst" => config.client_rate.burst = burst(name, &value)?,
            "--public-url" => {
                config.public_url =
                    Some(PublicUrl::parse(&value).map_err(|e| bad_value(name, &e.to_string()))?)
            }
            "--embed-origin" => config.embed_origins.push(origin(name, &value)?),
            "--connect-origin" => config.connect_origins.push(origin(name, &value)?),
            "--userpaying-seconds" => {
                config.payments.userpaying_seconds = value
                    .parse::<u64>()
                    .ok()
                    .filter(|s| (1..=86_400).contains(s))
                    .ok_or_else(|| bad_value(name, "whole seconds from 1 to 86400"))?
            }
            _ => {
                config.payments.verifier.allowance.offset = UtcOffset::parse(&value)
                    .ok_or_else(|| bad_value(name, "use a form like +08:00, -05:30 or UTC"))?
            }
        }
    }
    if let Some(path) = admin_key_file {
        config.admin_key = Some(admin_key(&path, &config.www)?);
    }
    Ok(config)
}

/// The admin key in `path`, which must not lie inside `www`.
fn admin_key(
    path: &std::path::Path,
    www: &std::path::Path,
) -> Result<std::sync::Arc<AdminKey>, Output> {
    let key = AdminKey::load(path).map_err(|e| output_error(e.kind(), e))?;
    if let (Ok(file), Ok(www)) = (path.canonicalize(), www.canonicalize()) {
        if file.starts_with(&www) {
            let e = ServeError::InsideWww {
                what: "admin key file",
                path: path.to_owned(),
            };
            return Err(output_error(e.kind(), e));
        }
    }
    Ok(std::sync::Arc::new(key))
}

fn origin(name: &str, value: &str) -> Result<Origin, Output> {
    Origin::parse(value).map_err(|e| bad_value(name, &e.to_string()))
}

fn rate(name: &str, value: &str) -> Result<f64, Output> {
    value
        .parse::<f64>()
        .ok()
        .filter(|r| r.is_finite() && *r >= 0.0)
        .ok_or_else(|| bad_value(name, "a number of requests per second, 0 = no limit"))
}

fn burst(name: &str, value: &str) -> Result<u32, Output> {
    value
        .parse::<u32>()
        .ok()
        .filter(|b| *b >= 1)
        .ok_or_else(|| bad_value(name, "a whole number from 1"))
}

/// Runs `paycode serve` until Ctrl-C or SIGTERM.
pub(super) fn run_command(words: &[String]) -> Output {
    let config = match parse(words) {
        Ok(c) => c,
        Err(out) => return out,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return output_error("io", format!("cannot start the runtime: {e}")),
    };
    match runtime.block_on(serve_forever(config)) {
        Ok(()) => Output {
            status: status::OK,
            stdout: "paycode serve: stopped\n".into(),
        },
        Err(e) => output_error(e.kind(), e),
    }
}

async fn serve_forever(config: ServerConfig) -> Result<(), ServeError> {
    let server = bind(&config).await?;
    let addr = server.addr()?;
    // Scripts and tests read the real port from the first line.
    println!("paycode serve: listening on http://{addr}/");
    println!("  wallet:  http://{addr}/");
    println!("  cashier: http://{addr}/cashier.html");
    println!("  merchant API: http://{addr}/v1/");
    // The URL's password, if any, is not printed.
    println!("  database: {}", config.db);
    if let Some(url) = &config.public_url {
        println!("  public origin: {}", url.origin());
    }
    if config.demo {
        println!("  demo routes: POST /api/cards, POST /api/demo/till");
    }
    if !addr.ip().is_loopback() {
        println!("  warning: plain http on a non-loopback address; card links cross the network unencrypted");
    }
    println!("Ctrl-C to stop.");
    server.serve_until(stop_signal()).await
}

/// Ctrl-C, or SIGTERM (what `kill` and service managers send).
async fn stop_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::RateLimit;

    fn words(s: &[&str]) -> Vec<String> {
        s.iter().map(|w| w.to_string()).collect()
    }

    fn error_kind(words: &[String]) -> String {
        let out = parse(words).unwrap_err();
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        v["error"].as_str().unwrap().to_owned()
    }

    #[test]
    fn options_are_read() {
        let c = parse(&words(&[
            "--addr",
            "127.0.0.1:0",
            "--db=x.db",
            "--www",
            "site",
            "--merchant-rate",
            "0",
            "--merchant-burst",
            "7",
            "--client-rate",
            "2.5",
            "--client-burst",
            "3",
            "--userpaying-seconds",
            "2",
            "--demo",
            "--utc-offset",
            "UTC",
            "--public-url",
            "https://pay.example/",
            "--embed-origin",
            "https://shop.example",
            "--embed-origin=http://127.0.0.1:9000",
            "--connect-origin",
            "https://issuer-b.example",
        ]))
        .unwrap();
        assert_eq!(
            c.public_url,
            Some(PublicUrl::parse("https://pay.example").unwrap())
        );
        let shown: Vec<String> = c.embed_origins.iter().map(|o| o.to_string()).collect();
        assert_eq!(shown, ["https://shop.example", "http://127.0.0.1:9000"]);
        assert_eq!(c.connect_origins[0].to_string(), "https://issuer-b.example");
        assert_eq!(c.addr, "127.0.0.1:0".parse().unwrap());
        assert_eq!(c.db, DbLocation::Sqlite("x.db".into()));
        assert_eq!(c.www, std::path::PathBuf::from("site"));
        assert_eq!(c.merchant_rate.per_second, 0.0);
        assert_eq!(c.merchant_rate.burst, 7);
        assert_eq!(c.client_rate.per_second, 2.5);
        assert_eq!(c.client_rate.burst, 3);
        assert_eq!(c.payments.userpaying_seconds, 2);
        assert!(c.demo);
        assert_eq!(c.payments.verifier.allowance.offset, UtcOffset::UTC);
        let d = parse(&[]).unwrap();
        assert_eq!(d.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(d.merchant_rate, RateLimit::default());
        assert_eq!(d.client_rate, RateLimit::default());
        assert_eq!(d.payments.userpaying_seconds, 60);
        assert!(!d.demo);
        assert!(d.embed_origins.is_empty() && d.connect_origins.is_empty());
        assert_eq!(d.public_url, None);
    }

    #[test]
    fn bad_options_are_json_errors() {
        assert_eq!(error_kind(&words(&["--port", "1"])), "unknown_option");
        assert_eq!(error_kind(&words(&["--addr"])), "missing_value");
        assert_eq!(error_kind(&words(&["--addr", "localhost"])), "bad_value");
        assert_eq!(error_kind(&words(&["--merchant-rate", "-1"])), "bad_value");
        assert_eq!(error_kind(&words(&["--client-rate", "NaN"])), "bad_value");
        assert_eq!(error_kind(&words(&["--merchant-burst", "0"])), "bad_value");
        assert_eq!(
            error_kind(&words(&["--userpaying-seconds", "0"])),
            "bad_value"
        );
        assert_eq!(
            error_kind(&words(&["--charge-rate", "1"])),
            "unknown_option"
        );
        assert_eq!(error_kind(&words(&["--utc-offset", "Mars"])), "bad_value");
        for (option, bad) in [
            ("--embed-origin", "https://shop.example; script-src *"),
            ("--embed-origin", "*"),
            ("--connect-origin", "https://a.example/path"),
            ("--public-url", "pay.example"),
        ] {
            assert_eq!(error_kind(&words(&[option, bad])), "bad_value", "{bad}");
        }
        assert_eq!(parse(&words(&["--help"])).unwrap_err().status, 0);
    }

    #[test]
    fn a_missing_www_is_refused_before_listening() {
        let out = run_command(&words(&[
            "--addr",
            "127.0.0.1:0",
            "--www",
            "/nonexistent/www",
            "--db",
            "/nonexistent/x.db",
        ]));
        assert_eq!(out.status, status::ERROR);
        assert!(out.stdout.contains("no_www"), "{}", out.stdout);
    }
}
