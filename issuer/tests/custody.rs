//! Keys at rest (docs/SECURITY.md, "Keys at rest"): after a demo issuer
//! has made cards and a merchant, neither the SQLite file, its WAL nor
//! `sqlite3 .dump` holds a card key or a merchant key in any form the
//! issuer shows them (raw, hex, base32); the database and the KEK file are
//! 0600; a sealed key copied into another card's row does not open; the
//! server refuses a database or KEK file inside `--www`.

mod server_support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use paycode_issuer::server::{start, ServerConfig};
use server_support::*;

/// Every text form of `key` the issuer ever shows.
fn forms(key: &[u8], base32: Option<&str>) -> Vec<Vec<u8>> {
    let mut forms = vec![
        key.to_vec(),
        hex::encode(key).into_bytes(),
        hex::encode_upper(key).into_bytes(),
    ];
    if let Some(text) = base32 {
        forms.push(text.to_ascii_uppercase().into_bytes());
        forms.push(text.to_ascii_lowercase().into_bytes());
    }
    forms
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The `secret=` value of a provisioning link: the key in base32.
fn base32_of(link: &str) -> String {
    let query = link.split_once('?').unwrap().1;
    query
        .split('&')
        .find_map(|p| p.strip_prefix("secret="))
        .unwrap()
        .to_owned()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_holds_no_key_in_any_form() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("issuer.db");
    let server = serve_with(config(&dir)).await;
    let mut keys = Vec::new();
    for _ in 0..3 {
        let mut client = ApiClient::new(server.addr());
        let reply = client
            .request(hyper::Method::POST, "/api/cards", None, "")
            .await
            .unwrap();
        let link = redeem(&mut client, reply.json()["activation"].as_str().unwrap()).await;
        let card = paycode_wallet::core::link::Card::from_link(&link).unwrap();
        keys.push(forms(card.secret.as_bytes(), Some(&base32_of(&link))));
    }
    let mut till = Till::new(server.addr()).await;
    keys.push(forms(&till.key, None));
    // A payment, so the keys were read back (and opened) too.
    let mut card = new_card(server.addr()).await;
    let code = card.next(0);
    let (status, body) = answer(&till.pay("T-1", &code, "1.00").await);
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("SUCCESS")),
        "{body}"
    );
    keys.push(forms(card.card.secret.as_bytes(), None));
    server.shutdown().await.unwrap();

    assert_eq!(mode(&db), 0o600, "database file");
    assert_eq!(mode(&dir.path().join("issuer.db.kek")), 0o600, "KEK file");
    let dump = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg(".dump")
        .output()
        .expect("sqlite3 is installed by make setup");
    assert!(dump.status.success());
    assert!(
        contains(&dump.stdout, b"INSERT INTO cards"),
        "the dump has the cards"
    );
    let mut places = vec![("sqlite3 .dump", dump.stdout)];
    for name in ["issuer.db", "issuer.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.path().join(name)) {
            places.push((name, bytes));
        }
    }
    for (place, bytes) in &places {
        for (i, key) in keys.iter().enumerate() {
            for form in key {
                assert!(!contains(bytes, form), "key {i} found in {place}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sealed_key_moved_to_another_card_does_not_open() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("issuer.db");
    let server = serve_with(config(&dir)).await;
    let a = new_card(server.addr()).await;
    let b = new_card(server.addr()).await;
    server.shutdown().await.unwrap();
    // Copy a's sealed key over b's, as someone with write access to the
    // file could.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE cards SET secret = (SELECT secret FROM cards WHERE token = ?1) WHERE token = ?2",
        [a.token, b.token],
    )
    .unwrap();
    drop(conn);
    let (code, v) = cli(
        &db,
        &["card", "revoke", &format!("{}:{}", b.prefix, b.token)],
    );
    // Revoking does not need the key; reading the card does.
    assert_eq!(code, 0, "{v}");
    let mut b = b;
    let (code, v) = cli(&db, &["verify", &b.next(0)]);
    assert_ne!(code, 0, "{v}");
    assert_eq!(v["error"], "key_custody", "{v}");
    let message = v["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("card {}:{}", b.prefix, b.token))
            && message.contains("tampered with or moved"),
        "{message}"
    );
    // a's own row still opens.
    let mut a = a;
    let (code, v) = cli(&db, &["verify", &a.next(0)]);
    assert_eq!(code, 0, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_or_kek_inside_www_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    std::fs::create_dir(&www).unwrap();
    std::fs::write(www.join("index.html"), "<!doctype html>").unwrap();
    // Through a link that points into www, too.
    let link = dir.path().join("data");
    std::os::unix::fs::symlink(&www, &link).unwrap();
    for db in [www.join("issuer.db"), link.join("issuer.db")] {
        let inside = ServerConfig::new(
            std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            db.clone(),
            &www,
        );
        let err = start(inside).await.err().expect("refused");
        assert_eq!(err.kind(), "secret_inside_www", "{err}");
        assert!(err.to_string().contains("database"), "{err}");
    }
    assert!(!www.join("issuer.db").exists(), "nothing was created");
    let mut kek_inside = ServerConfig::new(
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        dir.path().join("issuer.db"),
        &www,
    );
    kek_inside.kek_file = Some(www.join("kek"));
    let err = start(kek_inside).await.err().expect("refused");
    assert_eq!(err.kind(), "secret_inside_www", "{err}");
    assert!(err.to_string().contains("key-encryption key file"), "{err}");
}

#[test]
fn a_kek_file_others_can_read_is_refused_and_a_lost_one_is_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("issuer.db");
    let (code, v) = cli(&db, &["provision", "--prefix", "13"]);
    assert_eq!(code, 0, "{v}");
    let kek = dir.path().join("issuer.db.kek");
    std::fs::set_permissions(&kek, std::fs::Permissions::from_mode(0o640)).unwrap();
    let (code, v) = cli(&db, &["ledger", "check"]);
    assert_ne!(code, 0);
    assert!(v["message"].as_str().unwrap().contains("chmod 600"), "{v}");
    std::fs::remove_file(&kek).unwrap();
    let (code, v) = cli(&db, &["ledger", "check"]);
    assert_ne!(code, 0, "{v}");
    assert!(!kek.exists(), "an existing database never gets a new KEK");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rekey_while_payments_run_fails_none_and_leaves_only_the_new_kek() {
    use paycode_issuer::custody::{Kek, Vault};
    use paycode_issuer::store::{SqliteStore, Store, TxMode};

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("issuer.db");
    let kek_file = dir.path().join("issuer.db.kek");
    let server = serve_with(config(&dir)).await;
    let old_id = Kek::load(&kek_file).unwrap().id();
    // Enough cards that none reaches its 10 no-PIN payments a day.
    let mut cards = Vec::new();
    for _ in 0..40 {
        cards.push(new_card(server.addr()).await);
    }
    let mut till = Till::new(server.addr()).await;
    let new_file = dir.path().join("new.kek");
    let rekey = {
        let (db, new_file) = (db.clone(), new_file.clone());
        tokio::task::spawn_blocking(move || {
            cli(
                &db,
                &["rekey", "--new-kek-file", new_file.to_str().unwrap()],
            )
        })
    };
    // Pay all through the rekey and a little after it; provision a card
    // midway, so the server seals under whichever KEK it holds then.
    let mut paid = 0;
    let mut n = 0;
    while !rekey.is_finished() || n < 20 {
        assert!(n < 9 * 40, "the rekey outlasted {n} payments");
        let count = cards.len();
        let code = cards[n % count].next(0);
        let (status, body) = answer(&till.pay(&format!("R-{n}"), &code, "0.01").await);
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("SUCCESS")),
            "payment {n}: {body}"
        );
        paid += 1;
        n += 1;
        if n == 10 {
            cards.push(new_card(server.addr()).await);
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let (code, v) = rekey.await.unwrap();
    assert_eq!(code, 0, "{v}");
    assert!(v["resealed"].as_u64().unwrap() >= 5, "{v}");
    server.shutdown().await.unwrap();
    assert!(paid >= 20, "{paid} payments ran beside the rekey");
    println!(
        "{paid} payments beside the rekey, {} keys re-sealed",
        v["resealed"]
    );

    // The KEK file holds the new KEK alone, and every key opens under it.
    let ring = Kek::load_ring(&kek_file).unwrap();
    let new = Kek::load(&new_file).unwrap();
    assert_eq!(ring.len(), 1);
    assert_eq!(ring[0].id(), new.id());
    assert_ne!(new.id(), old_id);
    let raw = rusqlite::Connection::open(&db).unwrap();
    let keys: Vec<(u8, u32)> = raw
        .prepare("SELECT prefix, token FROM cards")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(keys.len(), cards.len());
    let mut only_new = SqliteStore::open(&db, std::sync::Arc::new(Vault::new(new))).unwrap();
    let mut tx = only_new.begin(TxMode::Read).unwrap();
    for (prefix, token) in keys {
        let key = paycode_issuer::store::CardKey { prefix, token };
        assert!(tx.card(key).unwrap().is_some(), "card {prefix}:{token}");
    }
    assert!(tx.merchant_key(&till.merchant).unwrap().is_some());
}
