//! The mutations of the local store: save, modify, delete, rename and restore.
//!
//! Each runs under the store lock and follows one order: keep the old and new content in the
//! history, append the history entry, change the memory directory atomically, update the
//! snapshot, broadcast the change.

use std::collections::HashMap;
use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::io::Errno;

use super::fs::{self, Kind, Meta};
use super::log::{History, NewEntry};
use super::{HISTORY_BLOB_MAX, Inner, Locked, Seen};
use crate::memory::history::pick_version;
use crate::memory::{
    ChangeKind, Expect, FileText, MemPath, MemoryChange, StoreError, Version, WriteCtx,
    within_limit,
};

/// A file about to be replaced.
struct Current {
    bytes: Vec<u8>,
    version: Version,
    mode: u32,
}

impl Inner {
    /// Replace (or create) `path`'s content: blobs, history entry, atomic write, snapshot,
    /// broadcast. The caller holds the lock and has checked every precondition.
    fn commit_write(
        &self,
        locked: &mut Locked<'_>,
        dir: BorrowedFd<'_>,
        path: &MemPath,
        current: Option<&Current>,
        bytes: &[u8],
        ctx: WriteCtx<'_>,
    ) -> Result<Version, StoreError> {
        let version = Version::of(bytes);
        if current.is_some_and(|c| c.version == version) {
            return Ok(version);
        }
        let name = path.name().unwrap_or_default();
        let history = &mut locked.state.history;
        let keep = |e| StoreError::io("cannot keep the previous version in the history", e);
        if let Some(cur) = current {
            history
                .put_blob(&cur.bytes, &cur.version, true)
                .map_err(keep)?;
        }
        history.defer_blob(bytes.to_vec(), &version);
        history
            .append(vec![NewEntry {
                actor: ctx.actor.to_owned(),
                op: ctx.op.to_owned(),
                path: path.to_string(),
                new_path: None,
                old: current.map(|c| c.version.clone()),
                new: Some(version.clone()),
            }])
            .map_err(|e| StoreError::io("cannot append to the history log", e))?;
        let mode = current.map_or(fs::FILE_MODE, |c| c.mode);
        match fs::write_atomic(dir, name, bytes, mode, current.is_none()) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(Errno::EXIST.raw_os_error()) => {
                return Err(StoreError::Exists(path.clone()));
            }
            Err(e) => return Err(StoreError::io(format!("cannot write {path}"), e)),
        }
        if let Ok(Some(meta)) = fs::meta_at(dir, name) {
            locked.state.snapshot.insert(
                path.to_string(),
                Seen {
                    meta,
                    version: Some(version.clone()),
                },
            );
        }
        self.emit(MemoryChange {
            path: path.to_string(),
            kind: if current.is_some() {
                ChangeKind::Modified
            } else {
                ChangeKind::Created
            },
            actor: ctx.actor.to_owned(),
            version: Some(version.clone()),
            is_dir: false,
        });
        Ok(version)
    }

    pub(super) fn save(
        &self,
        path: &MemPath,
        text: &str,
        expect: &Expect,
        ctx: WriteCtx<'_>,
    ) -> Result<Version, StoreError> {
        if path.is_root() {
            return Err(StoreError::IsDir(path.clone()));
        }
        within_limit(path, text, self.max_file_bytes)?;
        let mut locked = self.lock()?;
        let root = self.open_root()?;
        let name = path.name().unwrap_or_default();
        // Check the precondition before creating any parent directory, so that a refused save
        // leaves nothing behind.
        let (dir, current) = match fs::walk(root.as_fd(), path, false, false) {
            Ok(dir) => {
                let current = current_file(dir.as_fd(), name, path)?;
                (Some(dir), current)
            }
            Err(StoreError::NotFound(_)) => (None, None),
            Err(e) => return Err(e),
        };
        match (expect, &current) {
            (Expect::Absent, Some(_)) => return Err(StoreError::Exists(path.clone())),
            (Expect::Version(wanted), cur) if cur.as_ref().map(|c| &c.version) != Some(wanted) => {
                return Err(StoreError::Conflict {
                    path: path.clone(),
                    current: cur.as_ref().map(|c| c.version.clone()),
                });
            }
            _ => {}
        }
        // The parent exists, or is created only now that the save is accepted.
        let dir = match dir {
            Some(dir) => dir,
            None => fs::walk(root.as_fd(), path, false, true)?,
        };
        self.commit_write(
            &mut locked,
            dir.as_fd(),
            path,
            current.as_ref(),
            text.as_bytes(),
            ctx,
        )
    }

    pub(super) fn modify(
        &self,
        path: &MemPath,
        ctx: WriteCtx<'_>,
        edit: &mut dyn FnMut(&str) -> Result<String, String>,
    ) -> Result<FileText, StoreError> {
        if path.is_root() {
            return Err(StoreError::IsDir(path.clone()));
        }
        let limit = self.max_file_bytes;
        let mut locked = self.lock()?;
        let root = self.open_root()?;
        let dir = fs::walk(root.as_fd(), path, false, false)?;
        let name = path.name().unwrap_or_default();
        let (mut file, meta) = fs::open_regular(dir.as_fd(), name, path)?;
        let bytes = fs::read_limited(&mut file, &meta, path, limit)?;
        let Ok(text) = std::str::from_utf8(&bytes) else {
            return Err(StoreError::NotUtf8 {
                path: path.clone(),
                size: meta.size,
            });
        };
        let new_text = edit(text).map_err(StoreError::Rejected)?;
        within_limit(path, &new_text, limit)?;
        // Unchanged since we last wrote or saw it: the recorded hash is still right.
        let known = locked
            .state
            .snapshot
            .get(&path.to_string())
            .filter(|seen| seen.same_as(&meta))
            .and_then(|seen| seen.version.clone());
        let current = Current {
            version: known.unwrap_or_else(|| Version::of(&bytes)),
            bytes,
            mode: meta.mode,
        };
        let version = self.commit_write(
            &mut locked,
            dir.as_fd(),
            path,
            Some(&current),
            new_text.as_bytes(),
            ctx,
        )?;
        Ok(FileText {
            text: new_text,
            version,
        })
    }

    pub(super) fn delete(&self, path: &MemPath, ctx: WriteCtx<'_>) -> Result<(), StoreError> {
        if path.is_root() {
            return Err(StoreError::Rejected(
                "Cannot delete the /memories directory itself".to_owned(),
            ));
        }
        let mut locked = self.lock()?;
        let root = self.open_root()?;
        let dir = fs::walk(root.as_fd(), path, false, false)?;
        let name = path.name().unwrap_or_default();
        let meta = fs::meta_at(dir.as_fd(), name)
            .map_err(|e| StoreError::io(format!("cannot examine {path}"), e))?
            .ok_or_else(|| StoreError::NotFound(path.clone()))?;
        let deleted = |p: String, v: Option<Version>| NewEntry {
            actor: ctx.actor.to_owned(),
            op: ctx.op.to_owned(),
            path: p,
            new_path: None,
            old: v,
            new: None,
        };
        let history = &mut locked.state.history;
        let entries = match meta.kind {
            Kind::File => {
                let files = files_of_single(dir.as_fd(), name, path, &meta)?;
                record_files(history, files, true, &|p, v| deleted(p, Some(v)))?
            }
            Kind::Dir => {
                let sub = fs::open_dir_at(dir.as_fd(), name)
                    .map_err(|e| StoreError::io(format!("cannot open {path}"), e))?;
                let files = files_below(sub.as_fd(), path, true)?;
                let mut entries = vec![deleted(path.to_string(), None)];
                entries.extend(record_files(history, files, true, &|p, v| {
                    deleted(p, Some(v))
                })?);
                entries
            }
            // A link or a special file holds no memory: remove the name, record the removal.
            Kind::Symlink | Kind::Other => vec![deleted(path.to_string(), None)],
        };
        let history = &mut locked.state.history;
        let appended = if meta.kind == Kind::Dir {
            history.append_group(entries)
        } else {
            history.append(entries)
        };
        appended.map_err(|e| StoreError::io("cannot append to the history log", e))?;
        fs::remove_tree(dir.as_fd(), name.as_bytes())
            .map_err(|e| StoreError::io(format!("cannot delete {path}"), e))?;
        fs::sync_dir(dir.as_fd()).map_err(|e| StoreError::io("cannot sync the directory", e))?;
        let key = path.to_string();
        locked
            .state
            .snapshot
            .retain(|k, _| k != &key && !k.starts_with(&format!("{key}/")));
        self.emit(MemoryChange {
            path: key,
            kind: ChangeKind::Deleted,
            actor: ctx.actor.to_owned(),
            version: None,
            is_dir: meta.kind == Kind::Dir,
        });
        Ok(())
    }

    pub(super) fn rename(
        &self,
        from: &MemPath,
        to: &MemPath,
        ctx: WriteCtx<'_>,
    ) -> Result<(), StoreError> {
        if from.is_root() {
            return Err(StoreError::Rejected(
                "Cannot rename the /memories directory itself".to_owned(),
            ));
        }
        if to.is_root() {
            return Err(StoreError::Exists(to.clone()));
        }
        let mut locked = self.lock()?;
        let root = self.open_root()?;
        let (from_dir, meta) = rename_source(root.as_fd(), from, to)?;
        let from_name = from.name().unwrap_or_default();
        let files = if meta.kind == Kind::Dir {
            let sub = fs::open_dir_at(from_dir.as_fd(), from_name)
                .map_err(|e| StoreError::io(format!("cannot open {from}"), e))?;
            files_below(sub.as_fd(), from, false)?
        } else {
            files_of_single(from_dir.as_fd(), from_name, from, &meta)?
        };
        let from_len = from.to_string().len();
        let moved = |p: String, v: Version| {
            let new_path = format!("{to}{}", &p[from_len..]);
            NewEntry {
                actor: ctx.actor.to_owned(),
                op: ctx.op.to_owned(),
                path: p,
                new_path: Some(new_path),
                old: Some(v.clone()),
                new: Some(v),
            }
        };
        let mut entries = record_files(&mut locked.state.history, files, false, &moved)?;
        if meta.kind == Kind::Dir {
            entries.insert(
                0,
                NewEntry {
                    actor: ctx.actor.to_owned(),
                    op: ctx.op.to_owned(),
                    path: from.to_string(),
                    new_path: Some(to.to_string()),
                    old: None,
                    new: None,
                },
            );
        }
        let to_dir = fs::walk(root.as_fd(), to, false, true)?;
        let history = &mut locked.state.history;
        let appended = if meta.kind == Kind::Dir {
            history.append_group(entries)
        } else {
            history.append(entries)
        };
        appended.map_err(|e| StoreError::io("cannot append to the history log", e))?;
        let to_name = to.name().unwrap_or_default();
        match fs::rename_no_replace(from_dir.as_fd(), from_name, to_dir.as_fd(), to_name) {
            Ok(()) => {}
            Err(Errno::EXIST | Errno::NOTEMPTY) => return Err(StoreError::Exists(to.clone())),
            Err(Errno::INVAL) => {
                return Err(StoreError::IntoItself {
                    from: from.clone(),
                    to: to.clone(),
                });
            }
            Err(Errno::NOENT) => return Err(StoreError::NotFound(from.clone())),
            Err(e) => return Err(StoreError::io(format!("cannot rename {from} to {to}"), e)),
        }
        let sync = |d: BorrowedFd<'_>| {
            fs::sync_dir(d).map_err(|e| StoreError::io("cannot sync the directory", e))
        };
        sync(from_dir.as_fd())?;
        sync(to_dir.as_fd())?;
        let (from_key, to_key) = (from.to_string(), to.to_string());
        rebase_snapshot(&mut locked.state.snapshot, &from_key, &to_key);
        self.emit(MemoryChange {
            path: to_key,
            kind: ChangeKind::Renamed { from: from_key },
            actor: ctx.actor.to_owned(),
            version: None,
            is_dir: meta.kind == Kind::Dir,
        });
        Ok(())
    }

    pub(super) fn restore(
        &self,
        path: &MemPath,
        version: Option<&str>,
        ctx: WriteCtx<'_>,
    ) -> Result<Version, StoreError> {
        if path.is_root() {
            return Err(StoreError::Rejected(
                "restore takes a file path, not /memories itself".to_owned(),
            ));
        }
        let mut locked = self.lock()?;
        let root = self.open_root()?;
        let dir = fs::walk(root.as_fd(), path, false, true)?;
        let name = path.name().unwrap_or_default();
        let current = current_file(dir.as_fd(), name, path)?;
        let entries = locked
            .state
            .history
            .entries()
            .map_err(|e| StoreError::io("cannot read the history log", e))?;
        let target = pick_version(
            &entries,
            path,
            current.as_ref().map(|c| &c.version),
            version,
        )?;
        let bytes = locked.state.history.blob(&target).map_err(|e| {
            StoreError::io(
                format!(
                    "the history no longer holds version {} of {path}",
                    target.short()
                ),
                e,
            )
        })?;
        self.commit_write(
            &mut locked,
            dir.as_fd(),
            path,
            current.as_ref(),
            &bytes,
            ctx,
        )
    }
}

