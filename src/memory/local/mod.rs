//! The local-directory backend: `/memories/...` lives in a directory on this machine.
//!
//! Every mutation runs under one lock: a mutex for the tabs of this process plus an advisory
//! `flock` on the history directory's `lock` file for other memdeck processes. Under it, a
//! mutation stores the replaced content if the history lacks it (synced at once: it may exist
//! nowhere else), appends its history entry as an intent, writes the memory file atomically
//! (temp file, fsync, rename, fsync of the directory), confirms the intent, and broadcasts one
//! [`MemoryChange`]. The log lines and memdeck's own versions are synced by the flusher about
//! 100 ms later (a killed process loses none of them; an intent left unconfirmed is settled
//! against the disk at the next lock). Reads take no lock: renames make every file either
//! wholly old or wholly new.

mod fs;
mod leases;
mod log;
mod migrate;
mod pack;
mod watch;
mod write;

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak, mpsc};
use std::time::{Duration, SystemTime};

use tokio::sync::broadcast;

use self::fs::{Kind, Meta};
use self::log::History;
pub use self::log::Retention;
pub use self::watch::WatchMode;
use super::{
    Entry, Expect, FileText, Grant, HistoryEntry, Lease, LeaseEvent, Listing, MemPath,
    MemoryChange, MemoryStore, NodeKind, StoreError, Version, WriteCtx,
};

/// Files larger than this are not copied into the history (a person may drop anything in the
/// directory); deleting one is refused rather than losing it.
const HISTORY_BLOB_MAX: u64 = 64 * 1024 * 1024;
/// How long after a change its history is synced (changes in between are synced together).
const FLUSH_DELAY: Duration = Duration::from_millis(100);
/// Changes buffered per subscriber; one that falls further behind gets `Lagged` and reloads.
const CHANGE_BUFFER: usize = 4096;
/// Stores opened by this process so far: each has its own name in the lease events file.
static INSTANCES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
/// Temp files of ours older than this are left over from a crash and removed at start-up.
const STALE_TEMP_AGE: Duration = Duration::from_secs(600);

/// Where and how the local store keeps its files.
#[derive(Clone, Debug)]
pub struct LocalOptions {
    /// The memory directory, what the model sees as `/memories`.
    pub dir: PathBuf,
    /// Where history lives; by default `.<name>-history` beside the memory directory.
    pub history_dir: Option<PathBuf>,
    pub max_file_bytes: u64,
    pub retention: Retention,
}

impl LocalOptions {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            history_dir: None,
            max_file_bytes: super::DEFAULT_MAX_FILE_BYTES,
            retention: Retention::default(),
        }
    }
}

/// The local-directory memory store.
pub struct LocalStore {
    inner: Arc<Inner>,
    watcher: Mutex<Option<watch::WatchHandle>>,
}

pub(super) struct Inner {
    pub(super) root: PathBuf,
    max_file_bytes: u64,
    state: Mutex<State>,
    lock_file: File,
    changes: broadcast::Sender<MemoryChange>,
    /// The lease table's file (see `leases.rs`), this machine's name for the leases it grants,
    /// their announcements, and the table as last announced.
    pub(super) leases_path: PathBuf,
    host: String,
    lease_events: broadcast::Sender<LeaseEvent>,
    /// Who this store is in the events file, and how far this store has read it.
    instance: String,
    lease_offset: Mutex<u64>,
    /// Wakes the history flusher after a change wrote history without syncing it.
    flush: mpsc::Sender<()>,
}

pub(super) struct State {
    pub(super) history: History,
    /// What this process last saw of each path, keyed by virtual path: lets the watcher tell
    /// our own writes from other people's and skip hashing unchanged files.
    pub(super) snapshot: HashMap<String, Seen>,
    /// Files our writes replaced lately, held open: another program that opened one just before
    /// the replace may write to it after, and what it writes is applied again (see
    /// `write::Orphan`).
    orphans: Vec<write::Orphan>,
}

