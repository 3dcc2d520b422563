//! Revocation and the key lifecycle end to end (#17 part 2): a card
//! revoked from the command line or through the signed admin API answers
//! CARD_REVOKED at the signed merchant API; re-provisioning a token kills
//! the old key and the new link pays (and a failed one changes nothing);
//! a card past its expiry answers CARD_EXPIRED and its wallet channel is
//! refused.

mod server_support;

use std::path::Path;
use std::sync::Arc;

use hyper::Method;
use paycode_issuer::cli;
use paycode_issuer::server::admin::{admin_authorization, AdminKey};
use paycode_issuer::server::RunningServer;
use paycode_issuer::signing::RequestParts;
use paycode_wallet::core::link::Card;
use serde_json::{json, Value};
use server_support::{
    card_signed, config, new_card, nonce, now, serve_with, ApiClient, DemoCard, Till,
};
use tempfile::TempDir;

const REVOKE: &str = "/v1/admin/cards/revoke";

fn run(words: &[&str]) -> (i32, Value) {
    let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    let out = cli::run(&words, now());
    let value = serde_json::from_str(&out.stdout).unwrap_or(Value::Null);
    (out.status, value)
}

fn db_of(dir: &TempDir) -> String {
    dir.path().join("issuer.db").display().to_string()
}

fn card_word(card: &DemoCard) -> String {
    format!("{}:{}", card.prefix, card.token)
}

/// The next code of `card` paid at `till`: the payment's status, and its
/// error code when it failed.
async fn pay_next(till: &mut Till, card: &mut DemoCard) -> (String, Option<String>) {
    let code = card.next(0);
    let reply = till.pay(&format!("o{}", nonce()), &code, "1.00").await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let body = reply.json();
    (
        body["status"].as_str().unwrap().to_owned(),
        body["error"]["code"].as_str().map(str::to_owned),
    )
}

async fn admin_server(dir: &TempDir) -> (RunningServer, AdminKey) {
    let key = AdminKey::create(&dir.path().join("admin.key")).unwrap();
    let mut config = config(dir);
    config.admin_key = Some(Arc::new(key.clone()));
    (serve_with(config).await, key)
}

fn admin_signed(key: &[u8], target: &str, body: &str) -> String {
    admin_authorization(
        key,
        &RequestParts {
            method: "POST",
            path_and_query: target,
            ts: now(),
            nonce: &nonce(),
            body: body.as_bytes(),
        },
    )
}

async fn post(
    server: &RunningServer,
    target: &str,
    body: &str,
    auth: Option<&str>,
) -> (u16, Value) {
    let mut client = ApiClient::new(server.addr());
    let mut headers = vec![("content-type", "application/json")];
    if let Some(a) = auth {
        headers.push(("authorization", a));
    }
    let reply = client
        .send(Method::POST, target, &headers, body.to_owned())
        .await
        .unwrap();
    (reply.status, reply.json())
}