impl Inner {
    pub(super) fn restore_folder(
        &self,
        folder: &MemPath,
        files: &[(MemPath, Version)],
        ctx: WriteCtx<'_>,
    ) -> Result<usize, StoreError> {
        let mut locked = self.lock()?;
        let root = self.open_root()?;
        // Everything is checked before anything is written.
        let mut todo = Vec::new();
        for (path, version) in files {
            if !path.starts_with(folder) || path == folder {
                return Err(StoreError::Rejected(format!(
                    "{path} is not inside the folder {folder}"
                )));
            }
            match fs::walk(root.as_fd(), path, false, false) {
                Ok(dir) => {
                    let name = path.name().unwrap_or_default();
                    let here = fs::meta_at(dir.as_fd(), name)
                        .map_err(|e| StoreError::io(format!("cannot examine {path}"), e))?;
                    if here.is_some() {
                        continue;
                    }
                }
                Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
            let bytes = locked.state.history.blob(version).map_err(|e| {
                StoreError::io(
                    format!(
                        "the history no longer holds version {} of {path}",
                        version.short()
                    ),
                    e,
                )
            })?;
            todo.push((path, version, bytes));
        }
        if todo.is_empty() {
            return Ok(0);
        }
        let entry = |path: String, new: Option<Version>| NewEntry {
            actor: ctx.actor.to_owned(),
            op: ctx.op.to_owned(),
            path,
            new_path: None,
            old: None,
            new,
        };
        let mut entries = vec![entry(folder.to_string(), None)];
        entries.extend(
            todo.iter()
                .map(|(path, version, _)| entry(path.to_string(), Some((*version).clone()))),
        );
        locked
            .state
            .history
            .append_group(entries)
            .map_err(|e| StoreError::io("cannot append to the history log", e))?;
        for (path, version, bytes) in &todo {
            let dir = fs::walk(root.as_fd(), path, false, true)?;
            let name = path.name().unwrap_or_default();
            match fs::write_atomic(dir.as_fd(), name, bytes, fs::FILE_MODE, true) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(Errno::EXIST.raw_os_error()) => {
                    return Err(StoreError::Exists((*path).clone()));
                }
                Err(e) => return Err(StoreError::io(format!("cannot write {path}"), e)),
            }
            if let Ok(Some(meta)) = fs::meta_at(dir.as_fd(), name) {
                locked.state.snapshot.insert(
                    path.to_string(),
                    Seen {
                        meta,
                        version: Some((*version).clone()),
                    },
                );
            }
            self.emit(MemoryChange {
                path: path.to_string(),
                kind: ChangeKind::Created,
                actor: ctx.actor.to_owned(),
                version: Some((*version).clone()),
                is_dir: false,
            });
        }
        Ok(todo.len())
    }
}

