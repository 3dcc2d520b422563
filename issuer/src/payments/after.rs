//! After a payment: query, reverse and refund.

use super::{
    check_order_no, refunded_fen, view, ErrorCode, FundingKind, Payment, PaymentError,
    PaymentService, PaymentStatus, Refund, RefundRequest, CURRENCY,
};
use crate::ledger::transfer;
use crate::money::Fen;
use crate::store::{Account, JournalKind, PaymentRecord, RefundRecord, StoreError, StoreTx};
use crate::verifier::random_id;

impl PaymentService {
    /// The current state of `merchant`'s out_trade_no, or NOT_FOUND.
    pub fn query(
        &self,
        tx: &mut dyn StoreTx,
        merchant: &str,
        out_trade_no: &str,
        now: u64,
    ) -> Result<Payment, PaymentError> {
        check_order_no(out_trade_no)?;
        match tx.payment(merchant, out_trade_no)? {
            Some(p) => self.current(tx, p, now),
            None => Err(PaymentError::Refused(ErrorCode::NotFound)),
        }
    }

    /// For a till that never learned the answer. SUCCESS → the money goes
    /// back and the day's no-PIN approval with it (REVERSED); USERPAYING →
    /// CLOSED; never seen → recorded CLOSED, so a late arrival cannot pay.
    /// FAILED, CLOSED and REVERSED stay as they are (nothing moved, or it
    /// already went back). A payment with refunds is refused with
    /// PAYMENT_REFUNDED: the rest can be refunded instead.
    pub fn reverse(
        &self,
        tx: &mut dyn StoreTx,
        merchant: &str,
        out_trade_no: &str,
        now: u64,
    ) -> Result<Payment, PaymentError> {
        check_order_no(out_trade_no)?;
        let Some(mut p) = tx.payment(merchant, out_trade_no)? else {
            let p = PaymentRecord {
                id: random_id("pay_", 12),
                merchant: merchant.to_owned(),
                out_trade_no: out_trade_no.to_owned(),
                fingerprint: None,
                amount: None,
                currency: CURRENCY.to_owned(),
                description: None,
                status: PaymentStatus::Closed,
                card: None,
                funding: None,
                error: None,
                created: now,
                deadline: None,
                allowance_day: None,
            };
            tx.insert_payment(&p)?;
            return view(tx, &p);
        };
        match p.status {
            PaymentStatus::Success => {
                let amount = paid_amount(&p)?;
                let to = self.refund_account(tx, &p, amount)?;
                let from = Account::Merchant(p.merchant.clone());
                transfer(tx, JournalKind::Reversal, &p.id, from, to, amount, now)?;
                if let (Some(key), Some(day)) = (p.card, p.allowance_day) {
                    tx.remove_approval(key, day)?;
                }
                p.status = PaymentStatus::Reversed;
            }
            PaymentStatus::Userpaying => {
                p.status = PaymentStatus::Closed;
                p.deadline = None;
            }
            PaymentStatus::Refunded | PaymentStatus::PartiallyRefunded => {
                return Err(PaymentError::Refused(ErrorCode::PaymentRefunded));
            }
            PaymentStatus::Failed | PaymentStatus::Closed | PaymentStatus::Reversed => {
                return view(tx, &p);
            }
        }
        tx.update_payment(&p)?;
        view(tx, &p)
    }

    /// A partial or full refund; the refunds of a payment never add up to
    /// more than was paid. Idempotent on (merchant, out_refund_no): the
    /// same request again answers the same refund, another payment or
    /// amount under it is OUT_REFUND_NO_CONFLICT.
    pub fn refund(
        &self,
        tx: &mut dyn StoreTx,
        merchant: &str,
        request: &RefundRequest,
        now: u64,
    ) -> Result<Refund, PaymentError> {
        check_order_no(&request.out_trade_no)?;
        check_order_no(&request.out_refund_no)?;
        if let Some(done) = tx.refund(merchant, &request.out_refund_no)? {
            let p = tx
                .payment_by_id(&done.payment_id)?
                .ok_or_else(|| StoreError::Corrupt("a refund of no stored payment".into()))?;
            if p.out_trade_no != request.out_trade_no || done.amount != request.amount {
                return Err(PaymentError::Refused(ErrorCode::OutRefundNoConflict));
            }
            return Ok(refund_view(&done, &p));
        }
        let Some(mut p) = tx.payment(merchant, &request.out_trade_no)? else {
            return Err(PaymentError::Refused(ErrorCode::NotFound));
        };
        if !matches!(
            p.status,
            PaymentStatus::Success | PaymentStatus::PartiallyRefunded
        ) {
            return Err(PaymentError::Refused(ErrorCode::PaymentNotRefundable));
        }
        let paid = paid_amount(&p)?.as_fen();
        let total = refunded_fen(tx, &p.id)?.saturating_add(request.amount.as_fen());
        if total > paid {
            return Err(PaymentError::Refused(ErrorCode::RefundExceedsPayment));
        }
        let refund = RefundRecord {
            id: random_id("ref_", 12),
            merchant: merchant.to_owned(),
            out_refund_no: request.out_refund_no.clone(),
            payment_id: p.id.clone(),
            amount: request.amount,
            created: now,
        };
        let to = self.refund_account(tx, &p, request.amount)?;
        let from = Account::Merchant(p.merchant.clone());
        transfer(
            tx,
            JournalKind::Refund,
            &refund.id,
            from,
            to,
            request.amount,
            now,
        )?;
        tx.insert_refund(&refund)?;
        p.status = if total == paid {
            PaymentStatus::Refunded
        } else {
            PaymentStatus::PartiallyRefunded
        };
        tx.update_payment(&p)?;
        Ok(refund_view(&refund, &p))
    }

    /// The account money going back to the payer lands in: the source that
    /// paid (through the bank for a debit source).
    fn refund_account(
        &self,
        tx: &mut dyn StoreTx,
        p: &PaymentRecord,
        amount: Fen,
    ) -> Result<Account, PaymentError> {
        let missing = || StoreError::Corrupt("a paid payment without its card or source".into());
        let (key, funding) = p.card.zip(p.funding.as_ref()).ok_or_else(missing)?;
        let card = tx.card(key)?.ok_or_else(missing)?;
        let account = card.source_account(funding.index).ok_or_else(missing)?;
        if funding.kind == FundingKind::Balance {
            return Ok(account);
        }
        self.bank
            .credit(tx, &account, amount, &p.id)
            .map_err(|e| match e {
                crate::bank::BankError::Store(e) => PaymentError::Store(e),
                other => PaymentError::Store(StoreError::Database(other.to_string())),
            })
    }
}

fn paid_amount(p: &PaymentRecord) -> Result<Fen, StoreError> {
    p.amount
        .ok_or_else(|| StoreError::Corrupt("a paid payment without an amount".into()))
}

fn refund_view(r: &RefundRecord, p: &PaymentRecord) -> Refund {
    Refund {
        refund_id: r.id.clone(),
        out_refund_no: r.out_refund_no.clone(),
        out_trade_no: p.out_trade_no.clone(),
        amount: r.amount,
        payment_status: p.status,
    }
}
