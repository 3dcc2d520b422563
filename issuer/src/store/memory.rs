//! A store in process memory, for tests and benchmarks.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::Hash;

use super::{
    audit, Account, ActivationRecord, AuditEvent, AuditRecord, CardKey, CardRecord, CardState,
    ChargeRecord, ChargeStatus, CodeHash, Journal, Lockout, MerchantRecord, PaymentRecord, Posting,
    RefundRecord, Store, StoreError, StoreTx, StoredPin, TxMode,
};
use crate::payments::PaymentStatus;
use crate::secret::SecretKey;

#[derive(Default)]
struct Data {
    cards: HashMap<CardKey, CardRecord>,
    /// Cards per prefix, so that telling an unknown prefix from an unknown
    /// card does not scan every card.
    prefixes: HashMap<u8, usize>,
    states: HashMap<CardKey, CardState>,
    lockouts: HashMap<(CardKey, String), Lockout>,
    approvals: HashMap<(CardKey, i64), u32>,
    pins: HashMap<CardKey, StoredPin>,
    funding_orders: HashMap<CardKey, Vec<u8>>,
    charges: HashMap<String, ChargeRecord>,
    merchants: HashMap<String, MerchantRecord>,
    nonces: HashMap<(String, String), u64>,
    postings: Vec<Posting>,
    journals: i64,
    /// Append-only: only an uncommitted transaction's undo shortens it.
    audit: Vec<AuditRecord>,
    payments: BTreeMap<String, PaymentRecord>,
    payment_ids: HashMap<(String, String), String>,
    refunds: BTreeMap<String, RefundRecord>,
    refund_ids: HashMap<(String, String), String>,
    activations: HashMap<CodeHash, ActivationRecord>,
}

/// Puts a value back as it was before a write.
type Undo = Box<dyn FnOnce(&mut Data) + Send>;

/// Everything in maps; a transaction writes in place and keeps an undo log,
/// which is replayed (down to a savepoint's mark) when a transaction or
/// savepoint is dropped uncommitted.
#[derive(Default)]
pub struct MemoryStore {
    data: Data,
    log: Vec<Undo>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }
}

/// Counts only: the cards hold secrets.
impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("cards", &self.data.cards.len())
            .field("payments", &self.data.payments.len())
            .finish()
    }
}

impl Store for MemoryStore {
    fn begin(&mut self, _mode: TxMode) -> Result<Box<dyn StoreTx + '_>, StoreError> {
        // `&mut self` already makes the transaction exclusive.
        self.log.clear();
        Ok(Box::new(MemoryTx {
            data: &mut self.data,
            log: &mut self.log,
            mark: 0,
            nested: false,
            done: false,
        }))
    }
}

struct MemoryTx<'a> {
    data: &'a mut Data,
    log: &'a mut Vec<Undo>,
    /// Undo entries below this belong to enclosing transactions.
    mark: usize,
    /// A savepoint, not the outermost transaction.
    nested: bool,
    done: bool,
}

impl Drop for MemoryTx<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        while self.log.len() > self.mark {
            if let Some(undo) = self.log.pop() {
                undo(self.data);
            }
        }
    }
}

fn restore<K: Hash + Eq, V>(map: &mut HashMap<K, V>, key: K, old: Option<V>) {
    match old {
        Some(v) => map.insert(key, v),
        None => map.remove(&key),
    };
}

impl MemoryTx<'_> {
    /// Sets `key` in the map `field` picks, logging the old value.
    fn put<K, V>(&mut self, field: fn(&mut Data) -> &mut HashMap<K, V>, key: K, value: V)
    where
        K: Hash + Eq + Clone + Send + 'static,
        V: Send + 'static,
    {
        let old = field(self.data).insert(key.clone(), value);
        self.log
            .push(Box::new(move |d| restore(field(d), key, old)));
    }

    fn put_payment(&mut self, p: &PaymentRecord) {
        let old = self.data.payments.insert(p.id.clone(), p.clone());
        let id = p.id.clone();
        self.log.push(Box::new(move |d| match old {
            Some(v) => {
                d.payments.insert(id, v);
            }
            None => {
                d.payments.remove(&id);
            }
        }));
    }
}

