//! The local history store: content-addressed blobs plus an append-only JSON-lines log.
//!
//! Layout of the history directory (beside the memory directory, never inside it):
//! `objects/ab/cdef…` holds each version's bytes under its SHA-256, `log.jsonl` one
//! [`HistoryEntry`] per line, `lock` the file every process locks while it changes the store.
//! Every method here is called with that lock held.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::memory::{HistoryEntry, Version};

use super::fs::{create_dir_all, temp_name};

/// How much history to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// Entries kept in the log; older ones are pruned (with blobs nothing else needs).
    pub max_entries: usize,
    /// Entries always kept for each path, however old, so that every file keeps its recent
    /// versions.
    pub keep_per_path: usize,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            max_entries: 10_000,
            keep_per_path: 5,
        }
    }
}

/// What a caller records; the log adds `seq` and `ts_ms`.
#[derive(Clone, Debug)]
pub struct NewEntry {
    pub actor: String,
    pub op: String,
    pub path: String,
    pub new_path: Option<String>,
    pub old: Option<Version>,
    pub new: Option<Version>,
}

pub struct History {
    dir: PathBuf,
    log_path: PathBuf,
    file: File,
    /// Inode of the open log: another process's prune replaces the file, and we must reopen.
    ino: u64,
    /// Bytes of the log already read into the fields below.
    offset: u64,
    last_seq: u64,
    count: usize,
    /// The log ends in a partial line (a writer was killed mid-append): the next append must
    /// start on a new line so the torn one cannot swallow it.
    torn: bool,
    /// Blobs and log lines written but not yet synced: the flusher syncs them shortly after,
    /// off the path of the change itself.
    unsynced: Pending,
    /// The newest recorded content of each path (`None`: deleted).
    last_by_path: HashMap<String, Option<Version>>,
    retention: Retention,
}

impl History {
    pub fn open(dir: &Path, retention: Retention) -> io::Result<Self> {
        create_dir_all(&dir.join("objects"))?;
        let log_path = dir.join("log.jsonl");
        let (file, ino) = open_log(&log_path)?;
        let mut history = Self {
            dir: dir.to_owned(),
            log_path,
            file,
            ino,
            offset: 0,
            last_seq: 0,
            count: 0,
            torn: false,
            unsynced: Pending::default(),
            last_by_path: HashMap::new(),
            retention,
        };
        history.refresh()?;
        Ok(history)
    }

    /// Read what other processes appended since we last looked.
    pub fn refresh(&mut self) -> io::Result<()> {
        let on_disk = fs::metadata(&self.log_path).map(|m| m.ino()).ok();
        if on_disk != Some(self.ino) {
            let (file, ino) = open_log(&self.log_path)?;
            self.file = file;
            self.ino = ino;
            self.offset = 0;
            self.last_seq = 0;
            self.count = 0;
            self.last_by_path.clear();
        }
        self.file.seek(SeekFrom::Start(self.offset))?;
        let mut fresh = Vec::new();
        self.file.read_to_end(&mut fresh)?;
        // Only whole lines count; a torn last line (a crash mid-append) is left for later.
        let whole = fresh.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        for line in fresh[..whole].split(|&b| b == b'\n') {
            if line.is_empty() {
                continue;
            }
            if let Ok(entry) = serde_json::from_slice::<HistoryEntry>(line) {
                self.note(&entry);
            }
        }
        self.offset += whole as u64;
        self.torn = whole < fresh.len();
        Ok(())
    }

    fn note(&mut self, entry: &HistoryEntry) {
        self.last_seq = self.last_seq.max(entry.seq);
        self.count += 1;
        match &entry.new_path {
            Some(new_path) => {
                self.last_by_path.insert(entry.path.clone(), None);
                self.last_by_path
                    .insert(new_path.clone(), entry.new.clone());
            }
            None => {
                self.last_by_path
                    .insert(entry.path.clone(), entry.new.clone());
            }
        }
    }

    /// The newest recorded content of `path`: `None` if never recorded, `Some(None)` if its
    /// last entry deleted it.
    pub fn last_version(&self, path: &str) -> Option<&Option<Version>> {
        self.last_by_path.get(path)
    }

