//! The audit trail (#17 part 6): `paycode audit` lists the events of a run
//! in the order they happened, as text and JSON; 401s are counted per
//! (merchant, address) and written as one row each when the server
//! stops; the database refuses to change or delete an event; and no key
//! (card, merchant or admin; raw, hex or base32) is in the trail.

mod server_support;

use std::path::Path;

use hyper::Method;
use paycode_issuer::cli;
use paycode_wallet::core::link::Card;
use serde_json::Value;
use server_support::{config, new_card, nonce, now, serve_with, Till};

fn run(words: &[&str]) -> (i32, String) {
    let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    let out = cli::run(&words, now());
    (out.status, out.stdout)
}

fn json(words: &[&str]) -> Value {
    let (status, out) = run(words);
    assert_eq!(status, 0, "{words:?}: {out}");
    serde_json::from_str(&out).unwrap()
}

fn base32(bytes: &[u8]) -> String {
    // RFC 4648 without padding, as the provisioning link writes keys.
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for b in bytes {
        buffer = (buffer << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Every value of the audit table as text, straight from the file.
fn audit_table_text(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT seq, at, kind, prefix, token, merchant, address, count, detail FROM audit")
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    let mut text = String::new();
    while let Some(row) = rows.next().unwrap() {
        for i in 0..9 {
            let value: rusqlite::types::Value = row.get(i).unwrap();
            text.push_str(&format!("{value:?}|"));
        }
        text.push('\n');
    }
    text
}

#[tokio::test]
async fn paycode_audit_lists_the_events_of_a_run_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("issuer.db");
    let db_arg = db.display().to_string();
    let server = serve_with(config(&dir)).await;
    let addr = server.addr();
    let mut card = new_card(addr).await;
    let word = format!("{}:{}", card.prefix, card.token);
    let mut till = Till::new(addr).await;

    // Five wrong codes at one merchant lock the card there.
    for _ in 0..5 {
        let good = card.next(0);
        let last = good.as_bytes()[good.len() - 1];
        let bad = format!(
            "{}{}",
            &good[..good.len() - 1],
            if last == b'0' { '1' } else { '0' }
        );
        let reply = till.pay(&format!("o{}", nonce()), &bad, "1.00").await;
        assert_eq!(reply.json()["status"], "FAILED");
    }
    // Three refused signatures from this address: one with no merchant,
    // two claiming the till's merchant.
    for auth in [
        None,
        Some(till.sign("POST", "/v1/payments", "{}", 1, &nonce())),
        Some(till.sign("POST", "/v1/payments", "{}", 1, &nonce())),
    ] {
        let reply = till
            .send_as(Method::POST, "/v1/payments", "{}", auth.as_deref())
            .await
            .unwrap();
        assert_eq!(reply.status, 401);
    }
    let (status, out) = run(&["revoke", &word, "--db", &db_arg]);
    assert_eq!(status, 0, "{out}");
    let reprovisioned = json(&["card", "reprovision", &word, "--db", &db_arg]);
    // The server writes the 401 counts when it stops.
    server.shutdown().await.unwrap();
    let new_kek = dir.path().join("new.kek").display().to_string();
    let rekeyed = json(&["rekey", "--new-kek-file", &new_kek, "--db", &db_arg]);

    let trail = json(&["audit", "--json", "--db", &db_arg]);
    let events = trail["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "card_created",
            "card_activated",
            "code_lockout",
            "card_revoked",
            "card_reprovisioned",
            "unauthorized",
            "unauthorized",
            "keys_rekeyed",
        ],
        "{trail}"
    );
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert!(events[..5].iter().all(|e| e["card"] == word.as_str()));
    assert_eq!(events[1]["detail"], "by activation code");
    assert_eq!(events[2]["merchant"], till.merchant.as_str());
    assert_eq!(events[3]["detail"], "by cli");
    assert!(events[4]["detail"]
        .as_str()
        .unwrap()
        .contains("key version 2"));
    let claimed = events[5..7]
        .iter()
        .find(|e| e["merchant"] == till.merchant.as_str())
        .expect("the 401s that claimed the till's merchant");
    assert_eq!(claimed["count"], 2);
    assert_eq!(claimed["address"], "127.0.0.1");
    let unnamed = events[5..7]
        .iter()
        .find(|e| e["merchant"].is_null())
        .unwrap();
    assert_eq!(unnamed["count"], 1);
    assert_eq!(events[7]["count"], rekeyed["resealed"]);

    // The text form: one line per event, in the same order.
    let (status, text) = run(&["audit", "--db", &db_arg]);
    assert_eq!(status, 0);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), events.len(), "{text}");
    for (line, kind) in lines.iter().zip(&kinds) {
        assert!(line.split(' ').nth(2) == Some(kind), "{line}");
    }
    // --after and --limit page through it.
    let page = json(&[
        "audit",
        "--json",
        "--after",
        &seqs[2].to_string(),
        "--limit",
        "2",
        "--db",
        &db_arg,
    ]);
    let page: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(page, ["card_revoked", "card_reprovisioned"]);

    // No key in it: neither card key (old or new) nor the merchant's, in
    // any spelling.
    let table = audit_table_text(&db);
    let new_card = Card::from_link(reprovisioned["link"].as_str().unwrap()).unwrap();
    for key in [
        card.card.secret.as_bytes(),
        new_card.secret.as_bytes(),
        &till.key[..],
    ] {
        for spelled in [hex::encode(key), hex::encode_upper(key), base32(key)] {
            assert!(!table.contains(&spelled), "a key in the audit trail");
            assert!(!text.contains(&spelled));
        }
        let raw = std::fs::read(&db).unwrap();
        assert!(
            !raw.windows(key.len()).any(|w| w == key),
            "a raw key in the file"
        );
    }
}

#[test]
fn the_database_refuses_to_change_the_audit_trail() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("issuer.db");
    let db_arg = db.display().to_string();
    json(&["provision", "--db", &db_arg]);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let count = |conn: &rusqlite::Connection| -> i64 {
        conn.query_row("SELECT COUNT(*) FROM audit", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(count(&conn), 1);
    for sql in [
        "UPDATE audit SET detail = 'edited'",
        "UPDATE audit SET kind = 'card_restored' WHERE seq = 1",
        "DELETE FROM audit",
        "DELETE FROM audit WHERE seq = 1",
    ] {
        let err = conn.execute(sql, []).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(count(&conn), 1);
    let detail: String = conn
        .query_row("SELECT detail FROM audit", [], |r| r.get(0))
        .unwrap();
    assert_eq!(detail, "key version 1");
}

#[test]
fn bad_audit_options_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let db_arg = dir.path().join("issuer.db").display().to_string();
    for (words, kind) in [
        (vec!["audit", "--after", "-1", "--db", &db_arg], "bad_value"),
        (
            vec!["audit", "--nope", "1", "--db", &db_arg],
            "unknown_option",
        ),
        (vec!["audit", "extra", "--db", &db_arg], "extra_argument"),
    ] {
        let (status, out) = run(&words);
        assert_eq!(status, 1, "{out}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["error"], kind, "{words:?}");
    }
    // An empty trail is an empty list.
    assert_eq!(
        json(&["audit", "--json", "--db", &db_arg])["events"],
        serde_json::json!([])
    );
}
