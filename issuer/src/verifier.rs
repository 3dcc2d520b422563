//! The reference verifier: from the digits a till scanned to a decision.
//!
//! parse → find the card (prefix + token) → refuse locked tokens → check
//! the MAC across the window in constant time → refuse replayed and older
//! codes → apply the no-PIN allowance → record the charge. Each charge is
//! one store transaction, so a code is accepted at most once even when many
//! tills (or processes) present it at the same moment.
//!
//! Time is always an argument ("now", issuer unix seconds), never read from
//! the system clock here, so every rule can be tested at any instant.

use std::fmt;

use crate::allowance::{AllowancePolicy, PinReason};
use crate::lockout::LockoutPolicy;
use crate::money::Fen;
use crate::store::audit::{self, AuditEvent, AuditKind};
use crate::store::{
    CardKey, CardRecord, CardState, ChargeRecord, ChargeStatus, Lockout, Store, StoreError,
    StoreTx, TxMode, NO_MERCHANT,
};
use paycode_wallet::core::code::{CodeError, ParsedCode, MAX_WINDOW, STEP_RESIDUES};

/// The rules a verifier applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifierConfig {
    /// Steps either side of now in which a code is accepted (at most 3,
    /// where the step residue modulo 8 stops naming a single step).
    pub window: u64,
    pub allowance: AllowancePolicy,
    pub lockout: LockoutPolicy,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        VerifierConfig {
            window: 1,
            allowance: AllowancePolicy::default(),
            lockout: LockoutPolicy::default(),
        }
    }
}

/// Why a code was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RejectReason {
    Malformed,
    UnknownPrefix,
    UnknownCard,
    BadMac,
    Expired,
    Replayed,
    Superseded,
    Locked,
    /// A genuine code of a revoked card.
    Revoked,
    /// A genuine code of a card whose key has expired.
    CardExpired,
}

impl RejectReason {
    pub const ALL: [RejectReason; 10] = [
        Self::Malformed,
        Self::UnknownPrefix,
        Self::UnknownCard,
        Self::BadMac,
        Self::Expired,
        Self::Replayed,
        Self::Superseded,
        Self::Locked,
        Self::Revoked,
        Self::CardExpired,
    ];

    /// Stable snake_case name used in JSON output.
    pub fn kind(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::UnknownPrefix => "unknown_prefix",
            Self::UnknownCard => "unknown_card",
            Self::BadMac => "bad_mac",
            Self::Expired => "expired",
            Self::Replayed => "replayed",
            Self::Superseded => "superseded",
            Self::Locked => "locked",
            Self::Revoked => "revoked",
            Self::CardExpired => "card_expired",
        }
    }
}

/// A refusal with a plain-words explanation (never containing key material).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub reason: RejectReason,
    pub message: String,
}

impl Rejection {
    fn new(reason: RejectReason, message: impl Into<String>) -> Rejection {
        Rejection {
            reason,
            message: message.into(),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reason.kind(), self.message)
    }
}

/// The funding source a code named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FundingUsed {
    pub index: u8,
    /// Link form: "balance", "debit:ICBC:1234".
    pub source: String,
    /// For people: "Balance", "ICBC ••1234".
    pub label: String,
}

/// A code that passed every check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidCode {
    pub card: CardKey,
    /// The full time step the code was made for.
    pub step: u64,
    pub counter: u8,
    pub funding: FundingUsed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChargeOutcome {
    Approved {
        charge_id: String,
        code: ValidCode,
    },
    /// The code is consumed; the charge waits for the payer's PIN.
    PinRequired {
        reason: PinReason,
        charge_id: String,
        code: ValidCode,
    },
    Rejected(Rejection),
}

/// Result of [`Verifier::verify`]: what is known without consuming the code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyOutcome {
    Valid(ValidCode),
    Rejected(Rejection),
}

/// Why [`Verifier::complete_with_pin`] could not complete a charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinError {
    UnknownCharge,
    NotPending,
}

impl PinError {
    pub fn kind(self) -> &'static str {
        match self {
            Self::UnknownCharge => "unknown_charge",
            Self::NotPending => "not_pending",
        }
    }
}

impl fmt::Display for PinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UnknownCharge => "there is no charge with this id",
            Self::NotPending => "this charge is not waiting for a PIN",
        })
    }
}

/// A charge to decide.
#[derive(Clone, Copy, Debug)]
pub struct ChargeRequest<'a> {
    pub code: &'a str,
    pub amount: Fen,
    /// Issuer unix seconds.
    pub now: u64,
    pub merchant: Option<&'a str>,
}

