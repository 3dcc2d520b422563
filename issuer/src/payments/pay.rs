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
use crate::store::{check_funding_order, Account, CardRecord, JournalKind, PaymentRecord, StoreTx};
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

/// The sources tried after the one a code names (`named`) could not pay:
/// the others in the payer's order, or without one (or one that is not a
/// permutation of this card's sources) the later ones in index order.
fn fall_through_order(named: u8, sources: usize, payer: Option<&[u8]>) -> Vec<u8> {
    let wide: Option<Vec<u64>> = payer.map(|order| order.iter().map(|&i| u64::from(i)).collect());
    match wide.and_then(|order| check_funding_order(&order, sources).ok()) {
        Some(order) => order.into_iter().filter(|&i| i != named).collect(),
        None => {
            let last = u8::try_from(sources).unwrap_or(u8::MAX);
            (named.saturating_add(1)..last).collect()
        }
    }
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
    /// next source that holds enough, in the payer's order) and credits
    /// the merchant; the source that paid, or the first source's refusal.
    pub(super) fn fund(
        &self,
        tx: &mut dyn StoreTx,
        card: &CardRecord,
        index: u8,
        amount: Fen,
        p: &PaymentRecord,
        now: u64,
    ) -> Result<Result<PaymentFunding, ErrorCode>, PaymentError> {
        let first = match self.draw(tx, card, index, amount, p, now)? {
            Some(Ok(paid)) => return Ok(Ok(paid)),
            Some(Err(code)) => code,
            None => return Ok(Err(ErrorCode::InsufficientFunds)),
        };
        // Only an empty source falls through; a declining bank is the
        // payer's answer.
        if !card.fall_through || first != ErrorCode::InsufficientFunds {
            return Ok(Err(first));
        }
        // Read only now: a payment its named source covers never asks.
        let payer = tx.funding_order(card.key)?;
        for i in fall_through_order(index, card.funding.len(), payer.as_deref()) {
            match self.draw(tx, card, i, amount, p, now)? {
                Some(Ok(paid)) => return Ok(Ok(paid)),
                Some(Err(ErrorCode::InsufficientFunds)) => {}
                Some(Err(_)) | None => break,
            }
        }
        Ok(Err(first))
    }

    /// One try of source `i`: paid (the money has moved), refused
    /// (nothing moved), or `None` when the card has no such source.
    fn draw(
        &self,
        tx: &mut dyn StoreTx,
        card: &CardRecord,
        i: u8,
        amount: Fen,
        p: &PaymentRecord,
        now: u64,
    ) -> Result<Option<Result<PaymentFunding, ErrorCode>>, PaymentError> {
        let Some(account) = card.source_account(i) else {
            return Ok(None);
        };
        let from = match account {
            Account::Card(_) if tx.balance(&account)? >= fen_i64(amount) => account,
            Account::Card(_) => return Ok(Some(Err(ErrorCode::InsufficientFunds))),
            _ => match self.bank.debit(tx, &account, amount, &p.id) {
                Ok(from) => from,
                Err(BankError::InsufficientFunds) => {
                    return Ok(Some(Err(ErrorCode::InsufficientFunds)))
                }
                Err(BankError::Declined | BankError::Unavailable(_)) => {
                    return Ok(Some(Err(ErrorCode::BankDeclined)))
                }
                Err(BankError::Store(e)) => return Err(e.into()),
            },
        };
        let to = Account::Merchant(p.merchant.clone());
        transfer(tx, JournalKind::Payment, &p.id, from, to, amount, now)?;
        Ok(Some(funding_of(card, i).ok_or(ErrorCode::AuthCodeInvalid)))
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

#[cfg(test)]
mod tests {
    use super::fall_through_order;

    #[test]
    fn after_the_named_source_the_payers_order_then_index_order_without_one() {
        assert_eq!(fall_through_order(0, 3, Some(&[2, 0, 1])), vec![2, 1]);
        assert_eq!(fall_through_order(1, 3, Some(&[2, 0, 1])), vec![2, 0]);
        assert_eq!(fall_through_order(2, 3, Some(&[2, 0, 1])), vec![0, 1]);
        // No order: the later sources only, as before orders existed.
        assert_eq!(fall_through_order(0, 3, None), vec![1, 2]);
        assert_eq!(fall_through_order(1, 3, None), vec![2]);
        assert_eq!(fall_through_order(2, 3, None), Vec::<u8>::new());
        // An order that is not this card's is not followed.
        assert_eq!(fall_through_order(0, 3, Some(&[1, 0])), vec![1, 2]);
        assert_eq!(fall_through_order(0, 3, Some(&[1, 1, 2])), vec![1, 2]);
    }
}
