//! What one turn did to memory (its receipt), read from the history as each write lands, and
//! undoing a whole turn.
//!
//! Each successful write of the model is matched to the history entry it made (the newest entry
//! for its path by the persona with its command), so a receipt names exact versions. Undoing
//! walks the turn backwards and changes a path back only while it still holds what the turn
//! left there: whatever someone changed afterwards stays, and is reported.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::history::restore_path;
use super::{Expect, MemPath, MemoryStore, StoreError, Version, WriteCtx};

/// Lines of diff kept per change (the rest is summarised).
const DIFF_LINES: usize = 80;

/// What a change did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Did {
    Created,
    Edited,
    Deleted,
    Renamed,
}

impl Did {
    pub fn verb(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Edited => "edited",
            Self::Deleted => "deleted",
            Self::Renamed => "renamed",
        }
    }
}

/// One change a turn made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub did: Did,
    /// The path written (a rename's old name).
    pub path: String,
    /// A rename's new name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_path: Option<String>,
    #[serde(default)]
    pub old: Option<Version>,
    #[serde(default)]
    pub new: Option<Version>,
    /// A whole folder was deleted or renamed.
    #[serde(default)]
    pub folder: bool,
    /// `+`, `-` or ` ` and the line; a `…` line between distant changes.
    #[serde(default)]
    pub diff: Vec<(char, String)>,
}

impl Change {
    /// `created /memories/a.md`, `renamed /memories/a.md → /memories/b.md`.
    pub fn title(&self) -> String {
        let what = if self.folder { " folder" } else { "" };
        match &self.new_path {
            Some(to) => format!("{}{what} {} → {to}", self.did.verb(), self.path),
            None => format!("{}{what} {}", self.did.verb(), self.path),
        }
    }
}

/// The change a successful write tool call made, from the history; `None` for reads, failed
/// calls, or when the history has no matching entry (pruned, or not recorded).
pub fn record(store: &dyn MemoryStore, actor: &str, input: &Value) -> Option<Change> {
    let command = input["command"].as_str()?;
    let raw = match command {
        "create" | "str_replace" | "insert" | "delete" => input["path"].as_str()?,
        "rename" => input["old_path"].as_str()?,
        _ => return None,
    };
    record_op(store, actor, command, raw)
}

/// The change `actor`'s newest `command` (as the history names it) made to `raw`.
pub fn record_op(store: &dyn MemoryStore, actor: &str, command: &str, raw: &str) -> Option<Change> {
    let path = MemPath::parse(raw).ok()?;
    let entries = store.history(Some(&path)).ok()?;
    let entry = entries.iter().rev().find(|e| {
        e.actor == actor
            && e.op == command
            && e.path == raw
            && e.group.is_none_or(|group| group == e.seq)
    })?;
    change_of(store, entry)
}

/// The change a history entry records, with its diff.
pub fn change_of(store: &dyn MemoryStore, entry: &super::HistoryEntry) -> Option<Change> {
    let path = MemPath::parse(&entry.path).ok()?;
    let folder = entry.group == Some(entry.seq);
    let did = match (&entry.new_path, &entry.old, &entry.new) {
        (Some(_), _, _) => Did::Renamed,
        (None, None, Some(_)) => Did::Created,
        (None, Some(_), Some(_)) => Did::Edited,
        (None, _, None) => Did::Deleted,
    };
    let text = |v: &Option<Version>| {
        v.as_ref()
            .and_then(|v| store.version_text(&path, v).ok().flatten())
            .unwrap_or_default()
    };
    let diff = if did == Did::Renamed || folder {
        Vec::new()
    } else {
        let mut lines = line_diff(&text(&entry.old), &text(&entry.new));
        if lines.len() > DIFF_LINES {
            let more = lines.len() - DIFF_LINES;
            lines.truncate(DIFF_LINES);
            lines.push((' ', format!("… {more} more lines")));
        }
        lines
    };
    Some(Change {
        did,
        path: entry.path.clone(),
        new_path: entry.new_path.clone(),
        old: entry.old.clone(),
        new: entry.new.clone(),
        folder,
        diff,
    })
}