/// One path as last seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Seen {
    pub(super) meta: Meta,
    pub(super) version: Option<Version>,
}

impl Seen {
    /// Whether `meta` describes the same bytes as when this was recorded.
    pub(super) fn same_as(&self, meta: &Meta) -> bool {
        let m = &self.meta;
        m.kind == meta.kind
            && m.size == meta.size
            && m.ino == meta.ino
            && m.mtime_ns == meta.mtime_ns
            && m.ctime_ns == meta.ctime_ns
    }
}

/// The store lock: the in-process mutex and the cross-process `flock`, released together.
pub(super) struct Locked<'a> {
    pub(super) state: MutexGuard<'a, State>,
    file: &'a File,
    flush: &'a mpsc::Sender<()>,
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        let _ = self.file.unlock();
        // The flusher also comes back for the replaced files still watched.
        if self.state.history.has_unsynced() || !self.state.orphans.is_empty() {
            let _ = self.flush.send(());
        }
    }
}

/// Sync the history shortly after changes, coalescing bursts, so that a change waits only for
/// its own memory file's sync.
fn flusher(inner: &Weak<Inner>, wake: &mpsc::Receiver<()>) {
    while wake.recv().is_ok() {
        std::thread::sleep(FLUSH_DELAY);
        while wake.try_recv().is_ok() {}
        let Some(inner) = inner.upgrade() else { return };
        inner.flush_history();
    }
}

impl LocalStore {
    /// Open (creating when missing) the memory directory and its history.
    pub fn open(options: &LocalOptions) -> Result<Self, StoreError> {
        fs::create_dir_all(&options.dir).map_err(|e| {
            StoreError::io(
                format!(
                    "cannot create the memory directory {}",
                    options.dir.display()
                ),
                e,
            )
        })?;
        let root = options.dir.canonicalize().map_err(|e| {
            StoreError::io(
                format!("cannot open the memory directory {}", options.dir.display()),
                e,
            )
        })?;
        let history_dir = match &options.history_dir {
            Some(dir) => dir.clone(),
            None => default_history_dir(&root),
        };
        check_history_outside(&root, &history_dir)?;
        let history = History::open(&history_dir, options.retention).map_err(|e| {
            StoreError::io(
                format!("cannot open the history in {}", history_dir.display()),
                e,
            )
        })?;
        let lock_path = history_dir.join("lock");
        let lock_file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&lock_path)
            .map_err(|e| StoreError::io(format!("cannot open {}", lock_path.display()), e))?;
        remove_stale_temps(&root, STALE_TEMP_AGE);
        let (changes, _) = broadcast::channel(CHANGE_BUFFER);
        let (flush, wake) = mpsc::channel();
        let inner = Arc::new(Inner {
            root,
            max_file_bytes: options.max_file_bytes,
            state: Mutex::new(State {
                history,
                snapshot: HashMap::new(),
                orphans: Vec::new(),
            }),
            lock_file,
            changes,
            lease_offset: Mutex::new(Inner::lease_events_end(&history_dir.join(leases::FILE))),
            leases_path: history_dir.join(leases::FILE),
            host: super::redis::hostname(),
            lease_events: broadcast::channel(CHANGE_BUFFER).0,
            instance: format!(
                "{}-{}",
                std::process::id(),
                INSTANCES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            ),
            flush,
        });
        let weak = Arc::downgrade(&inner);
        std::thread::Builder::new()
            .name("memdeck-history".into())
            .spawn(move || flusher(&weak, &wake))
            .map_err(|e| StoreError::io("cannot start the history thread", e))?;
        Ok(Self {
            inner,
            watcher: Mutex::new(None),
        })
    }

    /// The memory directory, canonical.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// Start watching the directory for changes made by people and other programs; they are
    /// recorded in the history and broadcast with actor `external`. Falls back to polling when
    /// the system's watcher cannot start. Calling it again does nothing.
    pub fn watch(&self) -> Result<watch::WatchMode, StoreError> {
        let mut slot = self.watcher.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(handle) = slot.as_ref() {
            return Ok(handle.mode());
        }
        let handle = watch::start(&self.inner)?;
        let mode = handle.mode();
        *slot = Some(handle);
        Ok(mode)
    }
}