    /// Every path whose newest entry left it with content, and that content's version.
    pub fn recorded_paths(&self) -> impl Iterator<Item = (&str, &Version)> {
        self.last_by_path
            .iter()
            .filter_map(|(path, v)| v.as_ref().map(|v| (path.as_str(), v)))
    }

    fn blob_path(&self, version: &Version) -> PathBuf {
        let hex = version.as_str();
        self.dir.join("objects").join(&hex[..2]).join(&hex[2..])
    }

    /// Keep `bytes` under their hash. `durable`: sync before returning (needed when these bytes
    /// are about to be overwritten in the memory directory and exist nowhere else).
    pub fn put_blob(&mut self, bytes: &[u8], version: &Version, durable: bool) -> io::Result<()> {
        let target = self.blob_path(version);
        if target.exists() {
            return Ok(());
        }
        let dir = target.parent().unwrap_or(&self.dir);
        create_dir_all(dir)?;
        let temp = dir.join(temp_name());
        let result = (|| {
            let mut file = File::create_new(&temp)?;
            file.write_all(bytes)?;
            if durable {
                file.sync_data()?;
            }
            fs::rename(&temp, &target)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&temp);
        }
        result?;
        if durable {
            File::open(dir)?.sync_all()?;
        } else {
            self.unsynced.blobs.push(target);
        }
        Ok(())
    }

    /// Keep `bytes` under their hash, written by the flusher shortly after rather than now:
    /// for new versions, which are in the memory file itself until something replaces them
    /// (and our own replacements store the old version in-line if it is not here yet).
    pub fn defer_blob(&mut self, bytes: Vec<u8>, version: &Version) {
        let target = self.blob_path(version);
        if !target.exists() && !self.unsynced.deferred.iter().any(|(p, _)| *p == target) {
            self.unsynced.deferred.push((target, bytes));
        }
    }

    /// Write the deferred blobs (without syncing), and say what remains to be synced.
    pub fn write_deferred(&mut self) -> io::Result<Durable> {
        let mut pending = std::mem::take(&mut self.unsynced);
        for (target, bytes) in std::mem::take(&mut pending.deferred) {
            if target.exists() {
                continue;
            }
            let dir = target.parent().unwrap_or(&self.dir);
            create_dir_all(dir)?;
            let temp = dir.join(temp_name());
            let mut file = File::create_new(&temp)?;
            file.write_all(&bytes)?;
            drop(file);
            fs::rename(&temp, &target)?;
            pending.blobs.push(target);
        }
        let mut dirs: Vec<PathBuf> = Vec::new();
        for blob in &pending.blobs {
            if let Some(dir) = blob.parent().filter(|d| !dirs.iter().any(|x| x == d)) {
                dirs.push(dir.to_owned());
            }
        }
        let mut files = pending.blobs;
        if pending.log {
            files.push(self.log_path.clone());
        }
        Ok(Durable { files, dirs })
    }

    pub fn has_unsynced(&self) -> bool {
        let p = &self.unsynced;
        p.log || !p.blobs.is_empty() || !p.deferred.is_empty()
    }

