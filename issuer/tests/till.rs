//! The native till client against a scripted server (tests/till_server):
//! every request it sends verifies with the issuer's own `authenticate`,
//! and the till rule queries, then reverses, exactly when the outcome is
//! unknown. Hung answers are real hangs (the server never answers), so the
//! client's timeout, not timing luck, decides.

mod till_server;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use paycode_issuer::till::wire::PayRequest;
use paycode_issuer::till::{
    Credentials, Endpoint, PaymentStatus, SaleOutcome, TillClient, TillConfig, TillError,
};
use serde_json::json;
use till_server::{error, payment, Action, Seen, TestServer, KEY_HEX, MERCHANT};

const OUT_TRADE_NO: &str = "T1767225600-TEST01";
const PAY: (&str, &str) = ("POST", "/v1/payments");
const QUERY: (&str, &str) = ("GET", "/v1/payments/T1767225600-TEST01");
const REVERSE: (&str, &str) = ("POST", "/v1/payments/T1767225600-TEST01/reverse");

fn config() -> TillConfig {
    TillConfig {
        request_timeout: Duration::from_millis(1000),
        poll_interval: Duration::from_millis(20),
        poll_for: Duration::from_millis(150),
        reverse_tries: 3,
        reverse_pause: Duration::from_millis(10),
        ..TillConfig::default()
    }
}

/// Queries the rule may make in `config().poll_for`: at least one, at most
/// one per interval.
const MAX_QUERIES: usize = 150 / 20 + 1;

fn client(url: &str, key_hex: &str) -> TillClient {
    let credentials =
        Credentials::from_json(&json!({"merchant": MERCHANT, "key": key_hex}).to_string()).unwrap();
    TillClient::new(Endpoint::parse(url).unwrap(), credentials, config())
}

fn sale() -> PayRequest {
    PayRequest {
        out_trade_no: OUT_TRADE_NO.into(),
        auth_code: "134617201123456789".into(),
        amount: "12.50".into(),
        currency: "CNY".into(),
        description: None,
    }
}

fn routes(seen: &[Seen]) -> Vec<(&str, &str)> {
    seen.iter().map(Seen::route).collect()
}

async fn server(script: impl Fn(usize, &Seen) -> Action + Send + Sync + 'static) -> TestServer {
    TestServer::start(Box::new(script)).await
}

fn status_of(outcome: &SaleOutcome) -> PaymentStatus {
    match outcome {
        SaleOutcome::Settled { payment } | SaleOutcome::Reversed { payment } => payment.status,
        SaleOutcome::Unresolved { last_error } => panic!("unresolved: {last_error}"),
    }
}

#[tokio::test]
async fn a_success_is_one_signed_request() {
    let s = server(|_, _| Action::Answer(200, payment("SUCCESS", OUT_TRADE_NO))).await;
    let outcome = client(&s.url(), KEY_HEX).sale(&sale()).await.unwrap();
    assert!(
        matches!(&outcome, SaleOutcome::Settled { payment } if payment.status == PaymentStatus::Success)
    );
    assert!(outcome.is_paid());
    let seen = s.seen();
    assert_eq!(routes(&seen), [PAY]);
    assert_eq!(
        seen[0].body,
        json!({"out_trade_no": OUT_TRADE_NO, "auth_code": "134617201123456789",
               "amount": "12.50", "currency": "CNY"})
    );
    s.assert_all_verified();
}

#[tokio::test]
async fn a_timed_out_payment_is_queried_until_it_is_found() {
    let s = server(|i, _| match i {
        0 => Action::Hang,
        1 => Action::Answer(404, error("NOT_FOUND")),
        _ => Action::Answer(200, payment("SUCCESS", OUT_TRADE_NO)),
    })
    .await;
    // Polling lasts from when the payment was sent, so here it must
    // outlast the timeout; the margin only matters if the test fails.
    let mut c = client(&s.url(), KEY_HEX);
    c.config.poll_for = c.config.request_timeout + Duration::from_secs(5);
    let outcome = c.sale(&sale()).await.unwrap();
    assert_eq!(status_of(&outcome), PaymentStatus::Success);
    assert!(matches!(outcome, SaleOutcome::Settled { .. }));
    assert_eq!(routes(&s.seen()), [PAY, QUERY, QUERY]);
    s.assert_all_verified();
}

#[tokio::test]
async fn userpaying_is_polled_until_the_payer_confirms() {
    let s = server(|i, _| match i {
        0 | 1 => Action::Answer(200, payment("USERPAYING", OUT_TRADE_NO)),
        _ => Action::Answer(200, payment("SUCCESS", OUT_TRADE_NO)),
    })
    .await;
    let outcome = client(&s.url(), KEY_HEX).sale(&sale()).await.unwrap();
    assert_eq!(status_of(&outcome), PaymentStatus::Success);
    assert_eq!(routes(&s.seen()), [PAY, QUERY, QUERY]);
    s.assert_all_verified();
}