impl Drop for LocalStore {
    fn drop(&mut self) {
        // Stop watching first, then make the history durable before the process may exit.
        self.watcher
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        self.inner.flush_history();
    }
}

fn default_history_dir(root: &Path) -> PathBuf {
    let name = root
        .file_name()
        .map_or_else(|| "memories".into(), |n| n.to_string_lossy().into_owned());
    match root.parent() {
        Some(parent) => parent.join(format!(".{name}-history")),
        None => root.join(".memdeck-history"),
    }
}

/// The history must not be visible to the model: outside the memory directory, or under a
/// hidden name inside it.
fn check_history_outside(root: &Path, history: &Path) -> Result<(), StoreError> {
    let absolute = if history.is_absolute() {
        history.to_owned()
    } else {
        std::env::current_dir()
            .map_err(|e| StoreError::io("cannot find the current directory", e))?
            .join(history)
    };
    if let Ok(inside) = absolute.strip_prefix(root) {
        let hidden = inside
            .components()
            .next()
            .is_some_and(|c| c.as_os_str().to_string_lossy().starts_with('.'));
        if !hidden {
            return Err(StoreError::Rejected(format!(
                "the history directory {} is inside the memory directory, where the model would \
                 see it; put it elsewhere or give it a name starting with '.'",
                history.display()
            )));
        }
    }
    Ok(())
}

/// Remove temp files that a killed process left behind.
fn remove_stale_temps(dir: &Path, age: Duration) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(meta) = entry.path().symlink_metadata() else {
            continue;
        };
        let name = entry.file_name();
        if meta.is_dir() {
            remove_stale_temps(&entry.path(), age);
        } else if meta.is_file()
            && name.to_string_lossy().starts_with(fs::TEMP_PREFIX)
            && meta
                .modified()
                .ok()
                .and_then(|m| SystemTime::now().duration_since(m).ok())
                .is_some_and(|elapsed| elapsed > age)
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

impl Inner {
    pub(super) fn lock(&self) -> Result<Locked<'_>, StoreError> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        self.lock_file
            .lock()
            .map_err(|e| StoreError::io("cannot lock the memory store", e))?;
        // From here on, dropping `locked` releases the flock again.
        let mut locked = Locked {
            state,
            file: &self.lock_file,
            flush: &self.flush,
        };
        locked
            .state
            .history
            .refresh()
            .map_err(|e| StoreError::io("cannot read the history log", e))?;
        // A change that failed or was killed after writing its intent: settle it now, before
        // anyone reads the history or writes after it.
        if !locked.state.history.dangling().is_empty() {
            self.settle(&mut locked)?;
        }
        Ok(locked)
    }

    /// Append what the history deferred, under the store lock (other processes append to the
    /// same pack), then sync it without the lock (done by the flusher, and on close).
    pub(super) fn flush_history(&self) {
        let durable = match self.lock() {
            Ok(mut locked) => {
                // Replaced files are looked at here, not at every lock: a write never waits
                // for them, and a late append still comes back within a visit.
                self.adopt_orphans(&mut locked);
                locked.state.history.write_deferred()
            }
            Err(e) => Err(std::io::Error::other(e.to_string())),
        };
        // On failure (a full disk) the versions stay in their memory files; nothing else to do.
        let _ = durable.and_then(log::Durable::sync);
    }

    pub(super) fn open_root(&self) -> Result<OwnedFd, StoreError> {
        fs::open_root(&self.root).map_err(|e| {
            StoreError::io(
                format!("cannot open the memory directory {}", self.root.display()),
                e,
            )
        })
    }

    pub(super) fn emit(&self, change: MemoryChange) {
        // No subscriber is not an error.
        let _ = self.changes.send(change);
    }
}