/// The file at `name` in `dir` as it is now, for replacing it.
fn current_file(
    dir: BorrowedFd<'_>,
    name: &str,
    path: &MemPath,
) -> Result<Option<Current>, StoreError> {
    let exists = fs::meta_at(dir, name)
        .map_err(|e| StoreError::io(format!("cannot examine {path}"), e))?
        .is_some();
    if !exists {
        return Ok(None);
    }
    let (mut file, meta) = fs::open_regular(dir, name, path)?;
    let bytes = fs::read_limited(&mut file, &meta, path, HISTORY_BLOB_MAX)?;
    Ok(Some(Current {
        version: Version::of(&bytes),
        bytes,
        mode: meta.mode,
    }))
}

/// Every regular file below `dir` with its content, for the history of a directory
/// operation. Files too large to keep make the whole operation fail.
fn files_below(
    dir: BorrowedFd<'_>,
    base: &MemPath,
    include_hidden: bool,
) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    let mut found = Vec::new();
    let mut files = Vec::new();
    let mut failure = None;
    let mut on_file = |d: BorrowedFd<'_>, name: &[u8], f: &fs::Found| {
        if failure.is_some() {
            return;
        }
        let path = format!("{base}/{}", f.relative);
        if f.meta.size > HISTORY_BLOB_MAX {
            failure = Some(StoreError::Rejected(format!(
                "{path} is {} bytes, too large to keep in the history; move it out of the \
                 memory directory first",
                f.meta.size
            )));
            return;
        }
        let read = fs::open_raw_regular(d, name).and_then(|(mut file, _)| {
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).map(|_| bytes)
        });
        match read {
            Ok(bytes) => files.push((path, bytes)),
            Err(e) => failure = Some(StoreError::io(format!("cannot read {path}"), e)),
        }
    };
    fs::walk_tree(
        dir,
        "",
        usize::MAX,
        include_hidden,
        &mut found,
        &mut on_file,
    )
    .map_err(|e| StoreError::io(format!("cannot read the directory {base}"), e))?;
    match failure {
        Some(e) => Err(e),
        None => Ok(files),
    }
}

