//! Snapshots: the whole memory store saved under a name, listed, and brought back. Restoring
//! goes through the store like any change (deletes and overwrites keep the previous versions in
//! the history), so the state before a restore is never lost. "Reset demo" is a snapshot, then
//! every memory cleared the same way.
//!
//! A snapshot is one JSON file, `NAME.json`, in the snapshots directory; it works for any
//! backend, since it only uses the store's own reads and writes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Expect, MemPath, MemoryStore, NodeKind, StoreError, WriteCtx};

/// The store at one moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub name: String,
    pub created_ms: u64,
    pub files: Vec<SnapshotFile>,
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Restored {
    pub written: usize,
    pub deleted: usize,
    pub unchanged: usize,
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
    for entry in listing.entries.iter().filter(|e| e.kind == NodeKind::File) {
        let path = MemPath::parse(&format!("/memories/{}", entry.relative))?;
        let file = store.read(&path)?;
        let author = authors.get(&path.to_string()).cloned();
        files.push(SnapshotFile {
            path: path.to_string(),
            text: file.text,
            author,
        });
    }
    Ok(Snapshot {
        name: name.to_owned(),
        created_ms: now_ms,
        files,
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
    let wanted: Vec<MemPath> = snapshot
        .files
        .iter()
        .map(|f| MemPath::parse(&f.path))
        .collect::<Result<_, _>>()?;
    // Delete what the snapshot does not have, top-level entries first where possible.
    let listing = store.list(&MemPath::root(), 8)?;
    for entry in &listing.entries {
        let path = MemPath::parse(&format!("/memories/{}", entry.relative))?;
        // A file stays when the snapshot has it; a folder when the snapshot has something in it.
        let keep = match entry.kind {
            NodeKind::Dir => wanted
                .iter()
                .any(|w| w.to_string().starts_with(&format!("{path}/"))),
            NodeKind::File => wanted.contains(&path),
        };
        if !keep && store.node(&path)?.is_some() {
            store.delete(&path, WriteCtx::new(actor, "delete"))?;
            done.deleted += 1;
        }
    }
    for (file, path) in snapshot.files.iter().zip(&wanted) {
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
/// it. Returns the snapshot's name and how many top-level entries were deleted; nothing is
/// cleared unless the snapshot was saved.
pub fn reset(
    store: &dyn MemoryStore,
    dir: &Path,
    actor: &str,
    now_ms: u64,
) -> Result<(String, usize), String> {
    let name = format!("before-reset-{}", super::history::compact_utc(now_ms));
    let taken = take(store, &name, now_ms).map_err(|e| e.to_string())?;
    save(dir, &taken, false)?;
    let cleared = clear(store, actor).map_err(|e| e.to_string())?;
    Ok((name, cleared))
}

/// Delete every memory (each kept in the history).
pub fn clear(store: &dyn MemoryStore, actor: &str) -> Result<usize, StoreError> {
    let listing = store.list(&MemPath::root(), 1)?;
    let mut deleted = 0;
    for entry in &listing.entries {
        let path = MemPath::parse(&format!("/memories/{}", entry.relative))?;
        store.delete(&path, WriteCtx::new(actor, "delete"))?;
        deleted += 1;
    }
    Ok(deleted)
}
