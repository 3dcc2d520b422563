//! What a payment reads of a card besides the card row, read in the same
//! round trip as the card's lock and served from here for the rest of the
//! write transaction.
//!
//! The card row is locked (`FOR NO KEY UPDATE`) first; one statement that
//! reads its replay state, lockouts, newest allowance day and balance goes
//! in the same round trip right behind it, so the server runs it after the
//! lock is held, with a snapshot taken then. (It cannot be the locking
//! statement itself: a statement that waits for a row lock keeps the
//! snapshot it started with for everything but the locked row.) Every writer of these rows holds
//! that lock (a payment, a reversal or refund back to the card, a demo
//! charge), so no other transaction can change them until this one ends,
//! and this transaction's own writes are applied here as they are queued.
//! The card row itself cannot change either: revoking takes a stronger
//! lock on it. Two exceptions:
//! - the PIN count (the lockout under [`PIN_LOCKOUT`]), which a PIN
//!   confirmation changes holding only the payment's lock: it is never
//!   read ahead and always read fresh;
//! - the card's balance, which a top-up credits without the card's lock.
//!   Every debit of it holds the lock, so what is read here can only be
//!   lower than the truth, never higher: a payment is never paid from
//!   money that is not there.
//!
//! A savepoint rolled back forgets everything read ahead: its writes are
//! gone and so may be the lock it took.

use std::collections::HashMap;

use tokio_postgres::Row;

use super::rows::{corrupt, pg_err};
use crate::payments::pin::PIN_LOCKOUT;
use crate::store::{CardRecord, CardState, Lockout, StoreError};

/// A card's replay state, read again only when it was not read ahead.
pub(super) const STATE_SQL: &str =
    "SELECT last_step, last_counter FROM card_state WHERE prefix = $1 AND token = $2";

/// The one read that follows the locking read of the card: its replay
/// state, its lockouts but the one at `$3` (as three arrays), its newest
/// allowance day and its balance (the account `$4`), in one row.
pub(super) const AHEAD_SQL: &str = "SELECT s.last_step, s.last_counter,
            l.merchants, l.failures, l.locked_until, d.day, d.approvals, b.balance
     FROM (SELECT $1::BIGINT AS prefix, $2::BIGINT AS token) k
     LEFT JOIN card_state s ON s.prefix = k.prefix AND s.token = k.token
     CROSS JOIN LATERAL (
         SELECT array_agg(merchant) AS merchants, array_agg(failures) AS failures,
                array_agg(locked_until) AS locked_until
         FROM lockouts WHERE prefix = k.prefix AND token = k.token AND merchant <> $3
     ) l
     LEFT JOIN LATERAL (
         SELECT day, approvals FROM allowance WHERE prefix = k.prefix AND token = k.token
         ORDER BY day DESC LIMIT 1
     ) d ON true
     CROSS JOIN LATERAL (
         SELECT COALESCE(SUM(amount_fen), 0)::BIGINT AS balance FROM postings WHERE account = $4
     ) b";

/// The `$3` of [`AHEAD_SQL`].
pub(super) const NOT_READ_AHEAD: &str = PIN_LOCKOUT;

/// One card's rows as this transaction sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct CardAhead {
    pub card: CardRecord,
    pub state: CardState,
    /// The card's balance account ([`crate::store::Account::Card`]).
    pub balance: i64,
    lockouts: HashMap<String, Lockout>,
    /// The newest day with an allowance row, and its approvals.
    newest_day: Option<(i64, u32)>,
}

impl CardAhead {
    /// From the row of [`AHEAD_SQL`].
    pub fn read(card: CardRecord, row: &Row) -> Result<CardAhead, StoreError> {
        let state = state_of(row)?;
        let merchants: Vec<String> = row
            .try_get::<_, Option<_>>(2)
            .map_err(pg_err)?
            .unwrap_or_default();
        let failures: Vec<i64> = row
            .try_get::<_, Option<_>>(3)
            .map_err(pg_err)?
            .unwrap_or_default();
        let until: Vec<i64> = row
            .try_get::<_, Option<_>>(4)
            .map_err(pg_err)?
            .unwrap_or_default();
        if failures.len() != merchants.len() || until.len() != merchants.len() {
            return Err(corrupt("lockout arrays of different lengths"));
        }
        let mut lockouts = HashMap::new();
        for ((merchant, failures), until) in merchants.into_iter().zip(failures).zip(until) {
            let lockout = Lockout {
                failures: int(failures)?,
                locked_until: int(until)?,
            };
            lockouts.insert(merchant, lockout);
        }
        let day: Option<i64> = row.try_get(5).map_err(pg_err)?;
        let approvals: Option<i64> = row.try_get(6).map_err(pg_err)?;
        let newest_day = match (day, approvals) {
            (Some(day), Some(n)) => Some((day, int(n)?)),
            _ => None,
        };
        Ok(CardAhead {
            card,
            state,
            balance: row.try_get(7).map_err(pg_err)?,
            lockouts,
            newest_day,
        })
    }

