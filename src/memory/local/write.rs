//! The mutations of the local store: save, modify, delete, rename and restore.
//!
//! Each runs under the store lock and follows one order: keep the old and new content in the
//! history, append the history entry as an intent, change the memory directory atomically,
//! confirm the entry (see [`Inner::conclude`]), update the snapshot, broadcast the change.

use std::collections::HashMap;
use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::FileExt as _;
use std::time::{Duration, Instant};

use rustix::io::Errno;

use super::fs::{self, Kind, Meta};
use super::log::{History, NewEntry};
use super::watch::external_entry;
use super::{HISTORY_BLOB_MAX, Inner, Locked, Seen};
use crate::memory::history::{check_inside, pick_version};
use crate::memory::{
    ChangeKind, Expect, FileText, HistoryEntry, MemPath, MemoryChange, StoreError, Version,
    WriteCtx, within_limit,
};

/// Refuse a new `path` that an existing name equals but for letter case (see
/// [`crate::memory::case_twin`]); `moving` is a rename's source.
fn refuse_case_twin(
    root: BorrowedFd<'_>,
    path: &MemPath,
    moving: Option<&MemPath>,
) -> Result<(), StoreError> {
    crate::memory::case_twin(path, moving, |dir| {
        let fd = match fs::walk(root, dir, true, false) {
            Ok(fd) => fd,
            Err(StoreError::NotFound(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let names = fs::read_names(fd.as_fd())
            .map_err(|e| StoreError::io(format!("cannot list {dir}"), e))?;
        Ok(names
            .into_iter()
            .filter_map(|n| String::from_utf8(n).ok())
            .collect())
    })
}

/// A file about to be replaced.
struct Current {
    bytes: Vec<u8>,
    version: Version,
    /// As it was when read: a write finding it otherwise lost a race with another program.
    meta: Meta,
}

/// How often a write is tried again when another program keeps changing the file under it.
const ATTEMPTS: usize = 20;

/// How long a replaced file is watched for a late write, and how many are watched at once (each
/// holds a file descriptor; the oldest is looked at one last time when a newer one needs room).
const ORPHAN_GRACE: Duration = Duration::from_secs(5);
const MAX_ORPHANS: usize = 256;

/// A file one of our writes replaced, held open for a while: a program that opened it just
/// before the replace (an appender between its `open` and its `write`) writes into it after,
/// and what it adds is applied again to the file under its name by the flusher, which comes
/// back every `FLUSH_DELAY` while any is watched.
pub(super) struct Orphan {
    path: MemPath,
    file: std::fs::File,
    /// Its size and modification time when last looked at: what was accounted for.
    size: u64,
    mtime_ns: i128,
    until: Instant,
}

/// A replaced file another program rewrote (not appended to): its bytes are kept in the
/// history as its version, never applied over newer content.
fn keep_late_rewrite(
    locked: &mut Locked<'_>,
    path: &MemPath,
    late: &[u8],
    old: Option<&Version>,
) -> Result<(), StoreError> {
    let version = Version::of(late);
    let history = &mut locked.state.history;
    history
        .put_blob(late, &version, true)
        .and_then(|()| {
            history.append(vec![external_entry(
                &path.to_string(),
                None,
                old.cloned(),
                Some(version.clone()),
            )])
        })
        .map_err(|e| StoreError::io("cannot keep the other program's version", e))?;
    tracing::warn!(
        "{path} was rewritten by another program as a write replaced it; its version {} is \
         kept in the history",
        version.short()
    );
    Ok(())
}

/// Whether the file `current` was read from has since only grown at its end.
fn only_appended(file: &std::fs::File, meta: &Meta, current: &Current) -> bool {
    if meta.ino != current.meta.ino || meta.size <= current.meta.size {
        return false;
    }
    let mut head = vec![0; current.bytes.len()];
    file.read_exact_at(&mut head, 0).is_ok() && head == current.bytes
}

/// Make `attempt` until it writes (`Some`): `None` means another program changed the file
/// under it (its version is recorded) and the write must start again from the new content.
fn until_written<T>(
    path: &MemPath,
    mut attempt: impl FnMut() -> Result<Option<T>, StoreError>,
) -> Result<T, StoreError> {
    for _ in 0..ATTEMPTS {
        if let Some(done) = attempt()? {
            return Ok(done);
        }
    }
    Err(StoreError::Rejected(format!(
        "{path} kept changing under another program; nothing was written, try again"
    )))
}

impl Inner {
    /// Replace (or create) `path`'s content: blobs, history entry, atomic write, snapshot,
    /// broadcast. The caller holds the lock and has checked every precondition.
    ///
    /// Another program may change the file after it was read (it does not take our lock):
    /// just before the new content replaces it, the file is looked at again, and if it
    /// changed nothing is written, its new content is recorded as an `external` change, and
    /// `None` says to read it again and redo the write.
    fn commit_write(
        &self,
        locked: &mut Locked<'_>,
        dir: BorrowedFd<'_>,
        path: &MemPath,
        current: Option<&Current>,
        bytes: &[u8],
        ctx: WriteCtx<'_>,
    ) -> Result<Option<Version>, StoreError> {
        let version = Version::of(bytes);
        if current.is_some_and(|c| c.version == version) {
            return Ok(Some(version));
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
        let intent = intend(
            history,
            vec![NewEntry {
                actor: ctx.actor.to_owned(),
                op: ctx.op.to_owned(),
                path: path.to_string(),
                new_path: None,
                old: current.map(|c| c.version.clone()),
                new: Some(version.clone()),
            }],
            false,
        )?;
        let mode = current.map_or(fs::FILE_MODE, |c| c.meta.mode);
        // The file being replaced, held open across the rename: a program that opened it just
        // before may still write to it after (an appender), and that must not vanish.
        let mut replaced: Option<std::fs::File> = None;
        // A file only appended to since it was read goes ahead too: the rescue below puts
        // what was appended back on top of the new content.
        let mut unchanged = || {
            current.is_none_or(|c| match fs::open_raw_regular(dir, name.as_bytes()) {
                Ok((file, meta)) if meta == c.meta || only_appended(&file, &meta, c) => {
                    replaced = Some(file);
                    true
                }
                _ => false,
            })
        };
        let written =
            match fs::write_atomic(dir, name, bytes, mode, current.is_none(), &mut unchanged) {
                Ok(true) => Ok(()),
                Ok(false) => {
                    let seqs = intent.iter().map(|e| e.seq).collect();
                    locked
                        .state
                        .history
                        .conclude(Vec::new(), seqs)
                        .map_err(|e| StoreError::io("cannot append to the history log", e))?;
                    if let Some(cur) = current {
                        self.record_outside_change(locked, dir, path, cur)?;
                    }
                    return Ok(None);
                }
                Err(e) if e.raw_os_error() == Some(Errno::EXIST.raw_os_error()) => {
                    Err(StoreError::Exists(path.clone()))
                }
                Err(e) => Err(StoreError::io(format!("cannot write {path}"), e)),
            };
        self.conclude(locked, &intent, written)?;
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
        // The write is done; what the rescue finds is a change of its own, after it.
        if let (Some(file), Some(cur)) = (replaced, current)
            && let Err(e) = self.rescue_late_write(locked, dir, path, cur, file)
        {
            tracing::warn!("{path}: a write made during ours could not be applied again: {e}");
        }
        Ok(Some(version))
    }

    /// A program that had the replaced file open wrote to it after the rename (the moment
    /// between the last look and the rename): keep what it wrote. An append is applied again
    /// on top of the new content (as an `external` change); anything else is kept in the
    /// history as the other program's version. The replaced file is then watched a while (see
    /// [`Orphan`]).
    fn rescue_late_write(
        &self,
        locked: &mut Locked<'_>,
        dir: BorrowedFd<'_>,
        path: &MemPath,
        current: &Current,
        replaced: std::fs::File,
    ) -> Result<(), StoreError> {
        let Ok(stat) = rustix::fs::fstat(&replaced) else {
            return Ok(());
        };
        // Its link count and change time moved with the rename; only a write moves these.
        let after = fs::Meta::from_stat(&stat);
        let changed = (after.size, after.mtime_ns) != (current.meta.size, current.meta.mtime_ns);
        // Read only when it changed: the usual write reads nothing here.
        let outcome = if changed {
            let mut late = vec![0; usize::try_from(after.size).unwrap_or(0)];
            if replaced.read_exact_at(&mut late, 0).is_err() {
                return Ok(());
            }
            match late.strip_prefix(current.bytes.as_slice()) {
                Some(tail) => self.apply_late_append(locked, dir, path, tail),
                None => keep_late_rewrite(locked, path, &late, Some(&current.version)),
            }
        } else {
            Ok(())
        };
        // What was applied is accounted for; what failed or comes later is the watch's.
        let seen = if outcome.is_ok() { after } else { current.meta };
        if locked.state.orphans.len() >= MAX_ORPHANS {
            let oldest = locked.state.orphans.remove(0);
            self.look_at_orphan(locked, oldest);
            locked.state.orphans.retain(|o| o.until > Instant::now());
        }
        locked.state.orphans.push(Orphan {
            path: path.clone(),
            file: replaced,
            size: seen.size,
            mtime_ns: seen.mtime_ns,
            until: Instant::now() + ORPHAN_GRACE,
        });
        outcome
    }

    /// Append what another program wrote into a replaced file to the file under its name, as
    /// an `external` change (a write like any other: it too watches what it replaces).
    fn apply_late_append(
        &self,
        locked: &mut Locked<'_>,
        dir: BorrowedFd<'_>,
        path: &MemPath,
        tail: &[u8],
    ) -> Result<(), StoreError> {
        let name = path.name().unwrap_or_default();
        let ctx = WriteCtx::new(super::watch::EXTERNAL, super::watch::EXTERNAL);
        until_written(path, || {
            let Some(current) = current_file(dir, name, path)? else {
                tracing::warn!("{path} is gone; what another program appended late is dropped");
                return Ok(Some(()));
            };
            let mut merged = current.bytes.clone();
            merged.extend_from_slice(tail);
            Ok(self
                .commit_write(locked, dir, path, Some(&current), &merged, ctx)?
                .map(|_| ()))
        })?;
        tracing::info!("{path}: an append made into a replaced file was applied again");
        Ok(())
    }

    /// Look at the replaced files still watched (see [`Orphan`]): what a program added to one
    /// since is appended to the file under its name, as an `external` change; a rewrite is kept
    /// in the history. Called under the lock; failures are logged, never fatal to the caller.
    pub(super) fn adopt_orphans(&self, locked: &mut Locked<'_>) {
        if locked.state.orphans.is_empty() {
            return;
        }
        let now = Instant::now();
        for orphan in std::mem::take(&mut locked.state.orphans) {
            if let Some(orphan) = self.look_at_orphan(locked, orphan)
                && now < orphan.until
            {
                locked.state.orphans.push(orphan);
            }
        }
    }

    /// Apply what was written to one watched file since it was last looked at; the orphan back,
    /// with what is now accounted for (`None` when it cannot be looked at any more).
    fn look_at_orphan(&self, locked: &mut Locked<'_>, mut orphan: Orphan) -> Option<Orphan> {
        let stat = rustix::fs::fstat(&orphan.file).ok()?;
        let meta = fs::Meta::from_stat(&stat);
        if (meta.size, meta.mtime_ns) != (orphan.size, orphan.mtime_ns) {
            match self.adopt_late_write(locked, &orphan, meta.size) {
                Ok(()) => {
                    orphan.size = meta.size;
                    orphan.mtime_ns = meta.mtime_ns;
                }
                // Tried again at the next visit, while the watch lasts.
                Err(e) => {
                    tracing::warn!("{}: a late write could not be applied: {e}", orphan.path);
                }
            }
        }
        Some(orphan)
    }

    /// One orphan's late write: bytes past what was accounted for are appended to the file under
    /// its name; a file rewritten or cut shorter is kept in the history as the other program's.
    fn adopt_late_write(
        &self,
        locked: &mut Locked<'_>,
        orphan: &Orphan,
        size: u64,
    ) -> Result<(), StoreError> {
        let path = &orphan.path;
        // Grown: only what was added is read; otherwise the whole file, as the other version.
        let grown = size > orphan.size;
        let from = if grown { orphan.size } else { 0 };
        let mut late = vec![0; usize::try_from(size - from).unwrap_or(0)];
        orphan
            .file
            .read_exact_at(&mut late, from)
            .map_err(|e| StoreError::io(format!("cannot read what was written to {path}"), e))?;
        if !grown {
            return keep_late_rewrite(locked, path, &late, None);
        }
        let root = self.open_root()?;
        let dir = fs::walk(root.as_fd(), path, false, false)?;
        self.apply_late_append(locked, dir.as_fd(), path, &late)
    }

    /// Another program changed `path` after `current` was read: keep its version in the
    /// history (as `external`, so nothing it wrote is lost) before the write is redone.
    fn record_outside_change(
        &self,
        locked: &mut Locked<'_>,
        dir: BorrowedFd<'_>,
        path: &MemPath,
        current: &Current,
    ) -> Result<(), StoreError> {
        let name = path.name().unwrap_or_default();
        let outside = current_file(dir, name, path)?;
        let history = &mut locked.state.history;
        let keep = |e| StoreError::io("cannot keep the other program's version in the history", e);
        history
            .put_blob(&current.bytes, &current.version, true)
            .map_err(keep)?;
        if let Some(now) = &outside {
            history
                .put_blob(&now.bytes, &now.version, true)
                .map_err(keep)?;
        }
        let new = outside.as_ref().map(|o| o.version.clone());
        history
            .append(vec![external_entry(
                &path.to_string(),
                None,
                Some(current.version.clone()),
                new.clone(),
            )])
            .map_err(|e| StoreError::io("cannot append to the history log", e))?;
        match &outside {
            Some(now) => {
                locked.state.snapshot.insert(
                    path.to_string(),
                    Seen {
                        meta: now.meta,
                        version: new.clone(),
                    },
                );
            }
            None => {
                locked.state.snapshot.remove(&path.to_string());
            }
        }
        tracing::info!("{path} changed under a write; the other program's version is kept");
        self.emit(MemoryChange {
            path: path.to_string(),
            kind: if outside.is_some() {
                ChangeKind::Modified
            } else {
                ChangeKind::Deleted
            },
            actor: super::watch::EXTERNAL.to_owned(),
            version: new,
            is_dir: false,
        });
        Ok(())
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
        self.check_leases(&locked, &[(path, false)], ctx)?;
        let root = self.open_root()?;
        let name = path.name().unwrap_or_default();
        until_written(path, || {
            self.save_once(&mut locked, root.as_fd(), path, name, text, expect, ctx)
        })
    }

    /// One attempt of [`Inner::save`]; `None` when another program changed the file under it.
    #[allow(clippy::too_many_arguments)]
    fn save_once(
        &self,
        locked: &mut Locked<'_>,
        root: BorrowedFd<'_>,
        path: &MemPath,
        name: &str,
        text: &str,
        expect: &Expect,
        ctx: WriteCtx<'_>,
    ) -> Result<Option<Version>, StoreError> {
        // Check the precondition before creating any parent directory, so that a refused save
        // leaves nothing behind.
        let (dir, current) = match fs::walk(root, path, false, false) {
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
        if current.is_none() {
            refuse_case_twin(root, path, None)?;
        }
        // The parent exists, or is created only now that the save is accepted.
        let dir = match dir {
            Some(dir) => dir,
            None => fs::walk(root, path, false, true)?,
        };
        self.commit_write(
            locked,
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
        let mut locked = self.lock()?;
        self.check_leases(&locked, &[(path, false)], ctx)?;
        let root = self.open_root()?;
        let dir = fs::walk(root.as_fd(), path, false, false)?;
        // Another program changing the file under the edit: its change is kept, and the edit
        // is made again on the text as it now is.
        until_written(path, || {
            self.modify_once(&mut locked, dir.as_fd(), path, ctx, edit)
        })
    }

    /// One attempt of [`Inner::modify`]; `None` when another program changed the file under it.
    fn modify_once(
        &self,
        locked: &mut Locked<'_>,
        dir: BorrowedFd<'_>,
        path: &MemPath,
        ctx: WriteCtx<'_>,
        edit: &mut dyn FnMut(&str) -> Result<String, String>,
    ) -> Result<Option<FileText>, StoreError> {
        let limit = self.max_file_bytes;
        let name = path.name().unwrap_or_default();
        let (mut file, meta) = fs::open_regular(dir, name, path)?;
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
            meta,
        };
        let version =
            self.commit_write(locked, dir, path, Some(&current), new_text.as_bytes(), ctx)?;
        Ok(version.map(|version| FileText {
            text: new_text,
            version,
        }))
    }

    pub(super) fn delete(
        &self,
        path: &MemPath,
        ctx: WriteCtx<'_>,
    ) -> Result<Vec<String>, StoreError> {
        if path.is_root() {
            return Err(StoreError::Rejected(
                "Cannot delete the /memories directory itself".to_owned(),
            ));
        }
        let mut locked = self.lock()?;
        self.check_leases(&locked, &[(path, true)], ctx)?;
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
        // What no tool call could name stays: its bytes could never be restored.
        let base = path.to_string();
        let removable = |relative: &str| MemPath::parse(&format!("{base}/{relative}")).is_ok();
        let mut kept = Vec::new();
        let history = &mut locked.state.history;
        let entries = match meta.kind {
            Kind::File => {
                let files = files_of_single(dir.as_fd(), name, path, &meta)?;
                record_files(history, files, true, &|p, v| deleted(p, Some(v)))?
            }
            Kind::Dir => {
                let sub = fs::open_dir_at(dir.as_fd(), name)
                    .map_err(|e| StoreError::io(format!("cannot open {path}"), e))?;
                let files = removable_files(sub.as_fd(), path, &removable, &mut kept)?;
                let mut entries = vec![deleted(path.to_string(), None)];
                entries.extend(record_files(history, files, true, &|p, v| {
                    deleted(p, Some(v))
                })?);
                entries
            }
            // A link or a special file holds no memory: remove the name, record the removal.
            Kind::Symlink | Kind::Other => vec![deleted(path.to_string(), None)],
        };
        let intent = intend(&mut locked.state.history, entries, meta.kind == Kind::Dir)?;
        let removed = if meta.kind == Kind::Dir {
            fs::remove_except(dir.as_fd(), name.as_bytes(), &removable).map(|_| ())
        } else {
            fs::remove_tree(dir.as_fd(), name.as_bytes())
        };
        let removed = removed
            .map_err(|e| StoreError::io(format!("cannot delete {path}"), e))
            .and_then(|()| {
                fs::sync_dir(dir.as_fd())
                    .map_err(|e| StoreError::io("cannot sync the directory", e))
            });
        self.conclude(&mut locked, &intent, removed)?;
        let key = path.to_string();
        let below = format!("{key}/");
        let root_fd = root.as_fd();
        locked.state.snapshot.retain(|k, _| {
            (k != &key && !k.starts_with(&below))
                || (!kept.is_empty() && on_disk(root_fd, k).is_some())
        });
        self.emit(MemoryChange {
            path: key,
            kind: ChangeKind::Deleted,
            actor: ctx.actor.to_owned(),
            version: None,
            is_dir: meta.kind == Kind::Dir,
        });
        Ok(kept)
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
        self.check_leases(&locked, &[(from, true), (to, true)], ctx)?;
        let root = self.open_root()?;
        let (from_dir, meta) = rename_source(root.as_fd(), from, to)?;
        let from_name = from.name().unwrap_or_default();
        let files = if meta.kind == Kind::Dir {
            let sub = fs::open_dir_at(from_dir.as_fd(), from_name)
                .map_err(|e| StoreError::io(format!("cannot open {from}"), e))?;
            files_below(sub.as_fd(), from)?
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
        refuse_case_twin(root.as_fd(), to, Some(from))?;
        let to_dir = fs::walk(root.as_fd(), to, false, true)?;
        let intent = intend(&mut locked.state.history, entries, meta.kind == Kind::Dir)?;
        let to_name = to.name().unwrap_or_default();
        let sync = |d: BorrowedFd<'_>| {
            fs::sync_dir(d).map_err(|e| StoreError::io("cannot sync the directory", e))
        };
        let moved =
            match fs::rename_no_replace(from_dir.as_fd(), from_name, to_dir.as_fd(), to_name) {
                Ok(()) => sync(from_dir.as_fd()).and_then(|()| sync(to_dir.as_fd())),
                Err(Errno::EXIST | Errno::NOTEMPTY) => Err(StoreError::Exists(to.clone())),
                Err(Errno::INVAL) => Err(StoreError::IntoItself {
                    from: from.clone(),
                    to: to.clone(),
                }),
                Err(Errno::NOENT) => Err(StoreError::NotFound(from.clone())),
                Err(e) => Err(StoreError::io(format!("cannot rename {from} to {to}"), e)),
            };
        self.conclude(&mut locked, &intent, moved)?;
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
        self.check_leases(&locked, &[(path, false)], ctx)?;
        let root = self.open_root()?;
        // A file there as spelled passes; only a new name is compared with its siblings.
        refuse_case_twin(root.as_fd(), path, None)?;
        let dir = fs::walk(root.as_fd(), path, false, true)?;
        until_written(path, || {
            self.restore_once(&mut locked, dir.as_fd(), path, version, ctx)
        })
    }

    /// One attempt of [`Inner::restore`]; `None` when another program changed the file.
    fn restore_once(
        &self,
        locked: &mut Locked<'_>,
        dir: BorrowedFd<'_>,
        path: &MemPath,
        version: Option<&str>,
        ctx: WriteCtx<'_>,
    ) -> Result<Option<Version>, StoreError> {
        let name = path.name().unwrap_or_default();
        let current = current_file(dir, name, path)?;
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
        self.commit_write(locked, dir, path, current.as_ref(), &bytes, ctx)
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
        self.check_leases(&locked, &[(folder, true)], ctx)?;
        let root = self.open_root()?;
        // Everything is checked before anything is written.
        check_inside(folder, files)?;
        let mut todo = Vec::new();
        for (path, version) in files {
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
            refuse_case_twin(root.as_fd(), path, None)?;
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
        let intent = intend(&mut locked.state.history, entries, true)?;
        let mut written = Vec::new();
        let mut outcome = Ok(());
        for (path, _, bytes) in &todo {
            let dir = match fs::walk(root.as_fd(), path, false, true) {
                Ok(dir) => dir,
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            };
            let name = path.name().unwrap_or_default();
            match fs::write_atomic(dir.as_fd(), name, bytes, fs::FILE_MODE, true, &mut || true) {
                Ok(_) => written.push(fs::meta_at(dir.as_fd(), name).ok().flatten()),
                Err(e) if e.raw_os_error() == Some(Errno::EXIST.raw_os_error()) => {
                    outcome = Err(StoreError::Exists((*path).clone()));
                    break;
                }
                Err(e) => {
                    outcome = Err(StoreError::io(format!("cannot write {path}"), e));
                    break;
                }
            }
        }
        // The files written before a failure are kept (and recorded): each is whole.
        let concluded = self.conclude(&mut locked, &intent, outcome);
        for ((path, version, _), meta) in todo.iter().zip(written) {
            if let Some(meta) = meta {
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
        concluded?;
        Ok(todo.len())
    }

    /// Several files written or removed as one operation (see
    /// [`MemoryStore::apply_batch`](crate::memory::MemoryStore::apply_batch)): every
    /// precondition checked under the lock, then the history's group (the whole store's entry,
    /// then one per file), then the files. A failure midway keeps the files already written
    /// (each is whole) and their entries; the rest are dropped when the intent settles.
    pub(super) fn apply_batch(
        &self,
        ops: &[crate::memory::BatchOp],
        ctx: WriteCtx<'_>,
    ) -> Result<(), StoreError> {
        for op in ops {
            if op.path.is_root() {
                return Err(StoreError::IsDir(op.path.clone()));
            }
            if let Some(text) = &op.text {
                within_limit(&op.path, text, self.max_file_bytes)?;
            }
        }
        if ops.is_empty() {
            return Ok(());
        }
        let mut locked = self.lock()?;
        let paths: Vec<(&MemPath, bool)> = ops.iter().map(|op| (&op.path, false)).collect();
        self.check_leases(&locked, &paths, ctx)?;
        let root = self.open_root()?;
        let todo = batch_checked(root.as_fd(), ops)?;
        let intent = batch_intent(&mut locked.state.history, &todo, ctx)?;
        let mut done = Vec::new();
        let mut outcome = Ok(());
        for (op, current) in &todo {
            match batch_step(root.as_fd(), op, current.as_ref()) {
                Ok(meta) => done.push((*op, current.is_some(), meta)),
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
        }
        let concluded = self.conclude(&mut locked, &intent, outcome);
        for (op, existed, meta) in done {
            let key = op.path.to_string();
            let version = op.text.as_ref().map(|t| Version::of(t.as_bytes()));
            match meta {
                Some(meta) => {
                    let seen = Seen {
                        meta,
                        version: version.clone(),
                    };
                    locked.state.snapshot.insert(key.clone(), seen);
                }
                None => {
                    locked.state.snapshot.remove(&key);
                }
            }
            let kind = match (&op.text, existed) {
                (None, _) => ChangeKind::Deleted,
                (Some(_), true) => ChangeKind::Modified,
                (Some(_), false) => ChangeKind::Created,
            };
            self.emit(MemoryChange {
                path: key,
                kind,
                actor: ctx.actor.to_owned(),
                version,
                is_dir: false,
            });
        }
        concluded
    }

    /// After a change's intent and its attempt: confirm every entry when it succeeded; when it
    /// failed, settle each against the disk (part of a folder may have changed) and return the
    /// failure.
    pub(super) fn conclude(
        &self,
        locked: &mut Locked<'_>,
        intent: &[HistoryEntry],
        outcome: Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        match outcome {
            Ok(()) => locked
                .state
                .history
                .conclude(intent.iter().map(|e| e.seq).collect(), Vec::new())
                .map_err(|e| StoreError::io("cannot append to the history log", e)),
            Err(failure) => {
                if let Err(e) = self.settle(locked) {
                    tracing::warn!("cannot settle the history after a failed change: {e}");
                }
                Err(failure)
            }
        }
    }

    /// Settle every intent left unconfirmed (a failed change, or a process killed midway):
    /// confirm the entries whose change is on disk, drop the rest.
    pub(super) fn settle(&self, locked: &mut Locked<'_>) -> Result<(), StoreError> {
        let dangling = locked.state.history.dangling().to_vec();
        if dangling.is_empty() {
            return Ok(());
        }
        let root = self.open_root()?;
        let (mut done, mut dropped) = (Vec::new(), Vec::new());
        for entry in &dangling {
            if happened(root.as_fd(), entry) {
                done.push(entry.seq);
            } else {
                dropped.push(entry.seq);
            }
        }
        tracing::info!(
            "settled {} unconfirmed history entries: {} happened, {} did not",
            dangling.len(),
            done.len(),
            dropped.len()
        );
        locked
            .state
            .history
            .conclude(done, dropped)
            .map_err(|e| StoreError::io("cannot append to the history log", e))
    }
}

/// A batch's files as they are now, every precondition checked (nothing is written yet).
fn batch_checked<'a>(
    root: BorrowedFd<'_>,
    ops: &'a [crate::memory::BatchOp],
) -> Result<Vec<(&'a crate::memory::BatchOp, Option<Current>)>, StoreError> {
    let mut todo = Vec::with_capacity(ops.len());
    for op in ops {
        let name = op.path.name().unwrap_or_default();
        let current = match fs::walk(root, &op.path, false, false) {
            Ok(dir) => current_file(dir.as_fd(), name, &op.path)?,
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        match (&op.expect, &current) {
            (Expect::Absent, Some(_)) => return Err(StoreError::Exists(op.path.clone())),
            (Expect::Version(wanted), cur) if cur.as_ref().map(|c| &c.version) != Some(wanted) => {
                return Err(StoreError::Conflict {
                    path: op.path.clone(),
                    current: cur.as_ref().map(|c| c.version.clone()),
                });
            }
            _ => {}
        }
        if op.text.is_none() && current.is_none() {
            return Err(StoreError::NotFound(op.path.clone()));
        }
        if current.is_none() {
            refuse_case_twin(root, &op.path, None)?;
        }
        todo.push((op, current));
    }
    Ok(todo)
}

/// A batch's history: the versions it replaces kept (synced), its new ones queued, and its
/// entries (the whole store's, then one per file) appended as one group's intent.
fn batch_intent(
    history: &mut History,
    todo: &[(&crate::memory::BatchOp, Option<Current>)],
    ctx: WriteCtx<'_>,
) -> Result<Vec<HistoryEntry>, StoreError> {
    let keep = |e| StoreError::io("cannot keep the previous version in the history", e);
    let entry = |path: String, old: Option<Version>, new: Option<Version>| NewEntry {
        actor: ctx.actor.to_owned(),
        op: ctx.op.to_owned(),
        path,
        new_path: None,
        old,
        new,
    };
    let mut entries = vec![entry(MemPath::root().to_string(), None, None)];
    for (op, current) in todo {
        if let Some(cur) = current {
            history
                .put_blob(&cur.bytes, &cur.version, false)
                .map_err(keep)?;
        }
        let new = op.text.as_ref().map(|t| Version::of(t.as_bytes()));
        if let (Some(text), Some(version)) = (&op.text, &new) {
            history.defer_blob(text.as_bytes().to_vec(), version);
        }
        let old = current.as_ref().map(|c| c.version.clone());
        entries.push(entry(op.path.to_string(), old, new));
    }
    history.sync_pack().map_err(keep)?;
    intend(history, entries, true)
}

/// One file of a batch written (its metadata after) or removed (`None`).
fn batch_step(
    root: BorrowedFd<'_>,
    op: &crate::memory::BatchOp,
    current: Option<&Current>,
) -> Result<Option<Meta>, StoreError> {
    let name = op.path.name().unwrap_or_default();
    let Some(text) = &op.text else {
        let dir = fs::walk(root, &op.path, false, false)?;
        fs::remove_tree(dir.as_fd(), name.as_bytes())
            .and_then(|()| fs::sync_dir(dir.as_fd()))
            .map_err(|e| StoreError::io(format!("cannot delete {}", op.path), e))?;
        return Ok(None);
    };
    let dir = fs::walk(root, &op.path, false, true)?;
    let mode = current.map_or(fs::FILE_MODE, |c| c.meta.mode);
    fs::write_atomic(
        dir.as_fd(),
        name,
        text.as_bytes(),
        mode,
        current.is_none(),
        &mut || true,
    )
    .map_err(|e| StoreError::io(format!("cannot write {}", op.path), e))?;
    Ok(fs::meta_at(dir.as_fd(), name).ok().flatten())
}

/// Append a change's intent (a folder operation's as one group).
fn intend(
    history: &mut History,
    entries: Vec<NewEntry>,
    group: bool,
) -> Result<Vec<HistoryEntry>, StoreError> {
    let appended = if group {
        history.intend_group(entries)
    } else {
        history.intend(entries)
    };
    appended.map_err(|e| StoreError::io("cannot append to the history log", e))
}

/// What is at `path` on disk now: `None` when nothing (or it cannot be reached), else whether
/// it is a file and, when it is one small enough to keep, its version.
fn on_disk(root: BorrowedFd<'_>, path: &str) -> Option<(Kind, Option<Version>)> {
    let path = MemPath::parse(path).ok()?;
    let name = path.name()?;
    let dir = fs::walk(root, &path, false, false).ok()?;
    let meta = fs::meta_at(dir.as_fd(), name).ok()??;
    let version = if meta.kind == Kind::File {
        current_file(dir.as_fd(), name, &path)
            .ok()
            .flatten()
            .map(|c| c.version)
    } else {
        None
    };
    Some((meta.kind, version))
}

/// Whether the change an unconfirmed entry describes is what the disk shows.
fn happened(root: BorrowedFd<'_>, entry: &HistoryEntry) -> bool {
    let here = |p: &str| on_disk(root, p);
    match (&entry.new_path, &entry.new) {
        (Some(to), _) => here(&entry.path).is_none() && here(to).is_some(),
        (None, Some(version)) => {
            here(&entry.path).is_some_and(|(_, v)| v.as_ref() == Some(version))
        }
        // A folder brought back: it is there again.
        (None, None) if entry.group == Some(entry.seq) && entry.op == "restore" => {
            here(&entry.path).is_some()
        }
        // The head of a batch (the whole store's entry): its files' entries say what happened.
        (None, None) if entry.group == Some(entry.seq) && entry.path == "/memories" => true,
        (None, None) => here(&entry.path).is_none(),
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
        meta,
    }))
}

/// Every regular file below `dir` that memdeck lists (hidden ones and editor leftovers left
/// out) with its content, for the history of a directory rename. Files too large to keep make
/// the whole operation fail.
fn files_below(dir: BorrowedFd<'_>, base: &MemPath) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    let mut found = Vec::new();
    let mut files = Vec::new();
    let mut failure = None;
    let mut on_file = |d: BorrowedFd<'_>, name: &[u8], f: &fs::Found| {
        if failure.is_some() {
            return;
        }
        let path = format!("{base}/{}", f.relative);
        match read_for_history(d, name, &path, &f.meta) {
            Ok(bytes) => files.push((path, bytes)),
            Err(e) => failure = Some(e),
        }
    };
    fs::walk_all(dir, &mut found, &mut on_file)
        .map_err(|e| StoreError::io(format!("cannot read the directory {base}"), e))?;
    match failure {
        Some(e) => Err(e),
        None => Ok(files),
    }
}

/// Every regular file below `dir` (the folder `base`) that `removable` accepts, with its
/// content, for the history of a delete; what it spares is added to `kept`. Files too large to
/// keep make the delete fail.
fn removable_files(
    dir: BorrowedFd<'_>,
    base: &MemPath,
    removable: &dyn Fn(&str) -> bool,
    kept: &mut Vec<String>,
) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    let mut files = Vec::new();
    let mut failure = None;
    let mut visit = |d: BorrowedFd<'_>, name: &[u8], relative: &str, meta: &Meta| {
        if failure.is_some() || meta.kind != Kind::File {
            return;
        }
        let path = format!("{base}/{relative}");
        match read_for_history(d, name, &path, meta) {
            Ok(bytes) => files.push((path, bytes)),
            Err(e) => failure = Some(e),
        }
    };
    fs::walk_removable(dir, "", removable, &mut visit, kept)
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
    let path = path.to_string();
    let bytes = read_for_history(dir, name.as_bytes(), &path, meta)?;
    Ok(vec![(path, bytes)])
}

/// The bytes of a file about to be deleted or moved, for the history; one too large to keep
/// there is refused (the operation with it).
fn read_for_history(
    dir: BorrowedFd<'_>,
    name: &[u8],
    path: &str,
    meta: &Meta,
) -> Result<Vec<u8>, StoreError> {
    if meta.size > HISTORY_BLOB_MAX {
        return Err(StoreError::Rejected(format!(
            "{path} is {} bytes, too large to keep in the history; move it out of the memory \
             directory first",
            meta.size
        )));
    }
    let mut bytes = Vec::new();
    fs::open_raw_regular(dir, name)
        .and_then(|(mut file, _)| file.read_to_end(&mut bytes))
        .map_err(|e| StoreError::io(format!("cannot read {path}"), e))?;
    Ok(bytes)
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
