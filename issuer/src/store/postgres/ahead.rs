//! What a payment reads of a card besides the card row, read in the same
//! round trip as the card's lock and served from here for the rest of the
//! write transaction.
//!
//! The card row is locked (`FOR NO KEY UPDATE`) first; the reads of its
//! replay state, lockouts, newest allowance day and balance go in the same
//! round trip right behind it, so the server runs them after the lock is
//! held, each with a snapshot taken then. Every writer of these rows holds
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

use super::rows::{corrupt, get_int, pg_err};
use crate::payments::pin::PIN_LOCKOUT;
use crate::store::{CardRecord, CardState, Lockout, StoreError};

/// The reads that follow the locking read of the card, in this order;
/// each takes the card's prefix and token as `$1`, `$2`.
pub(super) const STATE_SQL: &str =
    "SELECT last_step, last_counter FROM card_state WHERE prefix = $1 AND token = $2";
pub(super) const LOCKOUTS_SQL: &str = "SELECT merchant, failures, locked_until FROM lockouts
     WHERE prefix = $1 AND token = $2 AND merchant <> $3";
pub(super) const NEWEST_DAY_SQL: &str = "SELECT day, approvals FROM allowance
     WHERE prefix = $1 AND token = $2 ORDER BY day DESC LIMIT 1";

/// The `$3` of [`LOCKOUTS_SQL`].
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
    /// From the answers of the three reads above.
    pub fn read(
        card: CardRecord,
        state: &[Row],
        lockouts: &[Row],
        newest: &[Row],
        balance: i64,
    ) -> Result<CardAhead, StoreError> {
        let state = match state.first() {
            Some(row) => state_of(row)?,
            None => CardState::default(),
        };
        let mut ahead = HashMap::new();
        for row in lockouts {
            let merchant: String = row.try_get(0).map_err(pg_err)?;
            let lockout = Lockout {
                failures: get_int(row, 1)?,
                locked_until: get_int(row, 2)?,
            };
            ahead.insert(merchant, lockout);
        }
        let newest_day = match newest.first() {
            Some(row) => Some((row.try_get::<_, i64>(0).map_err(pg_err)?, get_int(row, 1)?)),
            None => None,
        };
        Ok(CardAhead {
            card,
            state,
            balance,
            lockouts: ahead,
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

/// A `card_state` row (`last_step`, `last_counter`).
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
