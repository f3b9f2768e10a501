//! Snapshots: the whole memory store saved under a name, listed, and brought back. Restoring
//! goes through the store like any change (deletes and overwrites keep the previous versions in
//! the history), so the state before a restore is never lost. "Reset demo" is a snapshot, then
//! every memory cleared the same way.
//!
//! A snapshot is one JSON file, `NAME.json`, in the snapshots directory; it works for any
//! backend, since it only uses the store's own reads and writes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Expect, MemPath, MemoryStore, NodeKind, StoreError, WriteCtx};

/// The store at one moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub name: String,
    pub created_ms: u64,
    pub files: Vec<SnapshotFile>,
    /// What [`take`] found but could not save (not a memory: binary, too large, a name memory
    /// paths cannot use), each with why; not stored in the file.
    #[serde(skip)]
    pub skipped: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotFile {
    /// `/memories/...`
    pub path: String,
    pub text: String,
    /// Who last wrote it when the snapshot was taken (older snapshots lack it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

/// What a restore did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Restored {
    pub written: usize,
    pub deleted: usize,
    pub unchanged: usize,
    /// Left alone, each with why: snapshot entries whose path memory may not use (a file edited
    /// by hand), and what the store holds under names no memory path can spell.
    pub skipped: Vec<String>,
}

/// What clearing the store did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cleared {
    pub deleted: usize,
    /// Entries left in place, each with why: names no memory path can spell (the store cannot
    /// delete what it cannot name; a person can).
    pub left: Vec<String>,
    /// For a reset: what the snapshot could not hold (the delete's history still keeps it).
    pub unsaved: Vec<String>,
}

impl Cleared {
    /// Clauses for a status line about what was left and what the snapshot lacks, or nothing.
    pub fn notes(&self) -> String {
        let mut out = String::new();
        if !self.left.is_empty() {
            let _ = write!(out, "; left in place: {}", self.left.join(", "));
        }
        if !self.unsaved.is_empty() {
            let _ = write!(
                out,
                "; not in the snapshot (the history keeps them): {}",
                self.unsaved.join(", ")
            );
        }
        out
    }
}

/// A listed entry as a memory path, or why it cannot be one (shown safely).
fn entry_path(relative: &str) -> Result<MemPath, String> {
    MemPath::parse(&format!("/memories/{relative}"))
        .map_err(|e| format!("/memories/{relative} ({e})"))
}

/// Whether a read failed because the file is not a memory (it can be skipped), rather than
/// because the store could not be reached or read.
fn not_a_memory(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Path(_)
            | StoreError::NotUtf8 { .. }
            | StoreError::TooLarge { .. }
            | StoreError::HardLinked { .. }
            | StoreError::Unsupported(_)
            | StoreError::Symlink { .. }
    )
}

/// Snapshot names are file names: see [`check_file_name`].
pub fn check_name(name: &str) -> Result<(), String> {
    check_file_name("snapshot", name)
}

/// Names that become file names (snapshots, sessions): 1 to 64 letters, digits, `-`, `_` or
/// `.`, not starting with a dot. `what` names the thing in the error.
pub fn check_file_name(what: &str, name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a {what} name: use 1 to 64 letters, digits, '-', '_' or '.', not starting with '.'"
        ))
    }
}

/// Every file of the store, read now.
pub fn take(store: &dyn MemoryStore, name: &str, now_ms: u64) -> Result<Snapshot, StoreError> {
    let root = MemPath::root();
    let listing = store.list(&root, 8)?;
    // Who wrote each file last, so that a restore can say so (not only who restored it).
    let mut authors = std::collections::HashMap::new();
    for entry in store.history(None)? {
        let path = entry.new_path.unwrap_or(entry.path);
        authors.insert(path, entry.actor);
    }
    let mut files = Vec::new();
    let mut skipped = listing.skipped;
    skipped.extend(listing.unreadable);
    for entry in listing.entries.iter().filter(|e| e.kind == NodeKind::File) {
        let path = match entry_path(&entry.relative) {
            Ok(path) => path,
            Err(why) => {
                skipped.push(why);
                continue;
            }
        };
        let file = match store.read(&path) {
            Ok(file) => file,
            Err(e) if not_a_memory(&e) => {
                // The error names the path and says why.
                skipped.push(e.to_string());
                continue;
            }
            Err(e) => return Err(e),
        };
        let author = authors.get(&path.to_string()).cloned();
        files.push(SnapshotFile {
            path: path.to_string(),
            text: file.text,
            author,
        });
    }
    if !skipped.is_empty() {
        tracing::warn!("snapshot {name} leaves out {}", skipped.join(", "));
    }
    Ok(Snapshot {
        name: name.to_owned(),
        created_ms: now_ms,
        files,
        skipped,
    })
}

/// Where snapshot `name` is kept in `dir`.
pub fn path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.json"))
}