/// Checks codes against a [`Store`] under a [`VerifierConfig`].
#[derive(Debug)]
pub struct Verifier<S> {
    store: S,
    config: VerifierConfig,
}

/// What the checks shared by charge, verify and payments found.
pub(crate) struct Checked {
    pub card: CardRecord,
    state: CardState,
    lockout: Lockout,
    pub valid: ValidCode,
}

impl Checked {
    /// Uses the code up: nothing at or before it is accepted again, and the
    /// run of failures at `merchant` ends.
    pub(crate) fn consume(
        mut self,
        tx: &mut dyn StoreTx,
        merchant: &str,
    ) -> Result<(), StoreError> {
        self.state.last_accepted = Some((self.valid.step, self.valid.counter));
        tx.set_state(self.card.key, &self.state)?;
        if self.lockout.failures > 0 {
            self.lockout.record_success();
            tx.set_lockout(self.card.key, merchant, &self.lockout)?;
        }
        Ok(())
    }
}

/// A refusal plus, for failures that count, the lockout to write back.
struct Refused {
    rejection: Rejection,
    failed: Option<(CardKey, Lockout)>,
}

/// Runs every code check for `merchant`'s request in `tx`, writing the
/// failure count (per card and merchant) of a refusal that counts; the
/// caller commits either way.
pub(crate) fn examine(
    tx: &mut dyn StoreTx,
    config: &VerifierConfig,
    code: &str,
    now: u64,
    merchant: &str,
) -> Result<Result<Checked, Rejection>, StoreError> {
    let parsed = match parse(code) {
        Ok(p) => p,
        Err(r) => return Ok(Err(r)),
    };
    match check(tx, config, &parsed, now, merchant)? {
        Ok(checked) => Ok(Ok(checked)),
        Err(refused) => {
            // The accepted code itself again is a duplicate till or a
            // retry, not a guess: counting it would let one shop's tills
            // lock the card for that shop.
            let counts = refused.rejection.reason != RejectReason::Replayed;
            if let Some((key, lockout)) = refused.failed.filter(|_| counts) {
                write_failure(tx, key, merchant, &lockout, now)?;
            }
            Ok(Err(refused.rejection))
        }
    }
}

/// Writes the failure count of `key` at `merchant`; the failure that
/// locks the card (it was not locked before, or the check would not have
/// run) goes into the audit trail too.
fn write_failure(
    tx: &mut dyn StoreTx,
    key: CardKey,
    merchant: &str,
    lockout: &Lockout,
    now: u64,
) -> Result<(), StoreError> {
    tx.set_lockout(key, merchant, lockout)?;
    if lockout.is_locked(now) {
        let locked = AuditEvent::card(
            now,
            AuditKind::CodeLockout,
            key,
            format!(
                "too many failed codes; locked for {} s",
                lockout.locked_until - now
            ),
        )
        .with_merchant(merchant);
        audit::record(tx, &locked)?;
    }
    Ok(())
}

impl From<Rejection> for Refused {
    fn from(rejection: Rejection) -> Refused {
        Refused {
            rejection,
            failed: None,
        }
    }
}

impl<S: Store> Verifier<S> {
    pub fn new(store: S, config: VerifierConfig) -> Verifier<S> {
        Verifier { store, config }
    }

    pub fn config(&self) -> &VerifierConfig {
        &self.config
    }

    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    pub fn into_store(self) -> S {
        self.store
    }