impl StoreTx for MemoryTx<'_> {
    fn nested(&mut self) -> Result<Box<dyn StoreTx + '_>, StoreError> {
        let mark = self.log.len();
        Ok(Box::new(MemoryTx {
            data: &mut *self.data,
            log: &mut *self.log,
            mark,
            nested: true,
            done: false,
        }))
    }

    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        // A savepoint's undo entries stay for its parent to replay; the
        // outermost commit needs none.
        if !self.nested {
            self.log.clear();
        }
        self.done = true;
        Ok(())
    }

    fn has_prefix(&mut self, prefix: u8) -> Result<bool, StoreError> {
        Ok(self.data.prefixes.get(&prefix).is_some_and(|n| *n > 0))
    }

    fn card(&mut self, key: CardKey) -> Result<Option<CardRecord>, StoreError> {
        Ok(self.data.cards.get(&key).cloned())
    }

    fn insert_card(&mut self, card: &CardRecord) -> Result<(), StoreError> {
        if self.data.cards.contains_key(&card.key) {
            return Err(StoreError::Duplicate);
        }
        self.put(|d| &mut d.cards, card.key, card.clone());
        let n = self
            .data
            .prefixes
            .get(&card.key.prefix)
            .copied()
            .unwrap_or(0);
        self.put(|d| &mut d.prefixes, card.key.prefix, n + 1);
        Ok(())
    }

    fn set_revoked(&mut self, key: CardKey, revoked: bool) -> Result<bool, StoreError> {
        let Some(mut card) = self.data.cards.get(&key).cloned() else {
            return Ok(false);
        };
        card.revoked = revoked;
        self.put(|d| &mut d.cards, key, card);
        Ok(true)
    }

    fn replace_card_key(
        &mut self,
        key: CardKey,
        secret: &SecretKey,
        expires: Option<u64>,
    ) -> Result<Option<u32>, StoreError> {
        let Some(mut card) = self.data.cards.get(&key).cloned() else {
            return Ok(None);
        };
        card.key_version = card
            .key_version
            .checked_add(1)
            .ok_or_else(|| StoreError::Corrupt("a card's key version is at its largest".into()))?;
        card.secret = secret.clone();
        card.expires = expires;
        card.revoked = false;
        let version = card.key_version;
        self.put(|d| &mut d.cards, key, card);
        Ok(Some(version))
    }

    fn state(&mut self, key: CardKey) -> Result<CardState, StoreError> {
        Ok(self.data.states.get(&key).copied().unwrap_or_default())
    }

    fn set_state(&mut self, key: CardKey, state: &CardState) -> Result<(), StoreError> {
        self.put(|d| &mut d.states, key, *state);
        Ok(())
    }

    fn lockout(&mut self, key: CardKey, merchant: &str) -> Result<Lockout, StoreError> {
        let k = (key, merchant.to_owned());
        Ok(self.data.lockouts.get(&k).copied().unwrap_or_default())
    }

    fn set_lockout(&mut self, key: CardKey, merchant: &str, l: &Lockout) -> Result<(), StoreError> {
        self.put(|d| &mut d.lockouts, (key, merchant.to_owned()), *l);
        Ok(())
    }

    fn approvals_on(&mut self, key: CardKey, day: i64) -> Result<u32, StoreError> {
        Ok(self.data.approvals.get(&(key, day)).copied().unwrap_or(0))
    }

    fn add_approval(&mut self, key: CardKey, day: i64) -> Result<(), StoreError> {
        let n = self.approvals_on(key, day)?;
        self.put(|d| &mut d.approvals, (key, day), n.saturating_add(1));
        Ok(())
    }

    fn remove_approval(&mut self, key: CardKey, day: i64) -> Result<(), StoreError> {
        let n = self.approvals_on(key, day)?;
        self.put(|d| &mut d.approvals, (key, day), n.saturating_sub(1));
        Ok(())
    }

    fn insert_pin(&mut self, key: CardKey, pin: &StoredPin) -> Result<(), StoreError> {
        if self.data.pins.contains_key(&key) {
            return Err(StoreError::Duplicate);
        }
        self.put(|d| &mut d.pins, key, pin.clone());
        Ok(())
    }

    fn pin(&mut self, key: CardKey) -> Result<Option<StoredPin>, StoreError> {
        Ok(self.data.pins.get(&key).cloned())
    }

    fn funding_order(&mut self, key: CardKey) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.data.funding_orders.get(&key).cloned())
    }

    fn set_funding_order(&mut self, key: CardKey, order: &[u8]) -> Result<bool, StoreError> {
        if !self.data.cards.contains_key(&key) {
            return Ok(false);
        }
        self.put(|d| &mut d.funding_orders, key, order.to_vec());
        Ok(true)
    }

    fn insert_charge(&mut self, charge: &ChargeRecord) -> Result<(), StoreError> {
        if self.data.charges.contains_key(&charge.id) {
            return Err(StoreError::Duplicate);
        }
        self.put(|d| &mut d.charges, charge.id.clone(), charge.clone());
        Ok(())
    }

    fn charge(&mut self, id: &str) -> Result<Option<ChargeRecord>, StoreError> {
        Ok(self.data.charges.get(id).cloned())
    }

    fn set_charge_status(&mut self, id: &str, status: ChargeStatus) -> Result<(), StoreError> {
        if let Some(mut c) = self.data.charges.get(id).cloned() {
            c.status = status;
            self.put(|d| &mut d.charges, id.to_owned(), c);
        }
        Ok(())
    }

    fn charges_of(&mut self, key: CardKey, limit: u32) -> Result<Vec<ChargeRecord>, StoreError> {
        let mut of: Vec<ChargeRecord> = self
            .data
            .charges
            .values()
            .filter(|c| c.card == key)
            .cloned()
            .collect();
        of.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.id.cmp(&a.id)));
        of.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(of)
    }

    fn insert_merchant(&mut self, m: &MerchantRecord) -> Result<(), StoreError> {
        if self.data.merchants.contains_key(&m.id) {
            return Err(StoreError::Duplicate);
        }
        self.put(|d| &mut d.merchants, m.id.clone(), m.clone());
        Ok(())
    }

    fn merchant(&mut self, id: &str) -> Result<Option<MerchantRecord>, StoreError> {
        Ok(self.data.merchants.get(id).cloned())
    }

    fn remember_nonce(
        &mut self,
        merchant: &str,
        nonce: &str,
        expires_at: u64,
    ) -> Result<bool, StoreError> {
        let key = (merchant.to_owned(), nonce.to_owned());
        if self.data.nonces.contains_key(&key) {
            return Ok(false);
        }
        self.put(|d| &mut d.nonces, key, expires_at);
        Ok(true)
    }

    /// Nothing of this store is at rest: its keys live and die in memory.
    fn reseal_keys(&mut self, _limit: u32) -> Result<u32, StoreError> {
        Ok(0)
    }

    fn prune_nonces(&mut self, now: u64) -> Result<u64, StoreError> {
        let expired: Vec<_> = self
            .data
            .nonces
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(k, at)| (k.clone(), *at))
            .collect();
        for (key, _) in &expired {
            self.data.nonces.remove(key);
        }
        let n = expired.len() as u64;
        self.log.push(Box::new(move |d| d.nonces.extend(expired)));
        Ok(n)
    }

    fn append_audit(&mut self, event: &AuditEvent) -> Result<(), StoreError> {
        let seq = self.data.audit.last().map_or(1, |r| r.seq + 1);
        let mut event = event.clone();
        event.count = event.count.max(1);
        event.detail = audit::bounded(&event.detail).to_owned();
        self.data.audit.push(AuditRecord { seq, event });
        let before = self.data.audit.len() - 1;
        self.log.push(Box::new(move |d| d.audit.truncate(before)));
        Ok(())
    }

    fn audit_events(&mut self, after: i64, limit: u32) -> Result<Vec<AuditRecord>, StoreError> {
        Ok(self
            .data
            .audit
            .iter()
            .filter(|r| r.seq > after)
            .take(limit as usize)
            .cloned()
            .collect())
    }

    fn insert_journal(&mut self, j: &Journal) -> Result<i64, StoreError> {
        self.data.journals += 1;
        let id = self.data.journals;
        let before = self.data.postings.len();
        for (account, amount) in &j.legs {
            self.data.postings.push(Posting {
                journal: id,
                kind: j.kind,
                reference: j.reference.clone(),
                account: account.clone(),
                amount: *amount,
            });
        }
        self.log.push(Box::new(move |d| {
            d.postings.truncate(before);
            d.journals -= 1;
        }));
        Ok(id)
    }

    fn balance(&mut self, account: &Account) -> Result<i64, StoreError> {
        Ok(self
            .data
            .postings
            .iter()
            .filter(|p| &p.account == account)
            .map(|p| p.amount)
            .sum())
    }

    fn postings(&mut self) -> Result<Vec<Posting>, StoreError> {
        Ok(self.data.postings.clone())
    }

    fn insert_payment(&mut self, p: &PaymentRecord) -> Result<(), StoreError> {
        let by_no = (p.merchant.clone(), p.out_trade_no.clone());
        if self.data.payments.contains_key(&p.id) || self.data.payment_ids.contains_key(&by_no) {
            return Err(StoreError::Duplicate);
        }
        self.put(|d| &mut d.payment_ids, by_no, p.id.clone());
        self.put_payment(p);
        Ok(())
    }

    fn update_payment(&mut self, p: &PaymentRecord) -> Result<(), StoreError> {
        let Some(old) = self.data.payments.get(&p.id) else {
            return Ok(());
        };
        // Only the changing fields, as the SQLite store does.
        let updated = PaymentRecord {
            status: p.status,
            card: p.card,
            funding: p.funding.clone(),
            error: p.error,
            deadline: p.deadline,
            allowance_day: p.allowance_day,
            ..old.clone()
        };
        self.put_payment(&updated);
        Ok(())
    }

    fn payment(
        &mut self,
        merchant: &str,
        out_trade_no: &str,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        let key = (merchant.to_owned(), out_trade_no.to_owned());
        Ok(self
            .data
            .payment_ids
            .get(&key)
            .and_then(|id| self.data.payments.get(id))
            .cloned())
    }

    fn payment_by_id(&mut self, id: &str) -> Result<Option<PaymentRecord>, StoreError> {
        Ok(self.data.payments.get(id).cloned())
    }

    fn payments_due(&mut self, now: u64) -> Result<Vec<PaymentRecord>, StoreError> {
        Ok(self
            .data
            .payments
            .values()
            .filter(|p| p.status == PaymentStatus::Userpaying)
            .filter(|p| p.deadline.is_some_and(|d| d <= now))
            .cloned()
            .collect())
    }

    fn payments_of(&mut self, key: CardKey, limit: u32) -> Result<Vec<PaymentRecord>, StoreError> {
        let mut of: Vec<PaymentRecord> = self
            .data
            .payments
            .values()
            .filter(|p| p.card == Some(key))
            .cloned()
            .collect();
        of.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.id.cmp(&a.id)));
        of.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(of)
    }

    fn payments(&mut self) -> Result<Vec<PaymentRecord>, StoreError> {
        Ok(self.data.payments.values().cloned().collect())
    }

    fn insert_refund(&mut self, r: &RefundRecord) -> Result<(), StoreError> {
        let by_no = (r.merchant.clone(), r.out_refund_no.clone());
        if self.data.refunds.contains_key(&r.id) || self.data.refund_ids.contains_key(&by_no) {
            return Err(StoreError::Duplicate);
        }
        self.put(|d| &mut d.refund_ids, by_no, r.id.clone());
        self.data.refunds.insert(r.id.clone(), r.clone());
        let id = r.id.clone();
        self.log.push(Box::new(move |d| {
            d.refunds.remove(&id);
        }));
        Ok(())
    }

    fn refund(
        &mut self,
        merchant: &str,
        out_refund_no: &str,
    ) -> Result<Option<RefundRecord>, StoreError> {
        let key = (merchant.to_owned(), out_refund_no.to_owned());
        Ok(self
            .data
            .refund_ids
            .get(&key)
            .and_then(|id| self.data.refunds.get(id))
            .cloned())
    }

    fn refunds_of(&mut self, payment_id: &str) -> Result<Vec<RefundRecord>, StoreError> {
        Ok(self
            .data
            .refunds
            .values()
            .filter(|r| r.payment_id == payment_id)
            .cloned()
            .collect())
    }

    fn refunds(&mut self) -> Result<Vec<RefundRecord>, StoreError> {
        Ok(self.data.refunds.values().cloned().collect())
    }

    fn insert_activation(&mut self, a: &ActivationRecord) -> Result<(), StoreError> {
        if self.data.activations.contains_key(&a.code_hash) {
            return Err(StoreError::Duplicate);
        }
        self.put(|d| &mut d.activations, a.code_hash, a.clone());
        Ok(())
    }

    fn activation(&mut self, code_hash: &CodeHash) -> Result<Option<ActivationRecord>, StoreError> {
        Ok(self.data.activations.get(code_hash).cloned())
    }

    fn redeem_activation(&mut self, code_hash: &CodeHash, at: u64) -> Result<bool, StoreError> {
        match self.data.activations.get(code_hash) {
            Some(a) if a.redeemed_at.is_none() => {
                let mut redeemed = a.clone();
                redeemed.redeemed_at = Some(at);
                self.put(|d| &mut d.activations, *code_hash, redeemed);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_the_store_contract() {
        super::super::contract::check_all(&mut || Box::new(MemoryStore::new()));
    }
}
