//! Seeing changes that people and other programs make to the memory directory.
//!
//! Events from `notify` are only a hint that something changed: after a burst of events settles
//! (or a short maximum delay) the whole tree is rescanned and compared with what this process
//! last saw. That one mechanism covers editors that save by rename, event storms, and queue
//! overflows alike. Files whose size, inode and times are unchanged are not read again. Our own
//! writes update the snapshot under the store lock, so they never come back as external changes.
//! When the system watcher cannot start, the tree is polled instead.

use std::collections::HashMap;
use std::io::Read;
use std::os::fd::AsFd;
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Weak};
use std::thread;
use std::time::{Duration, Instant};

use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use super::fs::{self, Kind};
use super::log::NewEntry;
use super::{HISTORY_BLOB_MAX, Inner, Seen};
use crate::memory::{ChangeKind, MemoryChange, StoreError, Version};

/// Wait this long after the last event before rescanning.
const QUIET: Duration = Duration::from_millis(50);
/// Rescan at the latest this long after the first event of a burst.
const MAX_DELAY: Duration = Duration::from_millis(250);
/// How often to rescan when there is no system watcher.
const POLL_EVERY: Duration = Duration::from_secs(1);

/// The actor named on changes the watcher sees.
pub const EXTERNAL: &str = "external";

/// How changes are noticed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchMode {
    /// The system's file events (inotify on Linux).
    Events,
    /// A rescan every second, because the system watcher could not start.
    Polling,
}

/// Keeps the watcher thread alive; dropping it stops the thread.
pub struct WatchHandle {
    mode: WatchMode,
    _watcher: Option<RecommendedWatcher>,
    _stop: Option<mpsc::Sender<()>>,
}

impl WatchHandle {
    pub fn mode(&self) -> WatchMode {
        self.mode
    }
}

pub fn start(inner: &Arc<Inner>) -> Result<WatchHandle, StoreError> {
    // The first scan records what is there (and what changed while memdeck was not running).
    inner.rescan(false)?;
    let weak = Arc::downgrade(inner);
    let root = inner.root.clone();
    let (tx, rx) = mpsc::channel::<notify::Result<notify::Event>>();
    let history = inner.leases_path.parent().map(Path::to_path_buf);
    let watcher = notify::recommended_watcher(move |event| {
        let _ = tx.send(event);
    })
    .and_then(|mut w| w.watch(&root, RecursiveMode::Recursive).map(|()| w))
    .map(|mut w| {
        // The lease table beside the history: other processes' grants and releases. Without it
        // leases still work; waiters then learn of others' releases when the lease runs out.
        if let Some(dir) = &history
            && let Err(e) = w.watch(dir, RecursiveMode::NonRecursive)
        {
            tracing::warn!(error = %e, "cannot watch the lease table");
        }
        w
    });
    if let Ok(watcher) = watcher {
        let root = inner.root.clone();
        thread::Builder::new()
            .name("memdeck-watch".into())
            .spawn(move || event_loop(&weak, &root, &rx))
            .map_err(|e| StoreError::io("cannot start the watcher thread", e))?;
        Ok(WatchHandle {
            mode: WatchMode::Events,
            _watcher: Some(watcher),
            _stop: None,
        })
    } else {
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        thread::Builder::new()
            .name("memdeck-poll".into())
            .spawn(move || poll_loop(&weak, &stop_rx))
            .map_err(|e| StoreError::io("cannot start the polling thread", e))?;
        Ok(WatchHandle {
            mode: WatchMode::Polling,
            _watcher: None,
            _stop: Some(stop_tx),
        })
    }
}

