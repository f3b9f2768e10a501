//! The local history store: an append-only JSON-lines log plus every version's bytes.
//!
//! Layout of the history directory (beside the memory directory, never inside it):
//! `log.jsonl` holds one [`HistoryEntry`] per line, `blobs.pack` each version's bytes under its
//! SHA-256 (see [`Pack`]), `lock` is the file every process locks while it changes the store.
//! Every method here is called with that lock held.
//!
//! A change is written as an intent and then confirmed: its entries go to the log marked
//! `"pending": true` before the memory directory changes, and a `{"done": [seq…]}` line follows
//! once it has. Only confirmed entries (and entries written without the mark: imports, changes
//! seen by the watcher, logs from before) are the history. A change that failed leaves its
//! intent unconfirmed; one killed midway is settled by the next process to take the lock, which
//! confirms each entry whose change is on disk and drops the rest (see [`History::dangling`]).

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::clock::now_ms;
use crate::memory::{HistoryEntry, Version};

use super::fs::{create_dir_all, temp_name};
use super::pack::{Pack, open_append};

/// How much history to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// Entries kept in the log; older ones are pruned (with blobs nothing else needs).
    pub max_entries: usize,
    /// Entries always kept for each path, however old, so that every file keeps its recent
    /// versions.
    pub keep_per_path: usize,
}

impl Retention {
    /// Whether the entry numbered `seq` is the one after which the history is pruned: each time
    /// the numbering passes a quarter of `max_entries`, so the log stays under `max_entries` and
    /// a quarter more (plus each path's newest). The Redis store prunes on the same entries, so
    /// both keep the same history.
    pub fn due(&self, seq: u64) -> bool {
        seq.is_multiple_of((self.max_entries as u64 / 4).max(1))
    }
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            max_entries: 10_000,
            keep_per_path: 5,
        }
    }
}

/// One line of the log: an entry (confirmed unless `pending`), or the outcome of pending ones.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Record {
    Outcome {
        /// Pending entries whose change happened.
        done: Vec<u64>,
        /// Pending entries whose change did not happen (found after a crash).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        dropped: Vec<u64>,
    },
    Entry {
        #[serde(flatten)]
        entry: HistoryEntry,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        pending: bool,
    },
}

/// The history in a log's bytes: confirmed entries in log order, and the pending entries no
/// outcome line settles (in order).
fn read_records(bytes: &[u8]) -> (Vec<HistoryEntry>, Vec<HistoryEntry>) {
    let records: Vec<Record> = bytes
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .filter_map(|line| serde_json::from_slice(line).ok())
        .collect();
    let mut done = HashSet::new();
    let mut settled = HashSet::new();
    for record in &records {
        if let Record::Outcome { done: d, dropped } = record {
            done.extend(d.iter().copied());
            settled.extend(d.iter().chain(dropped).copied());
        }
    }
    let mut entries = Vec::new();
    let mut dangling = Vec::new();
    for record in records {
        if let Record::Entry { entry, pending } = record {
            if !pending || done.contains(&entry.seq) {
                entries.push(entry);
            } else if !settled.contains(&entry.seq) {
                dangling.push(entry);
            }
        }
    }
    (entries, dangling)
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
    pack: Pack,
    log_path: PathBuf,
    file: File,
    /// Inode of the open log: another process's prune replaces the file, and we must reopen.
    ino: u64,
    /// Bytes of the log already read into the fields below.
    offset: u64,
    last_seq: u64,
    /// The log ends in a partial line (a writer was killed mid-append): the next append must
    /// start on a new line so the torn one cannot swallow it.
    torn: bool,
    /// Blobs and log lines written but not yet synced: the flusher syncs them shortly after,
    /// off the path of the change itself.
    unsynced: Pending,
    /// The newest recorded content of each path (`None`: deleted).
    last_by_path: HashMap<String, Option<Version>>,
    /// Entries written as an intent whose outcome is not in the log yet: the change in progress
    /// in this process, or one whose writer died or failed (settled at the next lock).
    dangling: Vec<HistoryEntry>,
    retention: Retention,
}