    /// The lockout at `merchant`, unless it is not read ahead.
    pub fn lockout(&self, merchant: &str) -> Option<Lockout> {
        (merchant != NOT_READ_AHEAD)
            .then(|| self.lockouts.get(merchant).copied().unwrap_or_default())
    }

    pub fn set_lockout(&mut self, merchant: &str, lockout: Lockout) {
        if merchant != NOT_READ_AHEAD {
            self.lockouts.insert(merchant.to_owned(), lockout);
        }
    }

    /// Approvals on `day`, when known: the newest day's count, or none
    /// for a later day (it has no row); an older day is read.
    pub fn approvals_on(&self, day: i64) -> Option<u32> {
        match self.newest_day {
            None => Some(0),
            Some((newest, n)) if newest == day => Some(n),
            Some((newest, _)) if newest < day => Some(0),
            Some(_) => None,
        }
    }

    pub fn add_approval(&mut self, day: i64) {
        match self.newest_day {
            Some((newest, n)) if newest == day => {
                self.newest_day = Some((day, n.saturating_add(1)))
            }
            Some((newest, _)) if newest > day => {}
            _ => self.newest_day = Some((day, 1)),
        }
    }

    pub fn remove_approval(&mut self, day: i64) {
        if let Some((newest, n)) = self.newest_day {
            if newest == day {
                self.newest_day = Some((day, n.saturating_sub(1)));
            }
        }
    }
}

fn int<T: TryFrom<i64>>(n: i64) -> Result<T, StoreError> {
    T::try_from(n).map_err(|_| corrupt("an integer out of range"))
}

/// A `card_state` row (`last_step`, `last_counter`, first in the row).
pub(super) fn state_of(row: &Row) -> Result<CardState, StoreError> {
    let step: Option<i64> = row.try_get(0).map_err(pg_err)?;
    let counter: Option<i64> = row.try_get(1).map_err(pg_err)?;
    let last_accepted = match (step, counter) {
        (Some(step), Some(counter)) => Some((
            u64::try_from(step).map_err(|_| corrupt("negative step"))?,
            u8::try_from(counter).map_err(|_| corrupt("a counter out of range"))?,
        )),
        _ => None,
    };
    Ok(CardState { last_accepted })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ahead(newest_day: Option<(i64, u32)>) -> CardAhead {
        CardAhead {
            card: crate::store::contract::sample_card(1, 2),
            state: CardState::default(),
            balance: 0,
            lockouts: HashMap::new(),
            newest_day,
        }
    }

    #[test]
    fn approvals_are_known_for_the_newest_day_and_later_ones_only() {
        assert_eq!(ahead(None).approvals_on(7), Some(0));
        assert_eq!(ahead(Some((7, 3))).approvals_on(7), Some(3));
        assert_eq!(ahead(Some((7, 3))).approvals_on(8), Some(0));
        assert_eq!(ahead(Some((7, 3))).approvals_on(6), None);
    }

    #[test]
    fn written_approvals_follow_the_rows() {
        let mut a = ahead(None);
        a.add_approval(7);
        a.add_approval(7);
        assert_eq!(a.approvals_on(7), Some(2));
        a.add_approval(8);
        assert_eq!(a.approvals_on(7), None);
        assert_eq!(a.approvals_on(8), Some(1));
        a.add_approval(7); // an older day: read from the database again
        assert_eq!(a.approvals_on(8), Some(1));
        a.remove_approval(8);
        a.remove_approval(8);
        assert_eq!(a.approvals_on(8), Some(0));
    }

    #[test]
    fn the_pin_count_is_never_served_from_here() {
        let mut a = ahead(None);
        assert_eq!(a.lockout("m_1"), Some(Lockout::default()));
        a.set_lockout(
            PIN_LOCKOUT,
            Lockout {
                failures: 2,
                locked_until: 0,
            },
        );
        assert_eq!(a.lockout(PIN_LOCKOUT), None);
        let l = Lockout {
            failures: 1,
            locked_until: 9,
        };
        a.set_lockout("m_1", l);
        assert_eq!(a.lockout("m_1"), Some(l));
    }
}