    /// Decides a charge and records it: approved (the code is consumed and
    /// the day's allowance used), PIN required (the code is consumed and a
    /// pending charge recorded) or rejected (counted towards the lockout
    /// when the code was bad, replayed or expired).
    pub fn charge(&mut self, request: &ChargeRequest<'_>) -> Result<ChargeOutcome, StoreError> {
        let parsed = match parse(request.code) {
            Ok(p) => p,
            Err(r) => return Ok(ChargeOutcome::Rejected(r)),
        };
        let config = self.config;
        let mut tx = self.store.begin(TxMode::Write)?;
        // The demo routes have no authenticated merchant: one lockout per card.
        let checked = match check(tx.as_mut(), &config, &parsed, request.now, NO_MERCHANT)? {
            Ok(c) => c,
            Err(refused) => {
                if let Some((key, lockout)) = refused.failed {
                    write_failure(tx.as_mut(), key, NO_MERCHANT, &lockout, request.now)?;
                    tx.commit()?;
                }
                return Ok(ChargeOutcome::Rejected(refused.rejection));
            }
        };
        let card = checked.card.clone();
        let valid = checked.valid.clone();

        let day = config.allowance.offset.day_of(request.now);
        let approvals = tx.approvals_on(card.key, day)?;
        let decision = config.allowance.check(approvals, request.amount);
        let charge_id = new_charge_id();
        let status = match decision {
            Ok(()) => {
                tx.add_approval(card.key, day)?;
                ChargeStatus::Approved
            }
            Err(_) => ChargeStatus::PinRequired,
        };
        tx.insert_charge(&ChargeRecord {
            id: charge_id.clone(),
            card: card.key,
            code: request.code.to_owned(),
            amount: request.amount,
            status,
            funding: valid.funding.index,
            merchant: request.merchant.map(str::to_owned),
            at: request.now,
        })?;
        checked.consume(tx.as_mut(), NO_MERCHANT)?;
        tx.commit()?;
        Ok(match decision {
            Ok(()) => ChargeOutcome::Approved {
                charge_id,
                code: valid,
            },
            Err(reason) => ChargeOutcome::PinRequired {
                reason,
                charge_id,
                code: valid,
            },
        })
    }

    /// Runs every code check a charge would, at `now`, and changes nothing:
    /// the code stays usable and no failure is counted.
    pub fn verify(&mut self, code: &str, now: u64) -> Result<VerifyOutcome, StoreError> {
        let parsed = match parse(code) {
            Ok(p) => p,
            Err(r) => return Ok(VerifyOutcome::Rejected(r)),
        };
        let config = self.config;
        let mut tx = self.store.begin(TxMode::Read)?;
        // Dropping the transaction uncommitted discards nothing: it wrote nothing.
        Ok(
            match check(tx.as_mut(), &config, &parsed, now, NO_MERCHANT)? {
                Ok(checked) => VerifyOutcome::Valid(checked.valid),
                Err(refused) => VerifyOutcome::Rejected(refused.rejection),
            },
        )
    }

    /// Turns a charge waiting for the PIN into an approved one, once the
    /// payer's PIN has been checked (PIN checking itself is outside this
    /// reference issuer).
    pub fn complete_with_pin(
        &mut self,
        charge_id: &str,
    ) -> Result<Result<ChargeRecord, PinError>, StoreError> {
        let mut tx = self.store.begin(TxMode::Write)?;
        let Some(mut charge) = tx.charge(charge_id)? else {
            return Ok(Err(PinError::UnknownCharge));
        };
        if charge.status != ChargeStatus::PinRequired {
            return Ok(Err(PinError::NotPending));
        }
        tx.set_charge_status(charge_id, ChargeStatus::PinApproved)?;
        tx.commit()?;
        charge.status = ChargeStatus::PinApproved;
        Ok(Ok(charge))
    }
}

fn parse(code: &str) -> Result<ParsedCode, Rejection> {
    ParsedCode::parse(code).map_err(|e| match e {
        CodeError::BadPrefix => Rejection::new(
            RejectReason::UnknownPrefix,
            "this is not a payment code of this issuer: its first two digits are not 10 to 15",
        ),
        other => Rejection::new(RejectReason::Malformed, other.to_string()),
    })
}