#[tokio::test]
async fn userpaying_past_the_polling_time_is_reversed() {
    let s = server(|_, seen| match seen.route() {
        REVERSE => Action::Answer(200, payment("CLOSED", OUT_TRADE_NO)),
        _ => Action::Answer(200, payment("USERPAYING", OUT_TRADE_NO)),
    })
    .await;
    let started = std::time::Instant::now();
    let outcome = client(&s.url(), KEY_HEX).sale(&sale()).await.unwrap();
    assert!(started.elapsed() >= config().poll_for);
    assert!(
        matches!(&outcome, SaleOutcome::Reversed { payment } if payment.status == PaymentStatus::Closed)
    );
    assert!(!outcome.is_paid());
    let seen = s.seen();
    let routes = routes(&seen);
    assert_eq!(routes.first(), Some(&PAY));
    assert_eq!(routes.last(), Some(&REVERSE));
    let queries = &routes[1..routes.len() - 1];
    assert!(
        (1..=MAX_QUERIES).contains(&queries.len()) && queries.iter().all(|r| *r == QUERY),
        "{routes:?}"
    );
    s.assert_all_verified();
}

#[tokio::test]
async fn server_errors_and_rate_limits_leave_the_outcome_open() {
    for (status, code) in [
        (500, "SYSTEMERROR"),
        (503, "SYSTEMERROR"),
        (429, "RATE_LIMITED"),
    ] {
        let s = server(move |i, _| match i {
            0 => Action::Answer(status, error(code)),
            _ => Action::Answer(200, payment("SUCCESS", OUT_TRADE_NO)),
        })
        .await;
        let outcome = client(&s.url(), KEY_HEX).sale(&sale()).await.unwrap();
        assert_eq!(status_of(&outcome), PaymentStatus::Success, "{code}");
        assert_eq!(routes(&s.seen()), [PAY, QUERY], "{status}");
        s.assert_all_verified();
    }
}

#[tokio::test]
async fn a_failed_payment_is_final() {
    let s = server(|_, _| {
        let mut p = payment("FAILED", OUT_TRADE_NO);
        p["error"] = json!({"code": "INSUFFICIENT_FUNDS", "message": "too low"});
        Action::Answer(200, p)
    })
    .await;
    let outcome = client(&s.url(), KEY_HEX).sale(&sale()).await.unwrap();
    let SaleOutcome::Settled { payment } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(payment.status, PaymentStatus::Failed);
    assert_eq!(payment.error.as_ref().unwrap().code, "INSUFFICIENT_FUNDS");
    assert!(!outcome.is_paid());
    assert_eq!(routes(&s.seen()), [PAY]);
}

#[tokio::test]
async fn a_refused_request_stops_without_query_or_reverse() {
    for (status, code) in [(409, "OUT_TRADE_NO_CONFLICT"), (400, "INVALID_REQUEST")] {
        let s = server(move |_, _| Action::Answer(status, error(code))).await;
        let err = client(&s.url(), KEY_HEX).sale(&sale()).await.unwrap_err();
        assert_eq!(err.code(), Some(code));
        assert!(matches!(err, TillError::Api { status: st, .. } if st == status));
        assert_eq!(routes(&s.seen()), [PAY]);
    }
}

#[tokio::test]
async fn a_wrong_key_is_refused_by_the_verifier_and_not_retried() {
    let s = server(|_, _| Action::Answer(200, payment("SUCCESS", OUT_TRADE_NO))).await;
    let wrong = "ff".repeat(32);
    let err = client(&s.url(), &wrong).sale(&sale()).await.unwrap_err();
    assert_eq!(err.code(), Some("UNAUTHORIZED"));
    let seen = s.seen();
    assert_eq!(routes(&seen), [PAY]);
    assert_eq!(seen[0].auth, Err("bad_signature".to_owned()));
}

#[tokio::test]
async fn a_hung_payment_that_is_never_found_is_reversed() {
    // The reverse is what stops the payment, still on its way, from
    // paying later.
    let s = server(|_, seen| match seen.route() {
        PAY => Action::Hang,
        QUERY => Action::Answer(404, error("NOT_FOUND")),
        _ => Action::Answer(200, payment("CLOSED", OUT_TRADE_NO)),
    })
    .await;
    let outcome = client(&s.url(), KEY_HEX).sale(&sale()).await.unwrap();
    assert!(
        matches!(&outcome, SaleOutcome::Reversed { payment } if payment.status == PaymentStatus::Closed)
    );
    let seen = s.seen();
    let routes = routes(&seen);
    assert_eq!((routes[0], *routes.last().unwrap()), (PAY, REVERSE));
    assert_eq!(routes.iter().filter(|r| **r == REVERSE).count(), 1);
    s.assert_all_verified();
}