fn event_loop(
    inner: &Weak<Inner>,
    root: &Path,
    rx: &mpsc::Receiver<notify::Result<notify::Event>>,
) {
    while let Ok(first) = rx.recv() {
        // Leases granted or given back are told at once (someone may be waiting), not after
        // the burst settles.
        let leases_now = |event: &notify::Result<notify::Event>| {
            if lease_table_event(event)
                && let Some(inner) = inner.upgrade()
            {
                inner.leases_changed();
            }
        };
        leases_now(&first);
        let mut wanted = !beside(root, &first) && matters(root, &first);
        let deadline = Instant::now() + MAX_DELAY;
        loop {
            let wait = QUIET.min(deadline.saturating_duration_since(Instant::now()));
            match rx.recv_timeout(wait) {
                Ok(event) => {
                    leases_now(&event);
                    wanted |= !beside(root, &event) && matters(root, &event);
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
            if Instant::now() >= deadline {
                break;
            }
        }
        if wanted {
            let Some(inner) = inner.upgrade() else { return };
            // A failed rescan is retried by the next event; nothing to report it to here.
            let _ = inner.rescan(true);
        }
    }
}

fn poll_loop(inner: &Weak<Inner>, stop: &mpsc::Receiver<()>) {
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(POLL_EVERY) {
        let Some(inner) = inner.upgrade() else { return };
        inner.leases_changed();
        let _ = inner.rescan(true);
    }
}

/// Whether an event is about files outside the memory directory only (the history directory,
/// watched for its lease table).
fn beside(root: &Path, event: &notify::Result<notify::Event>) -> bool {
    event.as_ref().is_ok_and(|event| {
        !event.paths.is_empty() && event.paths.iter().all(|p| !p.starts_with(root))
    })
}

/// Whether an event touched the lease table.
fn lease_table_event(event: &notify::Result<notify::Event>) -> bool {
    event.as_ref().is_ok_and(|event| {
        !matches!(event.kind, notify::EventKind::Access(_))
            && event.paths.iter().any(|p| super::leases::is_events(p))
    })
}

/// Whether an event can concern a visible memory file: errors and overflows always do; events
/// on hidden names (our temp files among them) do not.
fn matters(root: &Path, event: &notify::Result<notify::Event>) -> bool {
    let Ok(event) = event else { return true };
    // Opening or reading changes nothing, and the rescan itself opens the directories: taking
    // those as changes would rescan forever.
    if matches!(event.kind, notify::EventKind::Access(_)) {
        return false;
    }
    if event.need_rescan() || event.paths.is_empty() {
        return true;
    }
    event.paths.iter().any(|p| {
        p.strip_prefix(root).map_or(true, |rel| {
            !rel.components()
                .any(|c| crate::memory::path::is_unlisted_name(c.as_os_str().as_encoded_bytes()))
        })
    })
}

/// A file or directory found by a rescan, with the bytes of files that changed.
struct Scanned {
    seen: Seen,
    bytes: Option<Vec<u8>>,
}

impl Inner {
    /// Compare the tree with the snapshot; record and (with `emit`) broadcast the differences.
    pub(super) fn rescan(&self, emit: bool) -> Result<(), StoreError> {
        let mut locked = self.lock()?;
        let root = self.open_root()?;
        let now = scan(root.as_fd(), &locked.state.snapshot)?;
        let changes = diff(&locked.state.snapshot, &now, emit);
        let history = &mut locked.state.history;
        let mut entries = entries_for(history, &changes, &now)?;
        if !emit {
            // Files recorded in the history that vanished while memdeck was not running.
            for (path, version) in history_paths_missing(history, &now) {
                entries.push(external_entry(&path, None, Some(version), None));
            }
        }
        locked
            .state
            .history
            .append(entries)
            .map_err(|e| StoreError::io("cannot append to the history log", e))?;
        locked.state.snapshot = now.into_iter().map(|(k, s)| (k, s.seen)).collect();
        drop(locked);
        if emit {
            for change in changes {
                self.emit(change);
            }
        }
        Ok(())
    }
}

/// An entry for a change another program made.
pub(super) fn external_entry(
    path: &str,
    new_path: Option<&str>,
    old: Option<Version>,
    new: Option<Version>,
) -> NewEntry {
    NewEntry {
        actor: EXTERNAL.to_owned(),
        op: EXTERNAL.to_owned(),
        path: path.to_owned(),
        new_path: new_path.map(str::to_owned),
        old,
        new,
    }
}

fn history_paths_missing(
    history: &super::log::History,
    now: &HashMap<String, Scanned>,
) -> Vec<(String, Version)> {
    let mut missing: Vec<(String, Version)> = history
        .recorded_paths()
        .filter(|(path, _)| !now.contains_key(*path))
        .filter(|(path, _)| crate::memory::MemPath::parse(path).is_ok())
        .map(|(path, v)| (path.to_owned(), v.clone()))
        .collect();
    missing.sort();
    missing
}

/// Hash a file; keep its bytes when small enough for the history.
fn hash_file(
    dir: std::os::fd::BorrowedFd<'_>,
    name: &[u8],
    size: u64,
) -> (Option<Version>, Option<Vec<u8>>) {
    let Ok((mut file, _)) = fs::open_raw_regular(dir, name) else {
        return (None, None);
    };
    if size <= HISTORY_BLOB_MAX {
        let mut bytes = Vec::new();
        if file.read_to_end(&mut bytes).is_err() {
            return (None, None);
        }
        (Some(Version::of(&bytes)), Some(bytes))
    } else {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        let mut buf = vec![0; 1 << 16];
        loop {
            match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => hasher.update(&buf[..n]),
                Err(_) => return (None, None),
            }
        }
        (
            Some(Version::from_hex(crate::memory::hex(&hasher.finalize()))),
            None,
        )
    }
}

/// The changes between two scans, renames paired by inode.
fn diff(
    before: &HashMap<String, Seen>,
    now: &HashMap<String, Scanned>,
    pair_renames: bool,
) -> Vec<MemoryChange> {
    let change = |path: &str, kind: ChangeKind, seen: &Seen| MemoryChange {
        path: path.to_owned(),
        kind,
        actor: EXTERNAL.to_owned(),
        version: seen.version.clone(),
        is_dir: seen.meta.kind == Kind::Dir,
    };
    let mut created: Vec<(&String, &Seen)> = Vec::new();
    let mut changes = Vec::new();
    for (path, scanned) in now {
        let seen = &scanned.seen;
        match before.get(path) {
            None => created.push((path, seen)),
            Some(old) if old.meta.kind != seen.meta.kind => {
                changes.push(change(path, ChangeKind::Created, seen));
            }
            Some(old) if seen.meta.kind == Kind::File && old.version != seen.version => {
                changes.push(change(path, ChangeKind::Modified, seen));
            }
            Some(_) => {}
        }
    }
    let mut deleted: Vec<(&String, &Seen)> = before
        .iter()
        .filter(|(p, _)| !now.contains_key(*p))
        .collect();
    deleted.sort_by(|a, b| a.0.cmp(b.0));
    created.sort_by(|a, b| a.0.cmp(b.0));
    for (path, seen) in created {
        let partner = pair_renames
            .then(|| {
                deleted.iter().position(|(_, old)| {
                    old.meta.ino == seen.meta.ino
                        && old.meta.dev == seen.meta.dev
                        && old.meta.kind == seen.meta.kind
                })
            })
            .flatten();
        match partner {
            Some(i) => {
                let (from, _) = deleted.remove(i);
                changes.push(change(
                    path,
                    ChangeKind::Renamed { from: from.clone() },
                    seen,
                ));
            }
            None => changes.push(change(path, ChangeKind::Created, seen)),
        }
    }
    for (path, seen) in deleted {
        let mut gone = change(path, ChangeKind::Deleted, seen);
        gone.version = None;
        changes.push(gone);
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    changes
}

/// Every visible file and directory now, reusing the snapshot's hashes for unchanged files.
fn scan(
    root: std::os::fd::BorrowedFd<'_>,
    snapshot: &HashMap<String, Seen>,
) -> Result<HashMap<String, Scanned>, StoreError> {
    let mut now: HashMap<String, Scanned> = HashMap::new();
    let mut found = Vec::new();
    let mut on_file = |dir: std::os::fd::BorrowedFd<'_>, name: &[u8], f: &fs::Found| {
        let key = format!("/memories/{}", f.relative);
        let known = snapshot
            .get(&key)
            .filter(|s| s.same_as(&f.meta) && s.version.is_some());
        let scanned = if let Some(seen) = known {
            Scanned {
                seen: seen.clone(),
                bytes: None,
            }
        } else {
            let (version, bytes) = hash_file(dir, name, f.meta.size);
            Scanned {
                seen: Seen {
                    meta: f.meta,
                    version,
                },
                bytes,
            }
        };
        now.insert(key, scanned);
    };
    // A folder that cannot be read fails the scan: leaving it out would look like its files
    // were deleted.
    fs::walk_all(root, &mut found, &mut on_file)
        .map_err(|e| StoreError::io("cannot scan the memory directory", e))?;
    for f in found.iter().filter(|f| f.meta.kind == Kind::Dir) {
        now.insert(
            format!("/memories/{}", f.relative),
            Scanned {
                seen: Seen {
                    meta: f.meta,
                    version: None,
                },
                bytes: None,
            },
        );
    }
    Ok(now)
}

/// History entries for changes the history does not know yet (another memdeck process may
/// have recorded them already).
fn entries_for(
    history: &mut super::log::History,
    changes: &[MemoryChange],
    now: &HashMap<String, Scanned>,
) -> Result<Vec<NewEntry>, StoreError> {
    let mut entries = Vec::new();
    for change in changes {
        if change.is_dir {
            continue;
        }
        let recorded = history.last_version(&change.path).cloned().flatten();
        match &change.kind {
            ChangeKind::Created | ChangeKind::Modified => {
                if recorded.is_some() && recorded == change.version {
                    continue;
                }
                if let (Some(v), Some(bytes)) = (
                    &change.version,
                    now.get(&change.path).and_then(|s| s.bytes.as_ref()),
                ) {
                    history
                        .put_blob(bytes, v, false)
                        .map_err(|e| StoreError::io("cannot keep a copy in the history", e))?;
                }
                entries.push(external_entry(
                    &change.path,
                    None,
                    recorded,
                    change.version.clone(),
                ));
            }
            ChangeKind::Deleted => {
                if recorded.is_some() {
                    entries.push(external_entry(&change.path, None, recorded, None));
                }
            }
            ChangeKind::Renamed { from } => {
                let before = history.last_version(from).cloned().flatten();
                if recorded != change.version || before.is_some() {
                    entries.push(external_entry(
                        from,
                        Some(&change.path),
                        before,
                        change.version.clone(),
                    ));
                }
            }
        }
    }
    Ok(entries)
}