    /// The bytes of a version, checked against its hash.
    pub fn blob(&self, version: &Version) -> io::Result<Vec<u8>> {
        let path = self.blob_path(version);
        if let Some((_, bytes)) = self.unsynced.deferred.iter().find(|(p, _)| *p == path) {
            return Ok(bytes.clone());
        }
        let bytes = fs::read(path)?;
        if Version::of(&bytes) != *version {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the history copy of version {} is damaged", version.short()),
            ));
        }
        Ok(bytes)
    }

    /// Append entries with one write and one sync.
    pub fn append(&mut self, entries: Vec<NewEntry>) -> io::Result<Vec<HistoryEntry>> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        self.refresh()?;
        let ts_ms = now_ms();
        let mut buf = Vec::new();
        if self.torn {
            buf.push(b'\n');
        }
        let mut written = Vec::with_capacity(entries.len());
        for e in entries {
            let entry = HistoryEntry {
                seq: self.last_seq + 1 + written.len() as u64,
                ts_ms,
                actor: e.actor,
                op: e.op,
                path: e.path,
                new_path: e.new_path,
                old: e.old,
                new: e.new,
            };
            serde_json::to_writer(&mut buf, &entry).map_err(io::Error::other)?;
            buf.push(b'\n');
            written.push(entry);
        }
        // The file is opened for appending: every write lands at the end. It is synced by the
        // flusher, shortly after.
        self.file.write_all(&buf)?;
        self.unsynced.log = true;
        // Our own lines are read back by `refresh` like anyone else's.
        self.refresh()?;
        if self.count > self.retention.max_entries + self.retention.max_entries / 4 {
            self.prune()?;
        }
        Ok(written)
    }

    /// All entries, oldest first.
    pub fn entries(&self) -> io::Result<Vec<HistoryEntry>> {
        let text = match fs::read(&self.log_path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        Ok(text
            .split(|&b| b == b'\n')
            .filter(|line| !line.is_empty())
            .filter_map(|line| serde_json::from_slice(line).ok())
            .collect())
    }

    /// Drop the oldest entries beyond the retention, keep each path's newest ones, and delete
    /// blobs no remaining entry names.
    pub fn prune(&mut self) -> io::Result<()> {
        let entries = self.entries()?;
        let cut = entries.len().saturating_sub(self.retention.max_entries);
        let mut per_path: HashMap<&str, usize> = HashMap::new();
        let mut keep = vec![false; entries.len()];
        for (i, entry) in entries.iter().enumerate().rev() {
            let seen = per_path.entry(entry.path.as_str()).or_default();
            *seen += 1;
            keep[i] = i >= cut || *seen <= self.retention.keep_per_path;
        }
        let kept: Vec<&HistoryEntry> = entries
            .iter()
            .zip(&keep)
            .filter_map(|(e, &k)| k.then_some(e))
            .collect();
        let mut buf = Vec::new();
        for entry in &kept {
            serde_json::to_writer(&mut buf, entry).map_err(io::Error::other)?;
            buf.push(b'\n');
        }
        let temp = self.dir.join(temp_name());
        let mut file = File::create_new(&temp)?;
        file.write_all(&buf)?;
        file.sync_data()?;
        fs::rename(&temp, &self.log_path)?;
        File::open(&self.dir)?.sync_all()?;
        let referenced: HashSet<&str> = kept
            .iter()
            .flat_map(|e| [e.old.as_ref(), e.new.as_ref()])
            .flatten()
            .map(Version::as_str)
            .collect();
        self.remove_unreferenced_blobs(&referenced)?;
        self.refresh()
    }

    fn remove_unreferenced_blobs(&self, referenced: &HashSet<&str>) -> io::Result<()> {
        for fan in fs::read_dir(self.dir.join("objects"))? {
            let fan = fan?;
            let head = fan.file_name().to_string_lossy().into_owned();
            if !fan.file_type()?.is_dir() {
                continue;
            }
            for blob in fs::read_dir(fan.path())? {
                let blob = blob?;
                let name = format!("{head}{}", blob.file_name().to_string_lossy());
                if !referenced.contains(name.as_str()) {
                    let _ = fs::remove_file(blob.path());
                }
            }
        }
        Ok(())
    }
}

/// History written without a sync, and blobs not written yet.
#[derive(Debug, Default)]
struct Pending {
    deferred: Vec<(PathBuf, Vec<u8>)>,
    /// Blob files written but not synced.
    blobs: Vec<PathBuf>,
    /// The log has lines that are not synced.
    log: bool,
}

/// A flush in two steps: [`History::write_deferred`] under the store mutex, then
/// [`Durable::sync`] without it.
pub struct Durable {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

impl Durable {
    /// Sync each file written since the last flush and the directories that name them. (On
    /// ext4 the first sync commits the journal and the others find nothing left to do.)
    pub fn sync(self) -> io::Result<()> {
        for file in &self.files {
            match File::open(file) {
                Ok(f) => f.sync_data()?,
                // Pruned meanwhile: nothing to keep.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        for dir in &self.dirs {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
}

fn open_log(path: &Path) -> io::Result<(File, u64)> {
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)?;
    let ino = file.metadata()?.ino();
    Ok((file, ino))
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
