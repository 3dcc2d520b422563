//! The card-signed channel (docs/FORMAT.md §11): the vectors of the
//! independent implementation (.ci/gen_channel_vectors.py) through the
//! issuer's signing code, and `GET /v1/wallet/history` behind it: no
//! signature, a bad one, a reused nonce and another card's key are all the
//! one uniform 401; the token alone reads nothing.

mod server_support;

use hyper::Method;
use paycode_issuer::signing::{
    authenticate_card, canonical_string, card_authorization, CardAuthHeader, CardSigner,
    MemoryNonceLog, Request, RequestParts,
};
use paycode_wallet::core::channel::channel_key;
use paycode_wallet::core::link::Card;
use paycode_wallet::core::secret::Secret;
use serde_json::Value;
use server_support::*;

const VECTORS: &str = include_str!("../../tests/vectors/channel.json");

fn signer_of(card: &Card) -> CardSigner {
    CardSigner {
        prefix: card.layout.prefix,
        token: card.token,
    }
}

/// The `PAYCODE-CARD` value for this request, signed with `card`'s channel key.
fn card_auth(
    card: &Card,
    as_card: CardSigner,
    method: &str,
    target: &str,
    ts: u64,
    nonce: &str,
) -> String {
    let key = channel_key(&card.secret);
    let parts = RequestParts {
        method,
        path_and_query: target,
        ts,
        nonce,
        body: b"",
    };
    card_authorization(&key[..], as_card, &parts)
}

async fn get_as(c: &mut ApiClient, target: &str, auth: Option<&str>) -> Reply {
    let headers: Vec<(&str, &str)> = auth.map(|a| ("authorization", a)).into_iter().collect();
    c.send(Method::GET, target, &headers, "").await.unwrap()
}