/// The checks that do not depend on the amount.
fn check(
    tx: &mut dyn StoreTx,
    config: &VerifierConfig,
    parsed: &ParsedCode,
    now: u64,
    merchant: &str,
) -> Result<Result<Checked, Refused>, StoreError> {
    let key = CardKey {
        prefix: parsed.layout.prefix,
        token: parsed.token,
    };
    let card = match tx.card(key)? {
        Some(card) if card.length == parsed.layout.length => card,
        Some(_) => {
            return Ok(Err(Rejection::new(
                RejectReason::UnknownCard,
                format!(
                    "no card uses {}-digit codes with this token",
                    parsed.layout.length
                ),
            )
            .into()))
        }
        None if !tx.has_prefix(key.prefix)? => {
            return Ok(Err(Rejection::new(
                RejectReason::UnknownPrefix,
                format!("this issuer has no cards with prefix {}", key.prefix),
            )
            .into()))
        }
        None => {
            return Ok(Err(Rejection::new(
                RejectReason::UnknownCard,
                "no card has this token; it may have been mistyped or removed",
            )
            .into()))
        }
    };
    let mut lockout = tx.lockout(key, merchant)?;
    if lockout.is_locked(now) {
        let wait = lockout.locked_until - now;
        return Ok(Err(Rejection::new(
            RejectReason::Locked,
            format!("too many failed codes for this card; try again in {wait} s"),
        )
        .into()));
    }

    let fail = |lockout: &mut Lockout, reason: RejectReason, message: String| {
        lockout.record_failure(&config.lockout, now);
        Refused {
            rejection: Rejection::new(reason, message),
            failed: Some((key, *lockout)),
        }
    };

    let period = u64::from(card.period);
    let Some(now_step) = now.checked_div(period) else {
        return Err(StoreError::Corrupt("a card has a period of 0 s".into()));
    };
    let secret = card.secret.as_bytes();
    let step = match parsed.step_near(now_step, config.window.min(MAX_WINDOW)) {
        Some(step) if parsed.mac_matches(secret, step) => step,
        Some(_) => {
            return Ok(Err(fail(
                &mut lockout,
                RejectReason::BadMac,
                "the code's check digits are wrong: it was mistyped, misread or forged".into(),
            )))
        }
        None => {
            let (reason, message) = outside_window(parsed, secret, now_step, period);
            return Ok(Err(fail(&mut lockout, reason, message)));
        }
    };

    // A genuine wallet never names a source the card lacks (FORMAT.md §6.5),
    // so like a bad MAC this counts as a failure.
    let Some(source) = card.funding.get(usize::from(parsed.funding)) else {
        let message = format!(
            "the code names funding source {} but the card has {}",
            parsed.funding,
            card.funding.len()
        );
        return Ok(Err(fail(&mut lockout, RejectReason::Malformed, message)));
    };

    if card.revoked {
        return Ok(Err(Rejection::new(
            RejectReason::Revoked,
            "this card has been revoked by its issuer",
        )
        .into()));
    }
    // After the MAC, as for revocation: only the card's own codes learn
    // that its key has expired.
    if card.is_expired(now) {
        return Ok(Err(Rejection::new(
            RejectReason::CardExpired,
            "this card's key has expired; the issuer must provision it again",
        )
        .into()));
    }

    let state = tx.state(key)?;
    if let Some(last) = state.last_accepted {
        let this = (step, parsed.counter);
        if this == last {
            return Ok(Err(fail(
                &mut lockout,
                RejectReason::Replayed,
                "this code was already used".into(),
            )));
        }
        if this < last {
            return Ok(Err(fail(
                &mut lockout,
                RejectReason::Superseded,
                "a newer code of this card was already used; ask for a fresh code".into(),
            )));
        }
    }

    let funding = FundingUsed {
        index: parsed.funding,
        source: source.to_link_value(),
        label: source.label(),
    };
    Ok(Ok(Checked {
        valid: ValidCode {
            card: key,
            step,
            counter: parsed.counter,
            funding,
        },
        card,
        state,
        lockout,
    }))
}

/// Tells an expired (or future) genuine code from a forged one: the residue
/// names one step before the window and one after it; if the MAC is right
/// for either, the code is genuine but used at the wrong time.
fn outside_window(
    parsed: &ParsedCode,
    secret: &[u8],
    now_step: u64,
    period: u64,
) -> (RejectReason, String) {
    let ahead =
        (u64::from(parsed.step_residue) + STEP_RESIDUES - now_step % STEP_RESIDUES) % STEP_RESIDUES;
    let behind = (STEP_RESIDUES - ahead) % STEP_RESIDUES;
    if let Some(past) = now_step.checked_sub(behind) {
        if parsed.mac_matches(secret, past) {
            return (
                RejectReason::Expired,
                format!(
                    "the code expired: it was made about {} s ago; ask for a fresh code",
                    behind * period
                ),
            );
        }
    }
    if let Some(future) = now_step.checked_add(ahead) {
        if parsed.mac_matches(secret, future) {
            return (
                RejectReason::Expired,
                format!(
                    "the code is not valid yet: it is for about {} s from now; \
                     the wallet's clock may be wrong",
                    ahead * period
                ),
            );
        }
    }
    (
        RejectReason::BadMac,
        "the code's check digits are wrong: it was mistyped, misread or forged".into(),
    )
}

/// A random charge id: "ch_" and 24 hex digits (96 bits), so ids from many
/// processes never need coordinating.
fn new_charge_id() -> String {
    random_id("ch_", 12)
}

/// `prefix` and `bytes` random bytes in lowercase hex.
pub(crate) fn random_id(prefix: &str, bytes: usize) -> String {
    use rand::RngCore;
    let mut raw = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut raw);
    let mut id = String::with_capacity(prefix.len() + 2 * bytes);
    id.push_str(prefix);
    for b in raw {
        id.push_str(&format!("{b:02x}"));
    }
    id
}