/// Keep `files` in the history and turn them into entries.
fn record_files(
    history: &mut History,
    files: Vec<(String, Vec<u8>)>,
    durable: bool,
    entry: &dyn Fn(String, Version) -> NewEntry,
) -> Result<Vec<NewEntry>, StoreError> {
    let keep = |e| StoreError::io("cannot keep a copy in the history", e);
    let mut entries = Vec::with_capacity(files.len());
    for (path, bytes) in files {
        let version = Version::of(&bytes);
        history.put_blob(&bytes, &version, false).map_err(keep)?;
        entries.push(entry(path, version));
    }
    // One sync for all of them, before the caller removes the originals.
    if durable {
        history.sync_pack().map_err(keep)?;
    }
    Ok(entries)
}

/// The content of one file about to be deleted or moved, for the history.
fn files_of_single(
    dir: BorrowedFd<'_>,
    name: &str,
    path: &MemPath,
    meta: &Meta,
) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    if meta.size > HISTORY_BLOB_MAX {
        return Err(StoreError::Rejected(format!(
            "{path} is {} bytes, too large to keep in the history; move it out of the memory \
             directory by hand",
            meta.size
        )));
    }
    let (mut file, _) = fs::open_raw_regular(dir, name.as_bytes())
        .map_err(|e| StoreError::io(format!("cannot read {path}"), e))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| StoreError::io(format!("cannot read {path}"), e))?;
    Ok(vec![(path.to_string(), bytes)])
}