impl History {
    pub fn open(dir: &Path, retention: Retention) -> io::Result<Self> {
        create_dir_all(dir)?;
        let pack = Pack::open(&dir.join("blobs.pack"))?;
        let log_path = dir.join("log.jsonl");
        let (file, ino) = open_append(&log_path)?;
        let history = Self {
            dir: dir.to_owned(),
            pack,
            log_path,
            file,
            ino,
            offset: 0,
            last_seq: 0,
            torn: false,
            unsynced: Pending::default(),
            last_by_path: HashMap::new(),
            dangling: Vec::new(),
            retention,
        };
        // Read by `refresh` under the store lock, at the first use: reading here, unlocked,
        // could mistake another process's append in progress for a torn record.
        Ok(history)
    }

    /// The history's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Append entries copied from another store as they were (actor, time, operation,
    /// versions), numbered on from this log's last; synced before returning.
    pub fn import(&mut self, entries: &[HistoryEntry]) -> io::Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::new();
        if self.torn {
            buf.push(b'\n');
        }
        for (i, entry) in entries.iter().enumerate() {
            let mut entry = entry.clone();
            entry.seq = self.last_seq + 1 + i as u64;
            serde_json::to_writer(&mut buf, &entry).map_err(io::Error::other)?;
            buf.push(b'\n');
        }
        self.file.write_all(&buf)?;
        self.file.sync_data()?;
        self.refresh()
    }

    /// Read what other processes appended since we last looked.
    pub fn refresh(&mut self) -> io::Result<()> {
        self.pack.refresh()?;
        let on_disk = fs::metadata(&self.log_path).map(|m| m.ino()).ok();
        if on_disk != Some(self.ino) {
            let (file, ino) = open_append(&self.log_path)?;
            self.file = file;
            self.ino = ino;
            self.offset = 0;
            self.last_seq = 0;
            self.last_by_path.clear();
            self.dangling.clear();
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
            match serde_json::from_slice::<Record>(line) {
                Ok(Record::Entry { entry, pending }) => {
                    self.last_seq = self.last_seq.max(entry.seq);
                    if pending {
                        self.dangling.push(entry);
                    } else {
                        self.note(&entry);
                    }
                }
                Ok(Record::Outcome { done, dropped }) => self.settle(&done, &dropped),
                Err(_) => {}
            }
        }
        self.offset += whole as u64;
        self.torn = whole < fresh.len();
        Ok(())
    }

    fn note(&mut self, entry: &HistoryEntry) {
        self.last_seq = self.last_seq.max(entry.seq);
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

    /// Take pending entries out of `dangling`: those `done` become history.
    fn settle(&mut self, done: &[u64], dropped: &[u64]) {
        let dangling = std::mem::take(&mut self.dangling);
        for entry in dangling {
            if done.contains(&entry.seq) {
                self.note(&entry);
            } else if !dropped.contains(&entry.seq) {
                self.dangling.push(entry);
            }
        }
    }

    /// Entries written as an intent and never settled, oldest first: after taking the lock
    /// these are a failed or killed change's, for the store to settle against the disk.
    pub fn dangling(&self) -> &[HistoryEntry] {
        &self.dangling
    }

    /// Write the outcome of pending entries: those `done` become history, the rest are dropped.
    pub fn conclude(&mut self, done: Vec<u64>, dropped: Vec<u64>) -> io::Result<()> {
        if done.is_empty() && dropped.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::new();
        if self.torn {
            buf.push(b'\n');
        }
        serde_json::to_writer(&mut buf, &Record::Outcome { done, dropped })
            .map_err(io::Error::other)?;
        buf.push(b'\n');
        self.file.write_all(&buf)?;
        self.unsynced.log = true;
        // Read it back like any other line (this also settles `dangling`).
        self.refresh()
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

    /// Keep `bytes` under their hash. `durable`: sync before returning (needed when these bytes
    /// are about to be overwritten in the memory directory and exist nowhere else).
    ///
    /// A version this process wrote moments ago (still queued for the flusher) is appended now
    /// but synced with the rest of the history: it is no more at risk than the log line that
    /// names it. Only content memdeck never stored (someone else's edit) is synced in-line.
    pub fn put_blob(&mut self, bytes: &[u8], version: &Version, durable: bool) -> io::Result<()> {
        let before = self.unsynced.deferred.len();
        self.unsynced.deferred.retain(|(v, _)| v != version);
        let ours = self.unsynced.deferred.len() < before;
        if !self.pack.contains(version) {
            self.pack.append([(version, bytes)])?;
            self.unsynced.pack = true;
        }
        if durable && !ours {
            self.sync_pack()?;
        }
        Ok(())
    }

    /// Sync the versions appended so far.
    pub fn sync_pack(&mut self) -> io::Result<()> {
        if self.unsynced.pack {
            self.pack.sync()?;
            self.unsynced.pack = false;
        }
        Ok(())
    }

    /// Keep `bytes` under their hash, written by the flusher shortly after rather than now:
    /// for new versions, which are in the memory file itself until something replaces them
    /// (and our own replacements store the old version in-line if it is not here yet).
    pub fn defer_blob(&mut self, bytes: Vec<u8>, version: &Version) {
        if !self.pack.contains(version) && !self.unsynced.deferred.iter().any(|(v, _)| v == version)
        {
            self.unsynced.deferred.push((version.clone(), bytes));
        }
    }

    /// Append the deferred blobs (without syncing), and say what remains to be synced.
    pub fn write_deferred(&mut self) -> io::Result<Durable> {
        let pending = std::mem::take(&mut self.unsynced);
        self.pack
            .append(pending.deferred.iter().map(|(v, b)| (v, b.as_slice())))?;
        let mut files = Vec::new();
        if pending.pack || !pending.deferred.is_empty() {
            files.push(self.dir.join("blobs.pack"));
        }
        if pending.log {
            files.push(self.log_path.clone());
        }
        Ok(Durable { files })
    }

    pub fn has_unsynced(&self) -> bool {
        let p = &self.unsynced;
        p.log || p.pack || !p.deferred.is_empty()
    }

    /// The bytes of a version, checked against its hash.
    pub fn blob(&self, version: &Version) -> io::Result<Vec<u8>> {
        if let Some((_, bytes)) = self.unsynced.deferred.iter().find(|(v, _)| v == version) {
            return Ok(bytes.clone());
        }
        self.pack.read(version)
    }

    /// Append entries for changes that have already happened (seen by the watcher), each its
    /// own change, with one write (synced by the flusher).
    /// The caller holds the store lock, whose taking read the log up to date.
    pub fn append(&mut self, entries: Vec<NewEntry>) -> io::Result<Vec<HistoryEntry>> {
        self.append_entries(entries, false, false)
    }

    /// Append the intent of a change about to be made, each entry its own change; the caller
    /// confirms the entries whose change happened with [`History::conclude`] (an intent left
    /// unconfirmed is settled at the next lock).
    pub fn intend(&mut self, entries: Vec<NewEntry>) -> io::Result<Vec<HistoryEntry>> {
        self.append_entries(entries, false, true)
    }

    /// [`History::intend`] for one folder operation: the folder's entry first, then its
    /// files', all marked with the folder entry's number (see [`HistoryEntry::group`]).
    pub fn intend_group(&mut self, entries: Vec<NewEntry>) -> io::Result<Vec<HistoryEntry>> {
        self.append_entries(entries, true, true)
    }

    fn append_entries(
        &mut self,
        entries: Vec<NewEntry>,
        grouped: bool,
        pending: bool,
    ) -> io::Result<Vec<HistoryEntry>> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
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
                group: grouped.then_some(self.last_seq + 1),
            };
            let record = Record::Entry {
                entry: entry.clone(),
                pending,
            };
            serde_json::to_writer(&mut buf, &record).map_err(io::Error::other)?;
            buf.push(b'\n');
            written.push(entry);
        }
        // The file is opened for appending: every write lands at the end. It is synced by the
        // flusher, shortly after.
        self.file.write_all(&buf)?;
        self.unsynced.log = true;
        if self.torn {
            // Read past the torn line like anyone else would.
            self.refresh()?;
        } else {
            self.offset += buf.len() as u64;
            for entry in &written {
                self.last_seq = self.last_seq.max(entry.seq);
                if pending {
                    self.dangling.push(entry.clone());
                } else {
                    self.note(entry);
                }
            }
        }
        if written.iter().any(|e| self.retention.due(e.seq)) {
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
        Ok(read_records(&text).0)
    }

    /// Drop the oldest entries beyond the retention, keep each path's newest ones, and delete
    /// blobs no remaining entry names.
    pub fn prune(&mut self) -> io::Result<()> {
        let entries = self.entries()?;
        // The change in progress (pending) is the newest and counts against the limit.
        let cut = (entries.len() + self.dangling.len()).saturating_sub(self.retention.max_entries);
        let mut per_path: HashMap<&str, usize> = HashMap::new();
        let mut keep = vec![false; entries.len()];
        for (i, entry) in entries.iter().enumerate().rev() {
            let seen = per_path.entry(entry.path.as_str()).or_default();
            *seen += 1;
            keep[i] = i >= cut || *seen <= self.retention.keep_per_path;
        }
        // An operation is kept whole or not at all: a folder's delete without its files (or
        // files without their folder) could not be undone as one.
        let mut start = 0;
        for op in crate::memory::history::operations(&entries) {
            let range = start..start + op.len();
            if keep[range.clone()].iter().any(|&k| k) {
                keep[range.clone()].fill(true);
            }
            start = range.end;
        }
        let kept: Vec<&HistoryEntry> = entries
            .iter()
            .zip(&keep)
            .filter_map(|(e, &k)| k.then_some(e))
            .collect();
        let mut buf = Vec::new();
        let confirmed = kept.iter().map(|e| (*e, false));
        // A change in progress (this one's own entries among them) stays an intent.
        let intents = self.dangling.iter().map(|e| (e, true));
        for (entry, pending) in confirmed.chain(intents) {
            let record = Record::Entry {
                entry: entry.clone(),
                pending,
            };
            serde_json::to_writer(&mut buf, &record).map_err(io::Error::other)?;
            buf.push(b'\n');
        }
        let temp = self.dir.join(temp_name());
        let mut file = File::create_new(&temp)?;
        file.write_all(&buf)?;
        file.sync_data()?;
        fs::rename(&temp, &self.log_path)?;
        File::open(&self.dir)?.sync_all()?;
        let referenced: HashSet<&Version> = kept
            .iter()
            .copied()
            .chain(&self.dangling)
            .flat_map(|e| [e.old.as_ref(), e.new.as_ref()])
            .flatten()
            .collect();
        self.pack.retain(&referenced)?;
        self.refresh()
    }
}

/// History written without a sync, and blobs not written yet.
#[derive(Debug, Default)]
struct Pending {
    deferred: Vec<(Version, Vec<u8>)>,
    /// The pack has records that are not synced.
    pack: bool,
    /// The log has lines that are not synced.
    log: bool,
}

/// A flush in two steps: [`History::write_deferred`] under the store lock, then
/// [`Durable::sync`] without it.
pub struct Durable {
    files: Vec<PathBuf>,
}

impl Durable {
    /// Sync each history file written since the last flush.
    pub fn sync(self) -> io::Result<()> {
        for file in &self.files {
            File::open(file)?.sync_data()?;
        }
        Ok(())
    }
}
