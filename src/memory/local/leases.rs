//! The local store's leases: `leases.json` in the history directory, read and replaced under the
//! store lock (so every memdeck process on this machine sees one table), checked by every write
//! under the same lock. Every grant and release is also appended to `lease-events.jsonl` beside
//! it; other processes' watchers follow that file and tell their subscribers.

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use super::{Inner, Locked};
use crate::clock::now_ms;
use crate::memory::lease::{self, Grant, Lease, LeaseEvent, Table};
use crate::memory::{MemPath, StoreError, WriteCtx};

/// The table's file name in the history directory.
pub(super) const FILE: &str = "leases.json";
/// The grants and releases, one JSON line each, for other processes' watchers.
const EVENTS: &str = "lease-events.jsonl";

impl Inner {
    /// The table as the file holds it now (empty when there is none). A file that does not
    /// parse (written by hand) counts as empty but keeps its highest token, so that tokens still
    /// grow.
    fn lease_table(&self) -> Result<Table, StoreError> {
        match std::fs::read(&self.leases_path) {
            Ok(bytes) => Ok(serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "leases.json does not parse; starting a new table");
                Table {
                    tokens: now_ms(),
                    ..Table::default()
                }
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Table::default()),
            Err(e) => Err(StoreError::io(
                format!("cannot read {}", self.leases_path.display()),
                e,
            )),
        }
    }

    /// Replace the table (a rename, not synced: leases are short-lived, and a table lost to a
    /// power cut reads as empty with tokens starting from the clock, above every earlier one).
    fn store_lease_table(&self, table: &Table) -> Result<(), StoreError> {
        let json = serde_json::to_vec(table).map_err(std::io::Error::other);
        let tmp = self.leases_path.with_extension("json.tmp");
        let written = json.and_then(|json| {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&json)?;
            std::fs::rename(&tmp, &self.leases_path)
        });
        written
            .map_err(|e| StoreError::io(format!("cannot write {}", self.leases_path.display()), e))
    }

    /// Change the table under the store lock; what changed is told to this process's
    /// subscribers and appended to the events file, which other processes' watchers follow.
    fn with_leases<T>(&self, change: impl FnOnce(&mut Table, u64) -> T) -> Result<T, StoreError> {
        let _locked = self.lock()?;
        let mut table = self.lease_table()?;
        let now = now_ms();
        table.expire(now);
        let before = table.leases.clone();
        let out = change(&mut table, now);
        self.store_lease_table(&table)?;
        let mut told = Vec::new();
        for (subject, old) in &before {
            if table
                .leases
                .get(subject)
                .is_none_or(|l| l.token != old.token)
            {
                told.push(LeaseEvent::Released {
                    subject: subject.clone(),
                    token: old.token,
                });
            }
        }
        for (subject, lease) in &table.leases {
            if before.get(subject).is_none_or(|l| l.token != lease.token) {
                told.push(LeaseEvent::Granted(lease.clone()));
            }
        }
        self.append_lease_events(&told);
        for event in told {
            let _ = self.lease_events.send(event);
        }
        Ok(out)
    }

    /// Append events for other processes (one JSON line each, naming this store instance so
    /// that its own watcher skips them). Started again when it grows past 1 MiB.
    fn append_lease_events(&self, events: &[LeaseEvent]) {
        if events.is_empty() {
            return;
        }
        let path = self.leases_path.with_file_name(EVENTS);
        if std::fs::metadata(&path).is_ok_and(|m| m.len() > 1 << 20) {
            let _ = std::fs::remove_file(&path);
        }
        let mut lines = String::new();
        for event in events {
            let line = match event {
                LeaseEvent::Granted(lease) => {
                    serde_json::json!({"from": self.instance, "granted": lease})
                }
                LeaseEvent::Released { subject, token } => {
                    serde_json::json!({"from": self.instance, "released": subject, "token": token})
                }
            };
            lines.push_str(&line.to_string());
            lines.push('\n');
        }
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(lines.as_bytes()));
        if let Err(e) = written {
            tracing::warn!(error = %e, "cannot append to {}", path.display());
        }
    }

    /// The watcher saw the events file grow: tell this process what the others did.
    pub(super) fn leases_changed(&self) {
        let path = self.leases_path.with_file_name(EVENTS);
        let Ok(bytes) = std::fs::read(&path) else {
            return;
        };
        let mut offset = self
            .lease_offset
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Started again by someone: read it from its start.
        if (bytes.len() as u64) < *offset {
            *offset = 0;
        }
        let start = usize::try_from(*offset)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        let fresh = &bytes[start..];
        // Only whole lines; a line being written is read next time.
        let end = fresh.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        *offset += end as u64;
        for line in fresh[..end].split(|b| *b == b'\n') {
            let Ok(value) = serde_json::from_slice::<serde_json::Value>(line) else {
                continue;
            };
            if value["from"] == self.instance.as_str() {
                continue;
            }
            let event = if let Ok(lease) = serde_json::from_value::<Lease>(value["granted"].clone())
            {
                LeaseEvent::Granted(lease)
            } else if let (Some(subject), Some(token)) =
                (value["released"].as_str(), value["token"].as_u64())
            {
                LeaseEvent::Released {
                    subject: subject.to_owned(),
                    token,
                }
            } else {
                continue;
            };
            let _ = self.lease_events.send(event);
        }
    }

    /// Where the events file ends now: a new store follows it from here.
    pub(super) fn lease_events_end(leases_path: &Path) -> u64 {
        std::fs::metadata(leases_path.with_file_name(EVENTS)).map_or(0, |m| m.len())
    }

    /// Refuse a write to `path` (and, with `tree`, anything below it) that a live lease or a
    /// newer grant stands against. Called under the store lock, before anything is written.
    pub(super) fn check_leases(
        &self,
        _locked: &Locked<'_>,
        paths: &[(&MemPath, bool)],
        ctx: WriteCtx<'_>,
    ) -> Result<(), StoreError> {
        // No table: nothing was ever leased here.
        if !self.leases_path.exists() {
            return Ok(());
        }
        let table = self.lease_table()?;
        let now = now_ms();
        for (path, tree) in paths {
            table.check(&path.to_string(), *tree, ctx.fence, now)?;
        }
        Ok(())
    }

    pub(super) fn acquire(
        &self,
        subject: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Grant, StoreError> {
        let ttl = lease::clamp_ttl(ttl);
        let host = &self.host;
        self.with_leases(|table, now| table.acquire(subject, holder, host, ttl, now))
    }

    pub(super) fn renew(&self, lease: &Lease, ttl: Duration) -> Result<Option<Lease>, StoreError> {
        let ttl = lease::clamp_ttl(ttl);
        self.with_leases(|table, now| table.renew(lease, ttl, now))
    }

    pub(super) fn release(&self, lease: &Lease) -> Result<bool, StoreError> {
        self.with_leases(|table, now| table.release(lease, now))
    }

    pub(super) fn leases(&self) -> Result<Vec<Lease>, StoreError> {
        let mut table = self.lease_table()?;
        table.expire(now_ms());
        Ok(table.leases.into_values().collect())
    }
}

/// Whether a watcher event's path is the events file.
pub(super) fn is_events(path: &Path) -> bool {
    path.file_name().is_some_and(|name| name == EVENTS)
}
