//! Statements sent together: tokio-postgres pipelines requests issued
//! concurrently on one connection, so several statements cost one round
//! trip when they are sent before any answer is awaited.
//!
//! A transaction queues the writes whose answer nobody needs at once (a
//! savepoint, an upsert of the card's state, an approval count) and sends
//! them ahead of the next statement it has to wait for, or of its commit.
//! The server runs them in order, each after the one before has finished,
//! so a statement sees every write queued before it, a lock queued before
//! a read is held before that read takes its snapshot, and a queued write
//! that fails fails the statement it was sent with (and, the transaction
//! being aborted then, every later one): its error is never lost.
//!
//! Every statement and round trip is counted ([`traffic`]), for the
//! benchmark.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;

use deadpool_postgres::Object;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use super::rows::pg_err;
use crate::store::StoreError;

/// An owned parameter of a queued statement.
pub(super) type Owned = Box<dyn ToSql + Sync + Send>;

/// A write sent with the next statement that is waited for.
pub(super) struct Queued {
    pub sql: String,
    pub params: Vec<Owned>,
    /// `Some(depth)` for the `SAVEPOINT` that opens level `depth`: a
    /// level rolled back before it was sent needs no statement at all.
    pub opens: Option<u32>,
}

impl Queued {
    pub fn write(sql: impl Into<String>, params: Vec<Owned>) -> Queued {
        Queued {
            sql: sql.into(),
            params,
            opens: None,
        }
    }

    pub fn savepoint(depth: u32) -> Queued {
        Queued {
            sql: format!("SAVEPOINT sp{depth}"),
            params: Vec::new(),
            opens: Some(depth),
        }
    }
}

/// What a statement's caller wants back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Want {
    Rows,
    Count,
}

pub(super) enum Answer {
    Rows(Vec<Row>),
    Count(u64),
}

impl Answer {
    pub fn rows(self) -> Vec<Row> {
        match self {
            Answer::Rows(rows) => rows,
            Answer::Count(_) => Vec::new(),
        }
    }

    pub fn count(&self) -> u64 {
        match self {
            Answer::Rows(rows) => rows.len() as u64,
            Answer::Count(n) => *n,
        }
    }
}

/// One statement of a round trip.
pub(super) struct Step<'a> {
    pub sql: &'a str,
    pub params: Vec<&'a (dyn ToSql + Sync)>,
    pub want: Want,
}

impl<'a> Step<'a> {
    pub fn new(sql: &'a str, params: &[&'a (dyn ToSql + Sync)], want: Want) -> Step<'a> {
        Step {
            sql,
            params: params.to_vec(),
            want,
        }
    }

    pub fn queued(q: &'a Queued) -> Step<'a> {
        Step {
            sql: &q.sql,
            params: q.params.iter().map(|p| p.as_ref() as _).collect(),
            want: Want::Count,
        }
    }
}

/// Statements and round trips sent to PostgreSQL by this process.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    pub statements: u64,
    pub round_trips: u64,
}

impl Traffic {
    /// What was sent between `earlier` and this reading.
    pub fn since(self, earlier: Traffic) -> Traffic {
        Traffic {
            statements: self.statements.saturating_sub(earlier.statements),
            round_trips: self.round_trips.saturating_sub(earlier.round_trips),
        }
    }
}

static STATEMENTS: AtomicU64 = AtomicU64::new(0);
static ROUND_TRIPS: AtomicU64 = AtomicU64::new(0);

/// The counts so far, over every PostgreSQL store of this process.
pub fn traffic() -> Traffic {
    Traffic {
        statements: STATEMENTS.load(Ordering::Relaxed),
        round_trips: ROUND_TRIPS.load(Ordering::Relaxed),
    }
}

/// Counts one round trip carrying `statements`.
pub(super) fn count(statements: usize) {
    STATEMENTS.fetch_add(statements as u64, Ordering::Relaxed);
    ROUND_TRIPS.fetch_add(1, Ordering::Relaxed);
}

/// Sends `steps` in order without waiting between them and waits for all
/// their answers: the first error, in order, or every answer.
pub(super) async fn send(client: &Object, steps: &[Step<'_>]) -> Result<Vec<Answer>, StoreError> {
    count(steps.len());
    // Prepared first: a statement new to this connection waits for its
    // description before it is sent, and a later one must not overtake it.
    let prepared = in_order(
        steps
            .iter()
            .map(|s| Box::pin(client.prepare_cached(s.sql)) as Pin<Box<dyn Future<Output = _>>>)
            .collect(),
    )
    .await;
    let statements = prepared
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(pg_err)?;
    let answers: Vec<Result<Answer, tokio_postgres::Error>> = in_order(
        steps
            .iter()
            .zip(&statements)
            .map(|(step, statement)| {
                Box::pin(async move {
                    match step.want {
                        Want::Rows => client
                            .query(statement, &step.params)
                            .await
                            .map(Answer::Rows),
                        Want::Count => client
                            .execute(statement, &step.params)
                            .await
                            .map(Answer::Count),
                    }
                }) as Pin<Box<dyn Future<Output = _>>>
            })
            .collect(),
    )
    .await;
    answers.into_iter().map(|a| a.map_err(pg_err)).collect()
}

/// Runs `futures` together, polling them in their order: a tokio-postgres
/// request is handed to the connection when its future is first polled,
/// so the requests go out in this order.
async fn in_order<T>(futures: Vec<Pin<Box<dyn Future<Output = T> + '_>>>) -> Vec<T> {
    let mut pending: Vec<_> = futures.into_iter().map(Some).collect();
    let mut done: Vec<Option<T>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut waiting = false;
        for (slot, out) in pending.iter_mut().zip(done.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => {
                        *out = Some(value);
                        *slot = None;
                    }
                    Poll::Pending => waiting = true,
                }
            }
        }
        if waiting {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    done.into_iter().flatten().collect()
}
