//! `paycode ledger check`: the ledger's invariants, each violation named.

use std::collections::BTreeMap;
use std::fmt;

use crate::store::{Account, JournalKind, StoreError, StoreTx};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    /// A journal whose postings do not sum to zero.
    Unbalanced {
        journal: i64,
        reference: String,
        sum: i64,
    },
    /// An account other than the external one below zero.
    NegativeBalance { account: String, balance: i64 },
    /// A paid payment whose payment journal is not one debit and one credit.
    PaymentPostings {
        payment_id: String,
        debits: usize,
        credits: usize,
    },
    /// A payment that was never paid but has payment postings.
    UnpaidWithPostings { payment_id: String },
    /// Refunds adding up to more than the payment's amount.
    OverRefunded {
        payment_id: String,
        paid: u64,
        refunded: u64,
    },
}

impl Violation {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Unbalanced { .. } => "unbalanced_journal",
            Self::NegativeBalance { .. } => "negative_balance",
            Self::PaymentPostings { .. } => "payment_postings",
            Self::UnpaidWithPostings { .. } => "unpaid_with_postings",
            Self::OverRefunded { .. } => "over_refunded",
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unbalanced {
                journal,
                reference,
                sum,
            } => write!(
                f,
                "journal {journal} ({reference}) has postings summing to {sum} fen, not 0"
            ),
            Self::NegativeBalance { account, balance } => {
                write!(f, "account {account} is below zero: {balance} fen")
            }
            Self::PaymentPostings {
                payment_id,
                debits,
                credits,
            } => write!(
                f,
                "payment {payment_id} has {debits} debits and {credits} credits, not one of each"
            ),
            Self::UnpaidWithPostings { payment_id } => {
                write!(
                    f,
                    "payment {payment_id} was never paid but has payment postings"
                )
            }
            Self::OverRefunded {
                payment_id,
                paid,
                refunded,
            } => write!(
                f,
                "payment {payment_id} paid {paid} fen but has {refunded} fen of refunds"
            ),
        }
    }
}

/// Every violation in the ledger, in a stable order (empty: clean).
pub fn check(tx: &mut dyn StoreTx) -> Result<Vec<Violation>, StoreError> {
    let postings = tx.postings()?;
    let mut found = Vec::new();

    let mut journals: BTreeMap<i64, (String, i64)> = BTreeMap::new();
    let mut balances: BTreeMap<Account, i64> = BTreeMap::new();
    // Per payment id: (debits, credits) of its payment journal.
    let mut legs: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for p in &postings {
        let entry = journals
            .entry(p.journal)
            .or_insert_with(|| (p.reference.clone(), 0));
        entry.1 = entry.1.saturating_add(p.amount);
        let balance = balances.entry(p.account.clone()).or_insert(0);
        *balance = balance.saturating_add(p.amount);
        if p.kind == JournalKind::Payment {
            let count = legs.entry(p.reference.clone()).or_insert((0, 0));
            if p.amount < 0 {
                count.0 += 1;
            } else {
                count.1 += 1;
            }
        }
    }
    for (journal, (reference, sum)) in journals {
        if sum != 0 {
            found.push(Violation::Unbalanced {
                journal,
                reference,
                sum,
            });
        }
    }
    for (account, balance) in balances {
        if balance < 0 && !account.may_go_negative() {
            found.push(Violation::NegativeBalance {
                account: account.id(),
                balance,
            });
        }
    }

    let mut refunded: BTreeMap<String, u64> = BTreeMap::new();
    for r in tx.refunds()? {
        *refunded.entry(r.payment_id).or_insert(0) += r.amount.as_fen();
    }
    for p in tx.payments()? {
        let (debits, credits) = legs.get(&p.id).copied().unwrap_or((0, 0));
        if p.status.was_paid() {
            if (debits, credits) != (1, 1) {
                found.push(Violation::PaymentPostings {
                    payment_id: p.id.clone(),
                    debits,
                    credits,
                });
            }
        } else if debits + credits > 0 {
            found.push(Violation::UnpaidWithPostings {
                payment_id: p.id.clone(),
            });
        }
        let paid = p.amount.map_or(0, |a| a.as_fen());
        let back = refunded.get(&p.id).copied().unwrap_or(0);
        if back > paid {
            found.push(Violation::OverRefunded {
                payment_id: p.id,
                paid,
                refunded: back,
            });
        }
    }
    Ok(found)
}