#[test]
fn the_issuer_signs_the_vectors_of_the_second_implementation() {
    let v: Value = serde_json::from_str(VECTORS).unwrap();
    let requests = v["requests"].as_array().unwrap();
    assert!(requests.len() >= 3);
    for r in requests {
        let s = |k: &str| r[k].as_str().unwrap_or_else(|| panic!("{k}"));
        let secret = Secret::from_base32(s("secret_base32")).unwrap();
        let key = channel_key(&secret);
        let parts = RequestParts {
            method: s("method"),
            path_and_query: s("path_and_query"),
            ts: r["ts"].as_u64().unwrap(),
            nonce: s("nonce"),
            body: s("body").as_bytes(),
        };
        let card = CardSigner {
            prefix: r["prefix"].as_u64().unwrap() as u8,
            token: r["token"].as_u64().unwrap() as u32,
        };
        assert_eq!(canonical_string(&parts), s("canonical"), "{}", s("name"));
        let header = card_authorization(&key[..], card, &parts);
        assert_eq!(header, s("authorization"), "{}", s("name"));
        assert!(header.ends_with(&format!("sig={}", s("sig"))));
        assert_eq!(CardAuthHeader::parse(&header).unwrap().card(), card);
        // And the verifier accepts it, once.
        let request = Request {
            method: parts.method,
            path_and_query: parts.path_and_query,
            body: parts.body,
        };
        let mut log = MemoryNonceLog::new();
        let check = |log: &mut MemoryNonceLog| {
            authenticate_card(
                Some(&header),
                &request,
                parts.ts,
                |_| Ok(Some(&key[..])),
                log,
            )
        };
        assert_eq!(check(&mut log), Ok(card), "{}", s("name"));
        assert!(check(&mut log).is_err(), "a replay of {}", s("name"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_is_read_only_over_the_card_channel() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(config(&dir)).await;
    let mut card = new_card(server.addr()).await;
    let other = new_card(server.addr()).await;
    let mut till = Till::new(server.addr()).await;
    for (n, amount) in [(1, "1.00"), (2, "2.00")] {
        let code = card.next((n - 1) as u8);
        let paid = till.pay(&format!("T-h{n}"), &code, amount).await.json();
        assert_eq!(paid["status"], "SUCCESS", "{paid}");
    }
    let mut c = ApiClient::new(server.addr());
    let target = "/v1/wallet/history?limit=10";
    let me = signer_of(&card.card);

    let nonce_1 = nonce();
    let good = card_auth(&card.card, me, "GET", target, now(), &nonce_1);
    let reply = get_as(&mut c, target, Some(&good)).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let v = reply.json();
    assert_eq!(
        (v["token"].as_u64(), v["prefix"].as_u64()),
        (Some(card.token), Some(card.prefix))
    );
    let rows = v["charges"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{v}");
    assert_eq!(rows[0]["amount"], "2.00");
    assert_eq!(rows[0]["funding"]["label"], "ICBC ••1234");
    assert_eq!(rows[1]["amount"], "1.00");
    for row in rows {
        assert_eq!(
            (row["result"].as_str(), row["status"].as_str()),
            (Some("approved"), Some("SUCCESS"))
        );
        assert_eq!(row["merchant"], "Demo shop");
    }

    // The same request again: the nonce is spent.
    assert_v1_error(
        &get_as(&mut c, target, Some(&good)).await,
        401,
        "UNAUTHORIZED",
    );
    // No signature at all.
    assert_v1_error(&get_as(&mut c, target, None).await, 401, "UNAUTHORIZED");
    // A signature that is not this request's (one hex digit changed).
    let fresh = card_auth(&card.card, me, "GET", target, now(), &nonce());
    let flipped = match fresh.chars().last() {
        Some('0') => format!("{}1", &fresh[..fresh.len() - 1]),
        _ => format!("{}0", &fresh[..fresh.len() - 1]),
    };
    assert_v1_error(
        &get_as(&mut c, target, Some(&flipped)).await,
        401,
        "UNAUTHORIZED",
    );
    // Signed for another target than the one sent.
    let elsewhere = card_auth(
        &card.card,
        me,
        "GET",
        "/v1/wallet/history?limit=11",
        now(),
        &nonce(),
    );
    assert_v1_error(
        &get_as(&mut c, target, Some(&elsewhere)).await,
        401,
        "UNAUTHORIZED",
    );
    // Another card's key, claiming to be this card.
    let forged = card_auth(&other.card, me, "GET", target, now(), &nonce());
    assert_v1_error(
        &get_as(&mut c, target, Some(&forged)).await,
        401,
        "UNAUTHORIZED",
    );
    // The card key itself is not the channel key.
    let raw = card_authorization(
        card.card.secret.as_bytes(),
        me,
        &RequestParts {
            method: "GET",
            path_and_query: target,
            ts: now(),
            nonce: &nonce(),
            body: b"",
        },
    );
    assert_v1_error(
        &get_as(&mut c, target, Some(&raw)).await,
        401,
        "UNAUTHORIZED",
    );
    // A merchant's signature is not a card's.
    let merchant = till.sign("GET", target, "", now(), &nonce());
    assert_v1_error(
        &get_as(&mut c, target, Some(&merchant)).await,
        401,
        "UNAUTHORIZED",
    );
    // Out of the clock window.
    let stale = card_auth(&card.card, me, "GET", target, now() - 400, &nonce());
    assert_v1_error(
        &get_as(&mut c, target, Some(&stale)).await,
        401,
        "UNAUTHORIZED",
    );
    // The other card, signing as itself, sees its own (empty) history only.
    let theirs = card_auth(
        &other.card,
        signer_of(&other.card),
        "GET",
        target,
        now(),
        &nonce(),
    );
    let v = get_as(&mut c, target, Some(&theirs)).await.json();
    assert_eq!(v["charges"].as_array().map(Vec::len), Some(0), "{v}");
    // The old token-only route is gone.
    let old = format!("/api/cards/{}/history?prefix={}", card.token, card.prefix);
    assert_eq!(c.get(&old).await.unwrap().status, 404);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_is_the_same_401() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(config(&dir)).await;
    let card = new_card(server.addr()).await;
    let other = new_card(server.addr()).await;
    let mut c = ApiClient::new(server.addr());
    let target = "/v1/wallet/history";
    let me = signer_of(&card.card);
    let unknown = CardSigner {
        prefix: 15,
        token: 1,
    };
    let refusals = [
        None,
        Some("PAYCODE-CARD prefix=13".to_owned()),
        Some(card_auth(&other.card, me, "GET", target, now(), &nonce())),
        Some(card_auth(
            &card.card,
            unknown,
            "GET",
            target,
            now(),
            &nonce(),
        )),
    ];
    let mut bodies = Vec::new();
    for auth in &refusals {
        let reply = get_as(&mut c, target, auth.as_deref()).await;
        assert_v1_error(&reply, 401, "UNAUTHORIZED");
        bodies.push(reply.body.clone());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
    server.shutdown().await.unwrap();
}

#[test]
fn the_formats_worked_example_is_the_first_vector() {
    let doc = include_str!("../../docs/FORMAT.md");
    let v: Value = serde_json::from_str(VECTORS).unwrap();
    let (key, request) = (&v["keys"][0], &v["requests"][0]);
    assert_eq!(key["secret_base32"], request["secret_base32"]);
    for shown in [
        key["channel_key_hex"].as_str().unwrap(),
        request["authorization"].as_str().unwrap(),
        v["label"].as_str().unwrap(),
    ] {
        assert!(
            doc.contains(shown),
            "docs/FORMAT.md §11 does not show {shown}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_is_refused_as_on_the_merchant_api() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(config(&dir)).await;
    let card = new_card(server.addr()).await;
    let mut c = ApiClient::new(server.addr());
    let target = "/v1/wallet/pin";
    let auth = card_auth(
        &card.card,
        signer_of(&card.card),
        "POST",
        target,
        now(),
        &nonce(),
    );
    let body = format!("{{\"pin\":\"{}\"}}", "1".repeat(5000));
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    let reply = c.send(Method::POST, target, &headers, body).await.unwrap();
    assert_v1_error(&reply, 413, "BODY_TOO_LARGE");
    server.shutdown().await.unwrap();
}