/// Check a rename before anything changes: the destination must be free (reported first, as the
/// reference does), the source must exist and be a file or a directory not above the
/// destination. Returns the source's directory and what the source is.
fn rename_source(
    root: BorrowedFd<'_>,
    from: &MemPath,
    to: &MemPath,
) -> Result<(OwnedFd, Meta), StoreError> {
    // The reference reports an existing destination before a missing source.
    match fs::walk(root, to, false, false) {
        Ok(to_dir) => {
            let exists = fs::meta_at(to_dir.as_fd(), to.name().unwrap_or_default())
                .map_err(|e| StoreError::io(format!("cannot examine {to}"), e))?;
            if exists.is_some() {
                return Err(StoreError::Exists(to.clone()));
            }
        }
        Err(StoreError::NotFound(_)) => {}
        Err(e) => return Err(e),
    }
    let from_dir = fs::walk(root, from, false, false)?;
    let from_name = from.name().unwrap_or_default();
    let meta = fs::meta_at(from_dir.as_fd(), from_name)
        .map_err(|e| StoreError::io(format!("cannot examine {from}"), e))?
        .ok_or_else(|| StoreError::NotFound(from.clone()))?;
    match meta.kind {
        Kind::File | Kind::Dir => {}
        Kind::Symlink => {
            return Err(StoreError::Symlink {
                path: from.clone(),
                link: from.clone(),
            });
        }
        Kind::Other => return Err(StoreError::Unsupported(from.clone())),
    }
    if to.starts_with(from) {
        return Err(StoreError::IntoItself {
            from: from.clone(),
            to: to.clone(),
        });
    }
    Ok((from_dir, meta))
}

/// Move the snapshot's records of `from` and everything below it to `to`.
fn rebase_snapshot(snapshot: &mut HashMap<String, Seen>, from: &str, to: &str) {
    let below = format!("{from}/");
    let moved: Vec<String> = snapshot
        .keys()
        .filter(|k| *k == from || k.starts_with(&below))
        .cloned()
        .collect();
    for key in moved {
        if let Some(seen) = snapshot.remove(&key) {
            snapshot.insert(format!("{to}{}", &key[from.len()..]), seen);
        }
    }
}