/// A line diff: `+` added, `-` removed, ` ` unchanged (two lines around each change, `…`
/// between groups).
pub fn line_diff(old: &str, new: &str) -> Vec<(char, String)> {
    let diff = similar::TextDiff::from_lines(old, new);
    let mut lines = Vec::new();
    for group in diff.grouped_ops(2) {
        if !lines.is_empty() {
            lines.push((' ', "…".to_owned()));
        }
        for op in group {
            for change in diff.iter_changes(&op) {
                let mark = match change.tag() {
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                    similar::ChangeTag::Equal => ' ',
                };
                lines.push((mark, change.value().trim_end_matches('\n').to_owned()));
            }
        }
    }
    lines
}

/// How an undo went: changes put back, and those left because the path moved on since.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Undone {
    pub undone: usize,
    pub left: Vec<String>,
}

impl Undone {
    /// One line for the status bar and the receipt.
    pub fn summary(&self, total: usize) -> String {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        if self.left.is_empty() {
            format!("undid {total} change{}", plural(total))
        } else {
            format!(
                "undid {} of {total} change{}; left as they are now: {}",
                self.undone,
                plural(total),
                self.left.join("; ")
            )
        }
    }
}

/// Undo `changes` (one turn's, in the order they were made), newest first, as `actor`.
pub fn undo(store: &dyn MemoryStore, changes: &[Change], actor: &str) -> Undone {
    let mut report = Undone::default();
    for change in changes.iter().rev() {
        match undo_one(store, change, WriteCtx::new(actor, "undo")) {
            Ok(()) => report.undone += 1,
            Err(why) => report.left.push(format!("{} ({why})", change.path)),
        }
    }
    report
}

fn undo_one(store: &dyn MemoryStore, change: &Change, ctx: WriteCtx<'_>) -> Result<(), String> {
    let path = MemPath::parse(&change.path).map_err(|e| e.to_string())?;
    let current = || match store.read(&path) {
        Ok(file) => Ok(Some(file.version)),
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.to_string()),
    };
    let exists = |p: &MemPath| {
        store
            .node(p)
            .map(|n| n.is_some())
            .map_err(|e| e.to_string())
    };
    let changed_since = || "changed since".to_owned();
    match change.did {
        Did::Renamed => {
            let to = MemPath::parse(change.new_path.as_deref().unwrap_or_default())
                .map_err(|e| e.to_string())?;
            if !exists(&to)? || exists(&path)? {
                return Err(changed_since());
            }
            store.rename(&to, &path, ctx).map_err(|e| e.to_string())
        }
        Did::Deleted if change.folder => {
            if exists(&path)? {
                return Err("there is something at that path again".to_owned());
            }
            restore_path(store, &path, None, ctx)
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
        Did::Deleted => {
            if exists(&path)? {
                return Err("there is a file there again".to_owned());
            }
            let old = change.old.as_ref().ok_or("no version to bring back")?;
            store
                .restore(&path, Some(old.as_str()), ctx)
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
        Did::Created => {
            if current()? != change.new {
                return Err(changed_since());
            }
            store
                .delete(&path, ctx)
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
        Did::Edited => {
            let (Some(old), Some(new)) = (&change.old, &change.new) else {
                return Err("no versions to compare".to_owned());
            };
            let text = store
                .version_text(&path, old)
                .map_err(|e| e.to_string())?
                .ok_or("the history no longer holds the earlier version")?;
            match store.save(&path, &text, Expect::Version(new.clone()), ctx) {
                Ok(_) => Ok(()),
                Err(StoreError::Conflict { .. } | StoreError::NotFound(_)) => Err(changed_since()),
                Err(e) => Err(e.to_string()),
            }
        }
    }
}
