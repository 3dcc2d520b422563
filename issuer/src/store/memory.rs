//! A store in process memory, for tests and benchmarks.

use std::collections::HashMap;
use std::fmt;

use super::{
    CardKey, CardRecord, CardState, ChargeRecord, ChargeStatus, Store, StoreError, StoreTx, TxMode,
};

#[derive(Default)]
struct Data {
    cards: HashMap<CardKey, CardRecord>,
    /// Cards per prefix, so that telling an unknown prefix from an unknown
    /// card does not scan every card.
    prefixes: HashMap<u8, usize>,
    states: HashMap<CardKey, CardState>,
    approvals: HashMap<(CardKey, i64), u32>,
    charges: HashMap<String, ChargeRecord>,
}

/// Everything in hash maps; a transaction writes in place and keeps an undo
/// log, which is replayed if the transaction is dropped uncommitted.
#[derive(Default)]
pub struct MemoryStore {
    data: Data,
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
            .field("charges", &self.data.charges.len())
            .finish()
    }
}

impl Store for MemoryStore {
    fn begin(&mut self, _mode: TxMode) -> Result<Box<dyn StoreTx + '_>, StoreError> {
        // `&mut self` already makes the transaction exclusive.
        Ok(Box::new(MemoryTx {
            data: &mut self.data,
            undo: Vec::new(),
            committed: false,
        }))
    }
}

/// The value a key had before the transaction changed it.
enum Undo {
    Card(CardKey),
    State(CardKey, Option<CardState>),
    Approvals((CardKey, i64), Option<u32>),
    NewCharge(String),
    ChargeStatus(String, ChargeStatus),
}

struct MemoryTx<'a> {
    data: &'a mut Data,
    undo: Vec<Undo>,
    committed: bool,
}

impl Drop for MemoryTx<'_> {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        while let Some(step) = self.undo.pop() {
            match step {
                Undo::Card(key) => {
                    self.data.cards.remove(&key);
                    if let Some(n) = self.data.prefixes.get_mut(&key.prefix) {
                        *n -= 1;
                    }
                }
                Undo::State(key, old) => restore(&mut self.data.states, key, old),
                Undo::Approvals(key, old) => restore(&mut self.data.approvals, key, old),
                Undo::NewCharge(id) => {
                    self.data.charges.remove(&id);
                }
                Undo::ChargeStatus(id, old) => {
                    if let Some(c) = self.data.charges.get_mut(&id) {
                        c.status = old;
                    }
                }
            }
        }
    }
}

fn restore<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, key: K, old: Option<V>) {
    match old {
        Some(v) => map.insert(key, v),
        None => map.remove(&key),
    };
}

impl StoreTx for MemoryTx<'_> {
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
        self.data.cards.insert(card.key, card.clone());
        *self.data.prefixes.entry(card.key.prefix).or_insert(0) += 1;
        self.undo.push(Undo::Card(card.key));
        Ok(())
    }

    fn state(&mut self, key: CardKey) -> Result<CardState, StoreError> {
        Ok(self.data.states.get(&key).copied().unwrap_or_default())
    }

    fn set_state(&mut self, key: CardKey, state: &CardState) -> Result<(), StoreError> {
        let old = self.data.states.insert(key, *state);
        self.undo.push(Undo::State(key, old));
        Ok(())
    }

    fn approvals_on(&mut self, key: CardKey, day: i64) -> Result<u32, StoreError> {
        Ok(self.data.approvals.get(&(key, day)).copied().unwrap_or(0))
    }

    fn add_approval(&mut self, key: CardKey, day: i64) -> Result<(), StoreError> {
        let slot = self.data.approvals.entry((key, day)).or_insert(0);
        let old = *slot;
        *slot = old.saturating_add(1);
        self.undo
            .push(Undo::Approvals((key, day), (old > 0).then_some(old)));
        Ok(())
    }

    fn insert_charge(&mut self, charge: &ChargeRecord) -> Result<(), StoreError> {
        if self.data.charges.contains_key(&charge.id) {
            return Err(StoreError::Duplicate);
        }
        self.data.charges.insert(charge.id.clone(), charge.clone());
        self.undo.push(Undo::NewCharge(charge.id.clone()));
        Ok(())
    }

    fn charge(&mut self, id: &str) -> Result<Option<ChargeRecord>, StoreError> {
        Ok(self.data.charges.get(id).cloned())
    }

    fn set_charge_status(&mut self, id: &str, status: ChargeStatus) -> Result<(), StoreError> {
        if let Some(c) = self.data.charges.get_mut(id) {
            self.undo.push(Undo::ChargeStatus(id.to_owned(), c.status));
            c.status = status;
        }
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.committed = true;
        Ok(())
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
