//! Paying: a scanned code, the no-PIN allowance, the funding sources.

use paycode_wallet::core::funding::Funding;
use sha2::{Digest, Sha256};

use super::{
    check_order_no, view, ErrorCode, FundingKind, PayRequest, Payment, PaymentError,
    PaymentFunding, PaymentService, PaymentStatus, CURRENCY,
};
use crate::bank::BankError;
use crate::ledger::{fen_i64, transfer};
use crate::money::Fen;
use crate::store::{Account, CardRecord, JournalKind, PaymentRecord, StoreTx};
use crate::verifier::{examine, random_id, RejectReason};

/// What identifies a request under its out_trade_no. Only its hash is
/// kept, so the stored row never holds a usable payment code.
fn fingerprint(auth_code: &str, amount: Fen, currency: &str) -> String {
    let digest = Sha256::digest(format!("{auth_code}\n{}\n{currency}", amount.as_fen()));
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// One answer for malformed codes, unknown cards and bad MACs, so tokens
/// cannot be told apart.
fn error_of(reason: RejectReason) -> ErrorCode {
    match reason {
        RejectReason::Malformed
        | RejectReason::UnknownPrefix
        | RejectReason::UnknownCard
        | RejectReason::BadMac => ErrorCode::AuthCodeInvalid,
        RejectReason::Expired => ErrorCode::AuthCodeExpired,
        RejectReason::Replayed | RejectReason::Superseded => ErrorCode::AuthCodeUsed,
        RejectReason::Locked => ErrorCode::CardLocked,
        RejectReason::Revoked => ErrorCode::CardRevoked,
        RejectReason::CardExpired => ErrorCode::CardExpired,
    }
}

fn funding_of(card: &CardRecord, index: u8) -> Option<PaymentFunding> {
    let source = card.funding.get(usize::from(index))?;
    Some(PaymentFunding {
        index,
        kind: match source {
            Funding::Balance => FundingKind::Balance,
            Funding::Debit { .. } => FundingKind::Debit,
        },
        label: source.label(),
    })
}

impl PaymentService {
    /// Pays `request` for `merchant` (see the module rules). The code is
    /// consumed in the same transaction that posts the money.
    pub fn pay(
        &self,
        tx: &mut dyn StoreTx,
        merchant: &str,
        request: &PayRequest,
        now: u64,
    ) -> Result<Payment, PaymentError> {
        check_order_no(&request.out_trade_no)?;
        let print = fingerprint(&request.auth_code, request.amount, &request.currency);
        if let Some(existing) = tx.payment(merchant, &request.out_trade_no)? {
            // No fingerprint: a reversal reserved the number first, and
            // the late payment gets that CLOSED state, never money.
            if existing.fingerprint.as_ref().is_some_and(|f| *f != print) {
                return Err(PaymentError::Refused(ErrorCode::OutTradeNoConflict));
            }
            return self.current(tx, existing, now);
        }
        let mut p = PaymentRecord {
            id: random_id("pay_", 12),
            merchant: merchant.to_owned(),
            out_trade_no: request.out_trade_no.clone(),
            fingerprint: Some(print),
            amount: Some(request.amount),
            currency: request.currency.clone(),
            description: request.description.clone(),
            status: PaymentStatus::Failed,
            card: None,
            funding: None,
            error: None,
            created: now,
            deadline: None,
            allowance_day: None,
        };
        if request.currency != CURRENCY {
            p.error = Some(ErrorCode::CurrencyUnsupported);
        } else {
            self.decide(tx, &mut p, &request.auth_code, request.amount, now)?;
        }
        tx.insert_payment(&p)?;
        view(tx, &p)
    }

    fn decide(
        &self,
        tx: &mut dyn StoreTx,
        p: &mut PaymentRecord,
        auth_code: &str,
        amount: Fen,
        now: u64,
    ) -> Result<(), PaymentError> {
        let config = &self.config.verifier;
        let checked = match examine(tx, config, auth_code, now, &p.merchant)? {
            Ok(c) => c,
            Err(rejection) => {
                p.error = Some(error_of(rejection.reason));
                return Ok(());
            }
        };
        let card = checked.card.clone();
        let index = checked.valid.funding.index;
        p.card = Some(card.key);
        p.funding = funding_of(&card, index);
        checked.consume(tx, &p.merchant)?;

        let day = config.allowance.offset.day_of(now);
        let approvals = tx.approvals_on(card.key, day)?;
        if config.allowance.check(approvals, amount).is_err() {
            p.status = PaymentStatus::Userpaying;
            p.deadline = Some(now.saturating_add(self.config.userpaying_seconds));
            return Ok(());
        }
        match self.fund(tx, &card, index, amount, p, now)? {
            Ok(paid) => {
                tx.add_approval(card.key, day)?;
                p.allowance_day = Some(day);
                p.status = PaymentStatus::Success;
                p.funding = Some(paid);
            }
            Err(code) => p.error = Some(code),
        }
        Ok(())
    }

    /// Debits `amount` from source `index` (or, with fall-through, the
    /// first later source that holds enough) and credits the merchant;
    /// the source that paid, or the first source's refusal.
    pub(super) fn fund(
        &self,
        tx: &mut dyn StoreTx,
        card: &CardRecord,
        index: u8,
        amount: Fen,
        p: &PaymentRecord,
        now: u64,
    ) -> Result<Result<PaymentFunding, ErrorCode>, PaymentError> {
        let last = u8::try_from(card.funding.len()).unwrap_or(u8::MAX);
        let order = if card.fall_through {
            index..last
        } else {
            index..index.saturating_add(1).min(last)
        };
        let mut first_refusal = None;
        for i in order {
            let Some(account) = card.source_account(i) else {
                break;
            };
            let from = match account {
                Account::Card(_) if tx.balance(&account)? >= fen_i64(amount) => Ok(account),
                Account::Card(_) => Err(ErrorCode::InsufficientFunds),
                _ => match self.bank.debit(tx, &account, amount, &p.id) {
                    Ok(from) => Ok(from),
                    Err(BankError::InsufficientFunds) => Err(ErrorCode::InsufficientFunds),
                    Err(BankError::Declined | BankError::Unavailable(_)) => {
                        Err(ErrorCode::BankDeclined)
                    }
                    Err(BankError::Store(e)) => return Err(e.into()),
                },
            };
            match from {
                Ok(from) => {
                    let to = Account::Merchant(p.merchant.clone());
                    transfer(tx, JournalKind::Payment, &p.id, from, to, amount, now)?;
                    return Ok(funding_of(card, i).ok_or(ErrorCode::AuthCodeInvalid));
                }
                Err(code) => {
                    first_refusal.get_or_insert(code);
                    // Only an empty source falls through; a declining bank
                    // is the payer's answer.
                    if code != ErrorCode::InsufficientFunds {
                        break;
                    }
                }
            }
        }
        Ok(Err(first_refusal.unwrap_or(ErrorCode::InsufficientFunds)))
    }

    /// The issuer-side PIN confirmation of a USERPAYING payment: SUCCESS
    /// with its postings, FAILED when no source can pay, CLOSED when late.
    /// Any other state is answered as it is.
    pub fn confirm(
        &self,
        tx: &mut dyn StoreTx,
        payment_id: &str,
        now: u64,
    ) -> Result<Payment, PaymentError> {
        let Some(mut p) = tx.payment_by_id(payment_id)? else {
            return Err(PaymentError::Refused(ErrorCode::NotFound));
        };
        if p.status != PaymentStatus::Userpaying || p.deadline.is_none_or(|d| d <= now) {
            return self.current(tx, p, now);
        }
        let (Some(key), Some(funding), Some(amount)) = (p.card, p.funding.clone(), p.amount) else {
            return self.current(tx, p, now);
        };
        let Some(card) = tx.card(key)? else {
            return Err(PaymentError::Store(crate::store::StoreError::Corrupt(
                "a payment names a card that is not stored".into(),
            )));
        };
        match self.fund(tx, &card, funding.index, amount, &p, now)? {
            Ok(paid) => {
                p.status = PaymentStatus::Success;
                p.funding = Some(paid);
            }
            Err(code) => {
                p.status = PaymentStatus::Failed;
                p.error = Some(code);
            }
        }
        p.deadline = None;
        tx.update_payment(&p)?;
        view(tx, &p)
    }
}