#[tokio::test]
async fn a_card_revoked_from_the_command_line_answers_card_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(config(&dir)).await;
    let mut card = new_card(server.addr()).await;
    let mut till = Till::new(server.addr()).await;
    assert_eq!(
        pay_next(&mut till, &mut card).await,
        ("SUCCESS".into(), None)
    );

    let (status, out) = run(&["revoke", &card_word(&card), "--db", &db_of(&dir)]);
    assert_eq!(status, 0, "{out}");
    assert_eq!(out["revoked"], true);
    assert_eq!(
        pay_next(&mut till, &mut card).await,
        ("FAILED".into(), Some("CARD_REVOKED".into()))
    );
    // The wallet channel of a revoked card is refused too.
    let auth = card_signed(&card.card, "GET", "/v1/wallet/history", b"");
    let mut client = ApiClient::new(server.addr());
    let reply = client
        .send(
            Method::GET,
            "/v1/wallet/history",
            &[("authorization", &auth)],
            String::new(),
        )
        .await
        .unwrap();
    assert_eq!(reply.status, 401);

    // `card restore` undoes it: the next code pays again.
    let (status, _) = run(&["card", "restore", &card_word(&card), "--db", &db_of(&dir)]);
    assert_eq!(status, 0);
    assert_eq!(
        pay_next(&mut till, &mut card).await,
        ("SUCCESS".into(), None)
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_card_revoked_through_the_admin_api_answers_card_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let (server, key) = admin_server(&dir).await;
    let mut card = new_card(server.addr()).await;
    let mut till = Till::new(server.addr()).await;
    assert_eq!(
        pay_next(&mut till, &mut card).await,
        ("SUCCESS".into(), None)
    );

    let body = json!({ "prefix": card.prefix, "token": card.token }).to_string();
    let auth = admin_signed(key.as_bytes(), REVOKE, &body);
    let (status, answer) = post(&server, REVOKE, &body, Some(&auth)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["revoked"], true);
    assert_eq!(
        pay_next(&mut till, &mut card).await,
        ("FAILED".into(), Some("CARD_REVOKED".into()))
    );
    // The same signed request again is a replay.
    let (status, answer) = post(&server, REVOKE, &body, Some(&auth)).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (401, Some("UNAUTHORIZED"))
    );
    // A card that does not exist.
    let missing = json!({ "prefix": card.prefix, "token": card.token ^ 1 }).to_string();
    let auth = admin_signed(key.as_bytes(), REVOKE, &missing);
    let (status, answer) = post(&server, REVOKE, &missing, Some(&auth)).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (404, Some("NOT_FOUND"))
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn unsigned_or_badly_signed_admin_calls_are_401_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (server, key) = admin_server(&dir).await;
    let mut card = new_card(server.addr()).await;
    let mut till = Till::new(server.addr()).await;
    let body = json!({ "prefix": card.prefix, "token": card.token }).to_string();
    let other = tempfile::tempdir().unwrap();
    let wrong = AdminKey::create(&other.path().join("k")).unwrap();
    let good = admin_signed(key.as_bytes(), REVOKE, &body);
    let refused = [
        None,
        Some("PAYCODE-ADMIN ts=1,nonce=0123456789abcdef,sig=00".to_owned()),
        Some(admin_signed(wrong.as_bytes(), REVOKE, &body)),
        // Signed for another body.
        Some(admin_signed(key.as_bytes(), REVOKE, "{}")),
        // A merchant's signature is not an admin's.
        Some(till.sign("POST", REVOKE, &body, now(), &nonce())),
        Some(good.replace("PAYCODE-ADMIN", "PAYCODE-CARD")),
    ];
    for auth in &refused {
        let (status, answer) = post(&server, REVOKE, &body, auth.as_deref()).await;
        assert_eq!(status, 401, "{auth:?}: {answer}");
        assert_eq!(answer["error"]["code"], "UNAUTHORIZED");
    }
    assert_eq!(
        pay_next(&mut till, &mut card).await,
        ("SUCCESS".into(), None)
    );
    server.shutdown().await.unwrap();

    // Without --admin-key-file the admin routes refuse everyone.
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(config(&dir)).await;
    let (status, answer) = post(&server, REVOKE, &body, Some(&good)).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (403, Some("ADMIN_DISABLED"))
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn reprovisioning_kills_the_old_key_and_the_new_link_pays() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(config(&dir)).await;
    let mut old = new_card(server.addr()).await;
    let mut till = Till::new(server.addr()).await;
    assert_eq!(
        pay_next(&mut till, &mut old).await,
        ("SUCCESS".into(), None)
    );

    let (status, out) = run(&[
        "card",
        "reprovision",
        &card_word(&old),
        "--db",
        &db_of(&dir),
    ]);
    assert_eq!(status, 0, "{out}");
    assert_eq!(out["key_version"], 2);
    let link = out["link"].as_str().unwrap();
    let mut new = DemoCard {
        card: Card::from_link(link).unwrap(),
        token: old.token,
        prefix: old.prefix,
        last: old.last,
    };
    assert_eq!(
        (new.card.token, new.card.layout.prefix),
        (old.card.token, old.card.layout.prefix)
    );
    assert_ne!(new.card.secret.as_bytes(), old.card.secret.as_bytes());
    // The old link's next code is not the card's any more.
    assert_eq!(
        pay_next(&mut till, &mut old).await,
        ("FAILED".into(), Some("AUTH_CODE_INVALID".into()))
    );
    assert_eq!(
        pay_next(&mut till, &mut new).await,
        ("SUCCESS".into(), None)
    );
    server.shutdown().await.unwrap();
}