#[tokio::test]
async fn a_failed_reverse_is_sent_again() {
    let reverses = AtomicUsize::new(0);
    let s = server(move |_, seen| match seen.route() {
        REVERSE if reverses.fetch_add(1, Ordering::SeqCst) == 0 => {
            Action::Answer(500, error("SYSTEMERROR"))
        }
        REVERSE => Action::Answer(200, payment("REVERSED", OUT_TRADE_NO)),
        _ => Action::Answer(200, payment("USERPAYING", OUT_TRADE_NO)),
    })
    .await;
    let outcome = client(&s.url(), KEY_HEX).sale(&sale()).await.unwrap();
    assert!(
        matches!(&outcome, SaleOutcome::Reversed { payment } if payment.status == PaymentStatus::Reversed)
    );
    let seen = s.seen();
    let routes = routes(&seen);
    assert_eq!(routes[routes.len() - 2..], [REVERSE, REVERSE]);
    s.assert_all_verified();
}

#[tokio::test]
async fn an_issuer_that_never_answers_well_leaves_the_sale_unresolved() {
    let s = server(|_, _| Action::Answer(500, error("SYSTEMERROR"))).await;
    let outcome = client(&s.url(), KEY_HEX).sale(&sale()).await.unwrap();
    let SaleOutcome::Unresolved { last_error } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(last_error.code(), Some("SYSTEMERROR"));
    assert!(!outcome.is_paid());
    let seen = s.seen();
    let reverses = routes(&seen).iter().filter(|r| **r == REVERSE).count();
    assert_eq!(reverses, config().reverse_tries as usize);
    s.assert_all_verified();
}

#[tokio::test]
async fn an_unreachable_issuer_leaves_the_sale_unresolved() {
    // A port that was just free: connecting is refused at once.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let outcome = client(&format!("http://{addr}"), KEY_HEX)
        .sale(&sale())
        .await
        .unwrap();
    let SaleOutcome::Unresolved { last_error } = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(matches!(last_error, TillError::Network(_)), "{last_error}");
}

#[tokio::test]
async fn query_reverse_and_refund_are_signed_requests() {
    let s = server(|_, seen| match seen.route() {
        QUERY => Action::Answer(200, payment("SUCCESS", OUT_TRADE_NO)),
        REVERSE => Action::Answer(200, payment("REVERSED", OUT_TRADE_NO)),
        _ => Action::Answer(
            200,
            json!({"refund_id": "r_1", "out_refund_no": "R1", "out_trade_no": OUT_TRADE_NO,
                   "amount": "5.00", "status": "SUCCESS", "payment_status": "PARTIALLY_REFUNDED",
                   "refunded": "5.00"}),
        ),
    })
    .await;
    let c = client(&s.url(), KEY_HEX);
    assert_eq!(
        c.query(OUT_TRADE_NO).await.unwrap().status,
        PaymentStatus::Success
    );
    assert_eq!(
        c.reverse(OUT_TRADE_NO).await.unwrap().status,
        PaymentStatus::Reversed
    );
    let refund = c.refund(OUT_TRADE_NO, "R1", "5").await.unwrap();
    assert_eq!(
        refund.payment_status,
        Some(PaymentStatus::PartiallyRefunded)
    );
    let seen = s.seen();
    assert_eq!(routes(&seen), [QUERY, REVERSE, ("POST", "/v1/refunds")]);
    assert_eq!(seen[0].body, serde_json::Value::Null, "a GET has no body");
    assert_eq!(
        seen[2].body,
        json!({"out_trade_no": OUT_TRADE_NO, "out_refund_no": "R1", "amount": "5.00"})
    );
    s.assert_all_verified();
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let s = server(|_, _| Action::Answer(200, payment("SUCCESS", OUT_TRADE_NO))).await;
    let c = client(&s.url(), KEY_HEX);
    let mut bad = sale();
    bad.out_trade_no = "T1/../x".into();
    assert!(matches!(c.sale(&bad).await, Err(TillError::Input(_))));
    let mut bad = sale();
    bad.amount = "12.345".into();
    assert!(matches!(c.sale(&bad).await, Err(TillError::Input(_))));
    assert!(matches!(c.query("").await, Err(TillError::Input(_))));
    assert!(matches!(
        c.reverse(&"x".repeat(33)).await,
        Err(TillError::Input(_))
    ));
    assert!(matches!(
        c.refund(OUT_TRADE_NO, "R1", "1.234").await,
        Err(TillError::Input(_))
    ));
    assert!(matches!(
        c.refund(OUT_TRADE_NO, "R 1", "1").await,
        Err(TillError::Input(_))
    ));
    assert!(s.seen().is_empty());
}

#[tokio::test]
async fn a_base_path_is_part_of_what_is_signed() {
    let s = server(|_, _| Action::Answer(200, payment("SUCCESS", OUT_TRADE_NO))).await;
    let c = client(&format!("{}/shop/", s.url()), KEY_HEX);
    c.query(OUT_TRADE_NO).await.unwrap();
    assert_eq!(s.seen()[0].target, "/shop/v1/payments/T1767225600-TEST01");
    s.assert_all_verified();
}
