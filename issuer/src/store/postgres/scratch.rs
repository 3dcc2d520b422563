//! Throw-away databases for tests, on the cluster that `PAYCODE_TEST_PG`
//! names (.ci/pg.sh starts one). Only built with the `postgres-tests`
//! feature; there a missing variable or server fails the test.

use std::sync::atomic::{AtomicU32, Ordering};

/// The variable naming the test cluster's admin URL.
pub const ENV: &str = "PAYCODE_TEST_PG";

/// The admin URL, `postgres://user@host:port/db`.
pub fn admin_url() -> String {
    std::env::var(ENV).unwrap_or_else(|_| {
        panic!("{ENV} is not set: the PostgreSQL tests need a server; run them through .ci/pg.sh")
    })
}

/// A new empty database on the test cluster; its URL. Each test takes its
/// own, so tests run in parallel.
pub fn database(label: &str) -> String {
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let admin = admin_url();
    let label: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(30)
        .collect();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!(
        "t_{label}_{}_{}_{nanos}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    );
    // On a thread of its own: the caller may be an async test.
    let create = name.clone();
    let url = admin.clone();
    std::thread::spawn(move || create_database(&url, &create))
        .join()
        .unwrap_or_else(|_| panic!("cannot create the test database {name}"));
    with_database(&admin, &name)
}

fn create_database(admin: &str, name: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for the test database");
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(admin, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("cannot reach the test cluster at {ENV}: {e}"));
        let driver = tokio::spawn(conn);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
        drop(client);
        let _ = driver.await;
    });
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}