impl MemoryStore for LocalStore {
    fn describe(&self) -> String {
        format!("local directory {}", self.inner.root.display())
    }

    fn max_file_bytes(&self) -> u64 {
        self.inner.max_file_bytes
    }

    fn node(&self, path: &MemPath) -> Result<Option<(NodeKind, u64)>, StoreError> {
        let root = self.inner.open_root()?;
        if path.is_root() {
            let meta = fs::meta_of(root.as_fd())
                .map_err(|e| StoreError::io("cannot examine /memories", e))?;
            return Ok(Some((NodeKind::Dir, meta.size)));
        }
        let dir = match fs::walk(root.as_fd(), path, false, false) {
            Ok(dir) => dir,
            Err(StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let name = path.name().unwrap_or_default();
        let meta = fs::meta_at(dir.as_fd(), name)
            .map_err(|e| StoreError::io(format!("cannot examine {path}"), e))?;
        match meta {
            None => Ok(None),
            Some(m) => match m.kind {
                Kind::File => Ok(Some((NodeKind::File, m.size))),
                Kind::Dir => Ok(Some((NodeKind::Dir, m.size))),
                Kind::Symlink => Err(StoreError::Symlink {
                    path: path.clone(),
                    link: path.clone(),
                }),
                Kind::Other => Err(StoreError::Unsupported(path.clone())),
            },
        }
    }

    fn read(&self, path: &MemPath) -> Result<FileText, StoreError> {
        if path.is_root() {
            return Err(StoreError::IsDir(path.clone()));
        }
        let root = self.inner.open_root()?;
        let dir = fs::walk(root.as_fd(), path, false, false)?;
        let (mut file, meta) =
            fs::open_regular(dir.as_fd(), path.name().unwrap_or_default(), path)?;
        let bytes = fs::read_limited(&mut file, &meta, path, self.inner.max_file_bytes)?;
        let version = Version::of(&bytes);
        let size = bytes.len() as u64;
        let text = String::from_utf8(bytes).map_err(|_| StoreError::NotUtf8 {
            path: path.clone(),
            size,
        })?;
        Ok(FileText { text, version })
    }

    fn list(&self, dir: &MemPath, depth: usize) -> Result<Listing, StoreError> {
        let root = self.inner.open_root()?;
        let fd = fs::walk(root.as_fd(), dir, true, false)?;
        let size = fs::meta_of(fd.as_fd())
            .map_err(|e| StoreError::io(format!("cannot examine {dir}"), e))?
            .size;
        let mut found = Vec::new();
        // A subfolder that cannot be read is listed, marked, and the rest still shown.
        let mut unreadable = Vec::new();
        fs::walk_tree(
            fd.as_fd(),
            "",
            depth,
            false,
            &mut found,
            &mut |_, _, _| {},
            &mut |relative, e| {
                tracing::warn!("cannot read {dir}/{relative}: {e}");
                unreadable.push(format!(
                    "{dir}/{relative} ({})",
                    crate::memory::io_reason(&e)
                ));
                Ok(())
            },
        )
        .map_err(|e| StoreError::io(format!("cannot list {dir}"), e))?;
        let entries = found
            .into_iter()
            .map(|f| Entry {
                relative: f.relative,
                kind: if f.meta.kind == Kind::Dir {
                    NodeKind::Dir
                } else {
                    NodeKind::File
                },
                size: f.meta.size,
            })
            .collect();
        Ok(Listing {
            size,
            entries,
            skipped: Vec::new(),
            unreadable,
        })
    }

    fn save(
        &self,
        path: &MemPath,
        text: &str,
        expect: Expect,
        ctx: WriteCtx<'_>,
    ) -> Result<Version, StoreError> {
        self.inner.save(path, text, &expect, ctx)
    }

    fn modify(
        &self,
        path: &MemPath,
        ctx: WriteCtx<'_>,
        edit: &mut dyn FnMut(&str) -> Result<String, String>,
    ) -> Result<FileText, StoreError> {
        self.inner.modify(path, ctx, edit)
    }

    fn delete(&self, path: &MemPath, ctx: WriteCtx<'_>) -> Result<Vec<String>, StoreError> {
        self.inner.delete(path, ctx)
    }

    fn rename(&self, from: &MemPath, to: &MemPath, ctx: WriteCtx<'_>) -> Result<(), StoreError> {
        self.inner.rename(from, to, ctx)
    }
    fn version_text(
        &self,
        path: &MemPath,
        version: &Version,
    ) -> Result<Option<String>, StoreError> {
        let held = {
            let locked = self.inner.lock()?;
            locked.state.history.blob(version).ok()
        };
        match held {
            Some(bytes) => Ok(String::from_utf8(bytes).ok()),
            None => Ok(self
                .read(path)
                .ok()
                .filter(|file| &file.version == version)
                .map(|file| file.text)),
        }
    }

    fn history(&self, path: Option<&MemPath>) -> Result<Vec<HistoryEntry>, StoreError> {
        let locked = self.inner.lock()?;
        let entries = locked
            .state
            .history
            .entries()
            .map_err(|e| StoreError::io("cannot read the history log", e))?;
        Ok(match path {
            Some(p) => entries.into_iter().filter(|e| e.touches(p)).collect(),
            None => entries,
        })
    }

    fn restore(
        &self,
        path: &MemPath,
        version: Option<&str>,
        ctx: WriteCtx<'_>,
    ) -> Result<Version, StoreError> {
        self.inner.restore(path, version, ctx)
    }

    fn restore_folder(
        &self,
        folder: &MemPath,
        files: &[(MemPath, Version)],
        ctx: WriteCtx<'_>,
    ) -> Result<usize, StoreError> {
        self.inner.restore_folder(folder, files, ctx)
    }

    fn apply_batch(&self, ops: &[super::BatchOp], ctx: WriteCtx<'_>) -> Result<(), StoreError> {
        self.inner.apply_batch(ops, ctx)
    }

    fn subscribe(&self) -> broadcast::Receiver<MemoryChange> {
        self.inner.changes.subscribe()
    }

    fn acquire(&self, subject: &str, holder: &str, ttl: Duration) -> Result<Grant, StoreError> {
        self.inner.acquire(subject, holder, ttl)
    }

    fn renew(&self, lease: &Lease, ttl: Duration) -> Result<Option<Lease>, StoreError> {
        self.inner.renew(lease, ttl)
    }

    fn release(&self, lease: &Lease) -> Result<bool, StoreError> {
        self.inner.release(lease)
    }

    fn leases(&self) -> Result<Vec<Lease>, StoreError> {
        self.inner.leases()
    }

    fn lease_events(&self) -> broadcast::Receiver<LeaseEvent> {
        self.inner.lease_events.subscribe()
    }

    fn dump(&self) -> Result<super::Dump, StoreError> {
        self.dump_local()
    }

    fn import(&self, dump: &super::Dump) -> Result<(), StoreError> {
        self.import_local(dump)
    }
}

impl LocalStore {
    /// Where the history is kept.
    fn history_dir(&self) -> PathBuf {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .history
            .dir()
            .to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_defaults_beside_the_memory_dir() {
        assert_eq!(
            default_history_dir(Path::new("/p/memories")),
            PathBuf::from("/p/.memories-history")
        );
    }

    #[test]
    fn history_inside_the_store_must_be_hidden() {
        let root = Path::new("/p/memories");
        assert!(check_history_outside(root, Path::new("/p/memories/hist")).is_err());
        assert!(check_history_outside(root, Path::new("/p/memories/.hist")).is_ok());
        assert!(check_history_outside(root, Path::new("/p/.memories-history")).is_ok());
    }
}
