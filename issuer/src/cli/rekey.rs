//! `paycode rekey --new-kek-file F [--kek-file K] [--db …]`: moves every
//! stored key to a new key-encryption key while the server runs.
//!
//! 1. F's key (F is created, 0600, if it does not exist) goes first in
//!    the KEK file K, the old keys after it. A running server re-reads K
//!    when it changes, so from then on it seals under the new KEK and
//!    still opens keys sealed under the old one.
//! 2. Every key not sealed under the new KEK is re-sealed, a batch per
//!    short transaction, so payments go on between batches.
//! 3. After a pause longer than the file's modification-time check, a
//!    last pass catches keys a server sealed under the old KEK just
//!    before it saw the new file.
//! 4. Once no key is left under an old KEK (checked with the new KEK
//!    alone), K holds the new KEK only.

use std::path::Path;
use std::time::Duration;

use serde_json::json;

use super::{args, bad_value, status, Failure, Output};
use crate::custody::{Kek, KekSource, Vault};
use crate::store::audit::{self, AuditEvent, AuditKind};
use crate::store::{DbLocation, Store, TxMode};

/// Keys re-sealed per transaction: a payment waits at most for one batch.
const BATCH: u32 = 50;
/// How long a server may go on sealing under the old KEK after K changed
/// (it checks K's modification time before each seal; this covers a
/// seal that was already under way).
const SETTLE: Duration = Duration::from_millis(1500);

pub(super) fn cmd_rekey(words: &[String], now: u64) -> Result<Output, Failure> {
    let a = args::parse(words, &["db", "new-kek-file"], &[])?;
    let new_path = Path::new(
        a.get("new-kek-file")
            .ok_or_else(|| bad_value("--new-kek-file", "name the file of the new KEK"))?,
    );
    let location = DbLocation::from_option(a.get("db"));
    let source = location.kek_source(a.get(args::KEK_FILE).map(Path::new), false)?;
    let Some(kek_path) = source.path().map(Path::to_owned) else {
        return Err(bad_value(
            "--kek-file",
            "the KEK comes from PAYCODE_KEK; rekey needs it in a file that the server reads",
        ));
    };
    let old = Kek::load_ring(&kek_path)?;
    let new = if new_path.exists() {
        Kek::load(new_path)?
    } else {
        Kek::create(new_path)?
    };
    let mut ring: Vec<&Kek> = vec![&new];
    ring.extend(old.iter().filter(|k| k.id() != new.id()));
    Kek::write_ring(&kek_path, &ring)?;

    let mut store = location.open(
        KekSource::File {
            path: kek_path.clone(),
            create: false,
        }
        .vault()?,
    )?;
    let mut resealed = reseal_all(&mut store)?;
    std::thread::sleep(SETTLE);
    resealed += reseal_all(&mut store)?;
    // Before the old KEKs leave the file: no key is left under them (one
    // that is would not open under the new KEK alone, and this fails).
    let mut check = location.open(std::sync::Arc::new(Vault::new(Kek::load(new_path)?)))?;
    reseal_all(&mut check)?;
    Kek::write_ring(&kek_path, &[&new])?;
    let mut event = AuditEvent::new(
        now,
        AuditKind::KeysRekeyed,
        format!(
            "{resealed} keys re-sealed under KEK {}",
            hex::encode(new.id())
        ),
    );
    event.count = resealed.max(1);
    let mut tx = check.begin(TxMode::Write)?;
    audit::record(tx.as_mut(), &event)?;
    tx.commit()?;
    Ok(Output::json(
        status::OK,
        json!({
            "resealed": resealed,
            "kek": hex::encode(new.id()),
            "kek_file": kek_path.display().to_string(),
        }),
    ))
}

fn reseal_all(store: &mut dyn Store) -> Result<u64, Failure> {
    let mut total = 0;
    loop {
        let mut tx = store.begin(TxMode::Write)?;
        let n = tx.reseal_keys(BATCH)?;
        tx.commit()?;
        total += u64::from(n);
        if n < BATCH {
            return Ok(total);
        }
    }
}
