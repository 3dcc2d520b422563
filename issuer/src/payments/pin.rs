//! A USERPAYING payment confirmed on the payer's own phone: the PIN goes
//! from the phone to the issuer over the card channel and never through
//! the till. Whether the PIN matches is decided by the caller (an Argon2id
//! check costs tens of milliseconds, so it runs before the write
//! transaction); this module applies the answer and counts wrong PINs.
//!
//! [`MAX_PIN_FAILURES`] wrong PINs in a row block PIN payments of the card,
//! the right PIN included, until the issuer resets them
//! ([`reset_pin_failures`], `paycode pin reset CARD`). The count is kept in
//! the card's lockout row under [`PIN_LOCKOUT`], apart from every
//! merchant's failed-code count.

use super::{ErrorCode, Payment, PaymentError, PaymentService, PaymentStatus};
use crate::store::audit::{self, AuditEvent, AuditKind};
use crate::store::{CardKey, Lockout, StoreError, StoreTx};

/// Wrong PINs in a row that block PIN payments.
pub const MAX_PIN_FAILURES: u32 = 3;

/// The lockout key of PIN failures: merchant ids start `m_`, requests
/// without a merchant use `""`, so this one is apart from both.
pub const PIN_LOCKOUT: &str = "pin:";

/// What a PIN confirmation came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PinOutcome {
    /// The PIN was right (or the payment no longer waits): its state now.
    Done(Payment),
    /// Wrong; this many tries are left before PIN payments are blocked.
    Wrong { left: u32 },
    /// PIN payments of this card are blocked until a reset.
    Blocked,
}

/// Wrong PINs of `card` so far.
pub fn pin_failures(tx: &mut dyn StoreTx, card: CardKey) -> Result<u32, StoreError> {
    Ok(tx.lockout(card, PIN_LOCKOUT)?.failures)
}

/// Unblocks PIN payments of `card` (the count starts again).
pub fn reset_pin_failures(tx: &mut dyn StoreTx, card: CardKey) -> Result<(), StoreError> {
    tx.set_lockout(card, PIN_LOCKOUT, &Lockout::default())
}

impl PaymentService {
    /// `card`'s payment `payment_id`, or NOT_FOUND (also for another
    /// card's payment: a card learns nothing of others).
    fn payment_of_card(
        &self,
        tx: &mut dyn StoreTx,
        card: CardKey,
        payment_id: &str,
    ) -> Result<crate::store::PaymentRecord, PaymentError> {
        match tx.payment_by_id(payment_id)? {
            Some(p) if p.card == Some(card) => Ok(p),
            _ => Err(PaymentError::Refused(ErrorCode::NotFound)),
        }
    }

    /// Applies a PIN the payer typed on their phone for `payment_id`:
    /// `pin_matches` is the caller's check of it against the card's hash.
    /// A payment that no longer waits is answered as it is, and no PIN is
    /// counted for it.
    pub fn confirm_with_pin(
        &self,
        tx: &mut dyn StoreTx,
        card: CardKey,
        payment_id: &str,
        pin_matches: bool,
        now: u64,
    ) -> Result<PinOutcome, PaymentError> {
        let p = self.payment_of_card(tx, card, payment_id)?;
        if p.status != PaymentStatus::Userpaying || p.deadline.is_none_or(|d| d <= now) {
            return Ok(PinOutcome::Done(self.current(tx, p, now)?));
        }
        let mut failures = tx.lockout(card, PIN_LOCKOUT)?;
        if failures.failures >= MAX_PIN_FAILURES {
            return Ok(PinOutcome::Blocked);
        }
        if !pin_matches {
            failures.failures += 1;
            tx.set_lockout(card, PIN_LOCKOUT, &failures)?;
            if failures.failures == MAX_PIN_FAILURES {
                let blocked = AuditEvent::card(
                    now,
                    AuditKind::PinBlocked,
                    card,
                    format!("{MAX_PIN_FAILURES} wrong PINs in a row"),
                );
                audit::record(tx, &blocked)?;
            }
            return Ok(match MAX_PIN_FAILURES - failures.failures {
                0 => PinOutcome::Blocked,
                left => PinOutcome::Wrong { left },
            });
        }
        if failures.failures > 0 {
            reset_pin_failures(tx, card)?;
        }
        Ok(PinOutcome::Done(self.confirm(tx, payment_id, now)?))
    }

    /// The payer declines `payment_id` on their phone: a USERPAYING
    /// payment becomes FAILED (PAYER_DECLINED); any other is answered as
    /// it is.
    pub fn decline(
        &self,
        tx: &mut dyn StoreTx,
        card: CardKey,
        payment_id: &str,
        now: u64,
    ) -> Result<Payment, PaymentError> {
        let mut p = self.payment_of_card(tx, card, payment_id)?;
        if p.status != PaymentStatus::Userpaying || p.deadline.is_none_or(|d| d <= now) {
            return self.current(tx, p, now);
        }
        p.status = PaymentStatus::Failed;
        p.error = Some(ErrorCode::PayerDeclined);
        p.deadline = None;
        tx.update_payment(&p)?;
        super::view(tx, &p)
    }
}