/// Write `snapshot` to `dir` (atomically: a temp file renamed into place). Refuses to replace
/// an existing snapshot of the same name unless `replace`.
pub fn save(dir: &Path, snapshot: &Snapshot, replace: bool) -> Result<PathBuf, String> {
    check_name(&snapshot.name)?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let target = path(dir, &snapshot.name);
    if !replace && target.exists() {
        return Err(format!(
            "a snapshot named {:?} exists already; choose another name",
            snapshot.name
        ));
    }
    let temp = dir.join(format!(".{}.{}.tmp", snapshot.name, std::process::id()));
    let bytes = serde_json::to_vec_pretty(snapshot).map_err(|e| e.to_string())?;
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, &target)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        format!("cannot write {}: {e}", target.display())
    })?;
    Ok(target)
}

/// Read snapshot `name` from `dir`.
pub fn load(dir: &Path, name: &str) -> Result<Snapshot, String> {
    check_name(name)?;
    let file = path(dir, name);
    let bytes = std::fs::read(&file).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("there is no snapshot {name:?}"),
        _ => format!("cannot read {}: {e}", file.display()),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{} is damaged: {e}", file.display()))
}

/// Every snapshot in `dir`, newest first.
pub fn list(dir: &Path) -> Result<Vec<Snapshot>, String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(name) = name.strip_suffix(".json")
            && check_name(name).is_ok()
        {
            out.push(load(dir, name)?);
        }
    }
    out.sort_by(|a, b| b.created_ms.cmp(&a.created_ms).then(a.name.cmp(&b.name)));
    Ok(out)
}

/// Make the store hold exactly what `snapshot` holds: files it lacks are deleted, its files
/// written (unchanged ones left alone). Every change is recorded in the history as `actor`'s;
/// a file whose author the snapshot knows is recorded as "AUTHOR, restored by ACTOR", so the
/// panel still says who wrote it.
pub fn restore(
    store: &dyn MemoryStore,
    snapshot: &Snapshot,
    actor: &str,
) -> Result<Restored, StoreError> {
    let mut done = Restored::default();
    // A path read from a file goes through the tool's own checks; one that fails is reported.
    let mut wanted: Vec<(&SnapshotFile, MemPath)> = Vec::new();
    for file in &snapshot.files {
        match super::check_stored_path(&file.path) {
            Ok(path) => wanted.push((file, path)),
            Err(why) => done.skipped.push(format!(
                "{} in the snapshot ({why})",
                super::path::display_raw(&file.path)
            )),
        }
    }
    // Delete what the snapshot does not have, top-level entries first where possible.
    let listing = store.list(&MemPath::root(), 8)?;
    for entry in &listing.entries {
        let path = match entry_path(&entry.relative) {
            Ok(path) => path,
            Err(why) => {
                done.skipped.push(why);
                continue;
            }
        };
        // A file stays when the snapshot has it; a folder when the snapshot has something in it.
        let keep = match entry.kind {
            NodeKind::Dir => wanted.iter().any(|(_, w)| w.starts_with(&path)),
            NodeKind::File => wanted.iter().any(|(_, w)| *w == path),
        };
        if !keep && store.node(&path)?.is_some() {
            store.delete(&path, WriteCtx::new(actor, "delete"))?;
            done.deleted += 1;
        }
    }
    for (file, path) in &wanted {
        let current = store.read(path).ok();
        if current.as_ref().is_some_and(|c| c.text == file.text) {
            done.unchanged += 1;
            continue;
        }
        // The author who wrote it, also through earlier restores ("Alice, restored by Sam").
        let by = match file.author.as_deref() {
            Some(author) if author != actor => {
                let first = author.split(", restored by").next().unwrap_or(author);
                format!("{first}, restored by {actor}")
            }
            _ => actor.to_owned(),
        };
        store.save(path, &file.text, Expect::Any, WriteCtx::new(&by, "restore"))?;
        done.written += 1;
    }
    Ok(done)
}

/// Reset a demo's memory: save the store as snapshot `before-reset-TIME` in `dir`, then clear
/// it. Returns the snapshot's name and what was cleared; nothing is cleared unless the snapshot
/// was saved. What the snapshot could not hold is still kept by the history of the delete.
pub fn reset(
    store: &dyn MemoryStore,
    dir: &Path,
    actor: &str,
    now_ms: u64,
) -> Result<(String, Cleared), String> {
    let name = format!("before-reset-{}", crate::clock::compact_utc(now_ms));
    let taken = take(store, &name, now_ms).map_err(|e| e.to_string())?;
    save(dir, &taken, false)?;
    let mut cleared = clear(store, actor).map_err(|e| e.to_string())?;
    cleared.unsaved = taken.skipped;
    Ok((name, cleared))
}

/// Delete every memory (each kept in the history); entries no memory path can name are left,
/// and said, as are those a folder's delete spared.
pub fn clear(store: &dyn MemoryStore, actor: &str) -> Result<Cleared, StoreError> {
    let listing = store.list(&MemPath::root(), 1)?;
    let mut done = Cleared::default();
    for entry in &listing.entries {
        let path = match entry_path(&entry.relative) {
            Ok(path) => path,
            Err(why) => {
                done.left.push(why);
                continue;
            }
        };
        let kept = store.delete(&path, WriteCtx::new(actor, "delete"))?;
        done.left
            .extend(kept.into_iter().map(|k| format!("{path}/{k}")));
        done.deleted += 1;
    }
    Ok(done)
}