/// An insert into the audit trail made to fail (a trigger of the test's
/// own): the re-provisioning's transaction rolls back whole.
#[tokio::test]
async fn a_failed_reprovisioning_leaves_the_old_card_intact() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(config(&dir)).await;
    let mut card = new_card(server.addr()).await;
    let mut till = Till::new(server.addr()).await;
    fail_audit_inserts(&dir.path().join("issuer.db"));

    let (status, out) = run(&[
        "card",
        "reprovision",
        &card_word(&card),
        "--db",
        &db_of(&dir),
    ]);
    assert_eq!(status, 1, "{out}");
    assert!(
        out["message"].as_str().unwrap().contains("injected"),
        "{out}"
    );
    assert_eq!(
        pay_next(&mut till, &mut card).await,
        ("SUCCESS".into(), None)
    );
    server.shutdown().await.unwrap();
}

fn fail_audit_inserts(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER test_fail_audit BEFORE INSERT ON audit
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
    )
    .unwrap();
}

#[tokio::test]
async fn an_expired_card_answers_card_expired() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(config(&dir)).await;
    let old = new_card(server.addr()).await;
    let mut till = Till::new(server.addr()).await;
    // A new key made at `at`, dead since a minute ago.
    let expires = (now() - 60).to_string();
    let (status, out) = run(&[
        "card",
        "reprovision",
        &card_word(&old),
        "--at",
        "1764000000",
        "--expires",
        &expires,
        "--db",
        &db_of(&dir),
    ]);
    assert_eq!(status, 0, "{out}");
    assert_eq!(out["expires"].as_u64(), expires.parse().ok());
    let mut card = DemoCard {
        card: Card::from_link(out["link"].as_str().unwrap()).unwrap(),
        token: old.token,
        prefix: old.prefix,
        last: None,
    };
    assert_eq!(
        pay_next(&mut till, &mut card).await,
        ("FAILED".into(), Some("CARD_EXPIRED".into()))
    );
    let auth = card_signed(&card.card, "GET", "/v1/wallet/history", b"");
    let reply = ApiClient::new(server.addr())
        .send(
            Method::GET,
            "/v1/wallet/history",
            &[("authorization", &auth)],
            String::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        reply.status, 401,
        "the card channel refuses an expired card"
    );
    server.shutdown().await.unwrap();

    // The command line's verify tells the instants apart.
    let code = card.card.code_at(now(), 5, 0).unwrap();
    let (status, out) = run(&["verify", code.as_str(), "--db", &db_of(&dir)]);
    assert_eq!((status, out["reason"].as_str()), (3, Some("card_expired")));
}

#[test]
fn an_expiry_before_provisioning_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (status, out) = run(&[
        "provision",
        "--at",
        "1764000000",
        "--expires",
        "1764000000",
        "--db",
        &db_of(&dir),
    ]);
    assert_eq!((status, out["error"].as_str()), (1, Some("expiry_past")));
    let (status, out) = run(&[
        "provision",
        "--at",
        "1764000000",
        "--expires",
        "1764003600",
        "--db",
        &db_of(&dir),
    ]);
    assert_eq!(status, 0, "{out}");
    assert_eq!(out["expires"], 1_764_003_600);
    assert_eq!(out["key_version"], 1);
}

#[test]
fn the_admin_key_file_is_made_0600_and_serve_refuses_an_exposed_or_served_one() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("admin.key");
    let file = path.display().to_string();
    let (status, out) = run(&["admin", "key", "--admin-key-file", &file]);
    assert_eq!(status, 0, "{out}");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(
        !out.to_string().contains(written.trim()),
        "the key is not printed"
    );
    let (status, out) = run(&["admin", "key", "--admin-key-file", &file]);
    assert_eq!(
        (status, out["error"].as_str()),
        (1, Some("admin_key_exists"))
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), written);

    let www = dir.path().join("www");
    std::fs::create_dir(&www).unwrap();
    let served = www.join("admin.key");
    std::fs::copy(&path, &served).unwrap();
    std::fs::set_permissions(&served, std::fs::Permissions::from_mode(0o600)).unwrap();
    let www_arg = www.display().to_string();
    let (status, out) = run(&[
        "serve",
        "--www",
        &www_arg,
        "--admin-key-file",
        &served.display().to_string(),
    ]);
    assert_eq!(
        (status, out["error"].as_str()),
        (1, Some("secret_inside_www")),
        "{out}"
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (status, out) = run(&["serve", "--www", &www_arg, "--admin-key-file", &file]);
    assert_eq!(
        (status, out["error"].as_str()),
        (1, Some("admin_key_exposed")),
        "{out}"
    );
}
