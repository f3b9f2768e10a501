//! The history stream's entries read back: their fields as history entries and as changes,
//! with the actor named by machine when another one made the change.

use std::collections::BTreeMap;

use crate::memory::history::HistoryEntry;
use crate::memory::{ChangeKind, MemoryChange, StoreError, Version};

/// Stream entries as (id, fields).
pub(super) fn stream_entries(value: &redis::Value) -> Vec<(String, BTreeMap<String, String>)> {
    let text = |v: &redis::Value| match v {
        redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        redis::Value::SimpleString(s) => s.clone(),
        redis::Value::Int(i) => i.to_string(),
        _ => String::new(),
    };
    let redis::Value::Array(items) = value else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let redis::Value::Array(pair) = item else {
                return None;
            };
            let [id, redis::Value::Array(fields)] = pair.as_slice() else {
                return None;
            };
            let map = fields
                .chunks(2)
                .filter_map(|kv| match kv {
                    [k, v] => Some((text(k), text(v))),
                    _ => None,
                })
                .collect();
            Some((text(id), map))
        })
        .collect()
}

/// Who made a change, with the machine when it is not this one.
pub(super) fn actor_of(fields: &BTreeMap<String, String>, host: &str) -> String {
    let actor = fields.get("actor").cloned().unwrap_or_default();
    match fields.get("host") {
        Some(h) if !h.is_empty() && h != host => format!("{actor}@{h}"),
        _ => actor,
    }
}

/// A history entry from a stream entry's fields.
pub(in crate::memory) fn entry_of(
    fields: &BTreeMap<String, String>,
    host: &str,
) -> Option<HistoryEntry> {
    let version = |k: &str| {
        fields
            .get(k)
            .filter(|v| !v.is_empty())
            .map(|v| Version::from_hex(v.clone()))
    };
    Some(HistoryEntry {
        seq: fields.get("seq")?.parse().ok()?,
        ts_ms: fields.get("ts").and_then(|t| t.parse().ok()).unwrap_or(0),
        actor: actor_of(fields, host),
        op: fields.get("op").cloned().unwrap_or_default(),
        path: fields.get("path").cloned()?,
        new_path: fields.get("to").filter(|t| !t.is_empty()).cloned(),
        old: version("old"),
        new: version("new"),
        group: fields.get("grp").and_then(|g| g.parse().ok()),
    })
}

/// The change a stream entry reports.
pub(in crate::memory) fn change_of(
    fields: &BTreeMap<String, String>,
    host: &str,
) -> Option<MemoryChange> {
    let entry = entry_of(fields, host)?;
    // An entry added by hand with a path no tool call could make is no change to show.
    let valid = |p: &str| p == "/memories" || crate::memory::check_stored_path(p).is_ok();
    if !valid(&entry.path) || !entry.new_path.as_deref().is_none_or(valid) {
        return None;
    }
    let is_dir = fields.get("dir").map(String::as_str) == Some("1");
    let (path, kind) = match (&entry.new_path, &entry.old, &entry.new) {
        (Some(to), ..) => (to.clone(), ChangeKind::Renamed { from: entry.path }),
        // A folder brought back: the head of the operation, its files follow.
        (None, None, None) if is_dir && entry.op == "restore" => (entry.path, ChangeKind::Created),
        // The head of a batch (the whole store): its files' entries follow, each a change.
        (None, None, None) if is_dir && entry.path == "/memories" => return None,
        (None, _, None) => (entry.path, ChangeKind::Deleted),
        (None, None, Some(_)) => (entry.path, ChangeKind::Created),
        (None, Some(_), Some(_)) => (entry.path, ChangeKind::Modified),
    };
    Some(MemoryChange {
        path,
        kind,
        actor: entry.actor,
        version: entry.new,
        is_dir,
    })
}

/// The history as last read, so that the next read asks only for the entries after the newest
/// one seen (`XRANGE (id +`). When the stream holds fewer entries than were seen plus the new
/// ones (pruned, or lost by the server), it is read whole again.
#[derive(Default)]
pub(super) struct HistoryCache {
    /// The newest entry's id.
    last: Option<String>,
    /// Stream entries seen, those that make no history entry included.
    seen: u64,
    entries: Vec<HistoryEntry>,
}

impl HistoryCache {
    /// Read what was added since the last read.
    pub(super) fn catch_up(&mut self, store: &super::RedisStore) -> Result<(), StoreError> {
        let log = store.keys.log();
        let from = self
            .last
            .as_ref()
            .map_or_else(|| "-".to_owned(), |id| format!("({id}"));
        // Two commands, not a transaction (a team's ACL user may not have MULTI, and a cluster
        // connection pipelines nothing): an entry added or pruned between them shows as a
        // length that does not add up, and costs a whole read.
        let (fresh, len): (redis::Value, u64) = store.with_conn(|c| {
            let fresh = redis::cmd("XRANGE").arg(log).arg(&from).arg("+").query(c)?;
            Ok((fresh, redis::cmd("XLEN").arg(log).query(c)?))
        })?;
        let mut fresh = stream_entries(&fresh);
        if self.seen + fresh.len() as u64 != len {
            *self = Self::default();
            let all: redis::Value =
                store.with_conn(|c| redis::cmd("XRANGE").arg(log).arg("-").arg("+").query(c))?;
            fresh = stream_entries(&all);
        }
        self.seen += fresh.len() as u64;
        if let Some((id, _)) = fresh.last() {
            self.last = Some(id.clone());
        }
        let host = &store.options.host;
        self.entries.extend(
            fresh
                .iter()
                .filter_map(|(_, fields)| entry_of(fields, host)),
        );
        Ok(())
    }

    /// Every entry, oldest first.
    pub(super) fn entries(&self) -> impl Iterator<Item = &HistoryEntry> {
        self.entries.iter()
    }
}
