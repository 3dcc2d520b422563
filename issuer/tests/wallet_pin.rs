//! USERPAYING confirmed on the payer's phone over the card channel: the PIN
//! the payer chose when the card was added (stored as Argon2id) completes
//! the payment and the till's query sees SUCCESS; a decline is FAILED
//! (PAYER_DECLINED); three wrong PINs block PIN payments, the right PIN
//! included, until `paycode pin reset CARD`.

mod server_support;

use hyper::Method;
use paycode_wallet::core::link::Card;
use serde_json::{json, Value};
use server_support::*;

const PIN: &str = "246810";

/// A demo card whose PIN the payer chose.
async fn card_with_pin(c: &mut ApiClient, pin: &str) -> DemoCard {
    let reply = c
        .post_json("/api/cards", &json!({ "pin": pin }))
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let body = reply.json();
    assert!(
        body.get("pin").is_none(),
        "a chosen PIN was sent back: {body}"
    );
    let link = redeem(c, body["activation"].as_str().unwrap()).await;
    DemoCard {
        card: Card::from_link(&link).unwrap(),
        token: body["token"].as_u64().unwrap(),
        prefix: body["prefix"].as_u64().unwrap(),
        last: None,
    }
}

/// A POST on the card channel, signed by `card`.
async fn post_as(c: &mut ApiClient, card: &Card, target: &str, body: &Value) -> Reply {
    let text = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let auth = card_signed(card, "POST", target, text.as_bytes());
    let mut headers = vec![("authorization", auth.as_str())];
    if !text.is_empty() {
        headers.push(("content-type", "application/json"));
    }
    c.send(Method::POST, target, &headers, text).await.unwrap()
}

async fn confirm(c: &mut ApiClient, card: &Card, id: &str, pin: &str) -> Reply {
    post_as(
        c,
        card,
        &format!("/v1/wallet/payments/{id}/confirm"),
        &json!({ "pin": pin }),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phone_confirms_with_its_pin_and_three_wrong_ones_block_until_reset() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("issuer.db");
    let server = serve_with(config(&dir)).await;
    let mut c = ApiClient::new(server.addr());
    let mut card = card_with_pin(&mut c, PIN).await;
    let other = card_with_pin(&mut c, "135790").await;
    let mut till = Till::new(server.addr()).await;

    let waiting = till.pay("T-pin-1", &card.next(0), "350.00").await.json();
    assert_eq!(waiting["status"], "USERPAYING", "{waiting}");
    let id = waiting["payment_id"].as_str().unwrap().to_owned();

    // Another card cannot confirm it, even with the right PIN.
    let theirs = confirm(&mut c, &other.card, &id, PIN).await;
    assert_v1_error(&theirs, 404, "NOT_FOUND");
    // A malformed PIN is a bad request and counts nothing.
    assert_v1_error(
        &confirm(&mut c, &card.card, &id, "12345").await,
        400,
        "INVALID_REQUEST",
    );

    for left in [2, 1] {
        let wrong = confirm(&mut c, &card.card, &id, "000000").await;
        assert_v1_error(&wrong, 403, "PIN_INCORRECT");
        assert_eq!(wrong.json()["error"]["attempts_left"], left);
    }
    assert_v1_error(
        &confirm(&mut c, &card.card, &id, "000000").await,
        423,
        "PIN_BLOCKED",
    );
    // Blocked: the right PIN is refused too, and the till still waits.
    assert_v1_error(
        &confirm(&mut c, &card.card, &id, PIN).await,
        423,
        "PIN_BLOCKED",
    );
    assert_eq!(till.query("T-pin-1").await.json()["status"], "USERPAYING");

    let name = format!("{}:{}", card.prefix, card.token);
    let (code, v) = cli(&db, &["pin", "reset", &name]);
    assert_eq!(
        (code, v["pin_failures_before"].as_u64()),
        (0, Some(3)),
        "{v}"
    );
    let paid = confirm(&mut c, &card.card, &id, PIN).await;
    assert_eq!(paid.status, 200, "{:?}", paid.body);
    assert_eq!(paid.json()["status"], "SUCCESS");
    assert_eq!(till.query("T-pin-1").await.json()["status"], "SUCCESS");
    // Confirming again answers the payment as it is.
    assert_eq!(
        confirm(&mut c, &card.card, &id, PIN).await.json()["status"],
        "SUCCESS"
    );

    // A decline on the phone: FAILED, and the till's query says why.
    let waiting = till.pay("T-pin-2", &card.next(0), "400.00").await.json();
    assert_eq!(waiting["status"], "USERPAYING", "{waiting}");
    let id = waiting["payment_id"].as_str().unwrap();
    let declined = post_as(
        &mut c,
        &card.card,
        &format!("/v1/wallet/payments/{id}/decline"),
        &Value::Null,
    )
    .await;
    assert_eq!(declined.json()["status"], "FAILED", "{:?}", declined.body);
    let q = till.query("T-pin-2").await.json();
    assert_eq!(
        (q["status"].as_str(), q["error"]["code"].as_str()),
        (Some("FAILED"), Some("PAYER_DECLINED")),
        "{q}"
    );
    assert_ledger_clean(&db);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_is_set_once_over_the_channel_and_never_kept_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("issuer.db");
    let server = serve_with(config(&dir)).await;
    let mut c = ApiClient::new(server.addr());
    let card = card_with_pin(&mut c, PIN).await;
    let again = post_as(
        &mut c,
        &card.card,
        "/v1/wallet/pin",
        &json!({ "pin": "111111" }),
    )
    .await;
    assert_v1_error(&again, 409, "PIN_ALREADY_SET");
    // Unsigned: the one 401.
    let unsigned = c
        .request(
            Method::POST,
            "/v1/wallet/pin",
            Some("application/json"),
            r#"{"pin":"111111"}"#,
        )
        .await
        .unwrap();
    assert_v1_error(&unsigned, 401, "UNAUTHORIZED");
    server.shutdown().await.unwrap();
    // The database holds an Argon2id hash (rounds 0), not the digits.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (hash, rounds): (Vec<u8>, i64) = conn
        .query_row(
            "SELECT hash, rounds FROM card_pins WHERE token = ?1",
            [card.token],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((hash.len(), rounds), (32, 0));
    let file = std::fs::read(&db).unwrap();
    assert!(
        !file.windows(PIN.len()).any(|w| w == PIN.as_bytes()),
        "the PIN is in the database file"
    );
}
