//! The shared memory store behind Claude's memory tool.
//!
//! Every tab, the memory panel and the CLI reach memory through the [`MemoryStore`] trait: a small
//! set of primitives (read, list, save with compare-and-set, modify under the store's lock,
//! delete, rename, history) that a backend implements. The six tool commands are written once, in
//! [`tool`], on top of those primitives, so every backend answers the model with the same texts.

pub mod board;
pub mod command;
pub mod consolidate;
pub mod expiry;
pub mod front;
pub mod history;
pub mod index;
pub mod lease;
pub mod local;
pub mod path;
pub mod postgres;
pub mod receipt;
pub mod redis;
pub mod secrets;
pub mod snapshot;
pub mod tool;

use std::fmt;
use std::io;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::broadcast;

pub use command::ToolCommand;
pub use history::HistoryEntry;
pub use lease::{Grant, Lease, LeaseEvent};
pub use local::{LocalOptions, LocalStore, Retention, WatchMode};
pub use path::{MemPath, PathError};
pub use tool::{ToolResult, execute};

/// Default largest memory file, in bytes (100 KiB, as Anthropic's hosted memory store).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 100 * 1024;

/// The version of a file's content: the lowercase hex SHA-256 of its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Version(String);

impl Version {
    pub fn of(bytes: &[u8]) -> Self {
        Self(hex(&Sha256::digest(bytes)))
    }

    pub fn from_hex(hex: String) -> Self {
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 12 hex digits, enough to tell versions apart in a listing.
    pub fn short(&self) -> &str {
        &self.0[..self.0.len().min(12)]
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// What happened to a path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeKind {
    Created,
    Modified,
    Deleted,
    /// The path is the new name; `from` the old one.
    Renamed {
        from: String,
    },
}

/// One change to the store, broadcast to every subscriber (the panel, the tabs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryChange {
    /// The virtual path, `/memories/...`.
    pub path: String,
    pub kind: ChangeKind,
    /// A persona name, `you` for the panel's edits, `external` for changes a watcher saw, or
    /// `Alice@laptop-2` for a change another machine made through Redis.
    pub actor: String,
    /// The new content's version; `None` for deletions and directories.
    pub version: Option<Version>,
    /// Whether the path is a directory.
    pub is_dir: bool,
}

/// Who is writing and which command did it, recorded in the history log.
#[derive(Clone, Copy, Debug)]
pub struct WriteCtx<'a> {
    pub actor: &'a str,
    pub op: &'a str,
    /// The writer's lease on the path it writes, if it holds one (see [`lease`]): the store
    /// lets the write through a live lease only with this lease's token, and refuses it when the
    /// path has been leased again since.
    pub fence: Option<&'a Lease>,
}

impl<'a> WriteCtx<'a> {
    pub fn new(actor: &'a str, op: &'a str) -> Self {
        Self {
            actor,
            op,
            fence: None,
        }
    }

    /// The same writer, holding `lease`.
    #[must_use]
    pub fn fenced(self, lease: Option<&'a Lease>) -> Self {
        Self {
            fence: lease,
            ..self
        }
    }
}

/// The precondition of a save.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Overwrite whatever is there (or create).
    Any,
    /// The file must not exist yet.
    Absent,
    /// The file must still hold exactly this version (compare-and-set).
    Version(Version),
}

/// One file of a batch ([`MemoryStore::apply_batch`]): its new text, or `None` to remove it,
/// under a precondition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchOp {
    pub path: MemPath,
    pub expect: Expect,
    pub text: Option<String>,
}

/// A text file read from the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileText {
    pub text: String,
    pub version: Version,
}

/// Kind of a node in the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    File,
    Dir,
}

/// One entry of a listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Path relative to the listed directory, `/`-separated, escaped for display when the
    /// name on disk is not a valid memory name.
    pub relative: String,
    pub kind: NodeKind,
    pub size: u64,
}

/// A directory listing: the directory's own size, then its entries depth-first, each
/// directory's children sorted by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listing {
    pub size: u64,
    pub entries: Vec<Entry>,
    /// Entries left out because their names are not valid memory paths (keys set by hand in a
    /// shared store), shown safely, for the listing to mention.
    pub skipped: Vec<String>,
    /// Folders listed but not entered because they could not be read (permissions, I/O), each
    /// with the reason, for the listing to mention.
    pub unreadable: Vec<String>,
}

/// Why a store operation failed. The tool layer turns these into the model's texts.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Path(#[from] PathError),
    #[error("{0} does not exist")]
    NotFound(MemPath),
    #[error("{file} is a file, so {path} cannot be inside it")]
    ParentIsFile { path: MemPath, file: MemPath },
    #[error("{0} is a directory")]
    IsDir(MemPath),
    #[error("{0} is a file, not a directory")]
    NotDir(MemPath),
    #[error("{link} is a symbolic link; memdeck never follows links in the memory directory")]
    Symlink { path: MemPath, link: MemPath },
    /// A FIFO, socket or device: never opened. The text is the reference's.
    #[error("Unsupported file type for {0}")]
    Unsupported(MemPath),
    #[error(
        "{path} has {links} hard links; memdeck refuses hard-linked files because they can be \
         shared with files outside the memory directory"
    )]
    HardLinked { path: MemPath, links: u64 },
    #[error(
        "{path} is {} ({size} bytes), larger than the {} limit for memory files",
        format_size(*size),
        format_size(*limit)
    )]
    TooLarge {
        path: MemPath,
        size: u64,
        limit: u64,
    },
    #[error(
        "{path} is not valid UTF-8 text ({} bytes, likely a binary file)",
        size
    )]
    NotUtf8 { path: MemPath, size: u64 },
    #[error(
        "the new content of {path} would be {size} bytes, over the {} limit for a memory file; \
         nothing was written",
        format_size(*limit)
    )]
    ContentTooLarge {
        path: MemPath,
        size: u64,
        limit: u64,
    },
    #[error("{0} already exists")]
    Exists(MemPath),
    #[error(
        "{path} changed since it was read (now {}); nothing was written",
        current.as_ref().map_or("deleted", Version::short)
    )]
    Conflict {
        path: MemPath,
        current: Option<Version>,
    },
    #[error(
        "{path} differs only in letter case from {twin}, which exists; macOS and Windows disks \
         take the two for one name, so nothing was written (use {twin}, or a name of its own)"
    )]
    CaseTwin { path: MemPath, twin: MemPath },
    #[error("cannot move {from} into its own subdirectory {to}")]
    IntoItself { from: MemPath, to: MemPath },
    #[error(
        "{path} is being edited by {} on {host} (lease, {left} left); nothing was written: \
         wait until it is released, or work on another file",
        lease::who(holder)
    )]
    Leased {
        path: String,
        holder: String,
        host: String,
        left: String,
    },
    #[error(
        "the lease on {path} (token {token}) ran out and the file was leased again since (token \
         {newest}); nothing was written: read it again before changing it"
    )]
    Fenced {
        path: String,
        token: u64,
        newest: u64,
    },
    #[error("{0}")]
    Rejected(String),
    #[error("{0}")]
    NoVersion(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
}

impl StoreError {
    pub(crate) fn io(context: impl Into<String>, source: impl Into<io::Error>) -> Self {
        Self::Io {
            context: context.into(),
            source: source.into(),
        }
    }
}

/// An I/O error's reason without the "(os error N)" the standard library appends.
pub(crate) fn io_reason(e: &io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// Refuse a new text over the store's size limit for a file.
pub(crate) fn within_limit(path: &MemPath, text: &str, limit: u64) -> Result<(), StoreError> {
    let size = text.len() as u64;
    if size > limit {
        return Err(StoreError::ContentTooLarge {
            path: path.clone(),
            size,
            limit,
        });
    }
    Ok(())
}

/// A read-modify-write for a store on a server, where nothing is held between the read and the
/// write: read, edit, save under the version read; a conflict (someone wrote in between) reads
/// again and redoes the edit, after a growing, jittered pause, up to `attempts` times.
pub(crate) fn modify_by_saving(
    store: &dyn MemoryStore,
    path: &MemPath,
    ctx: WriteCtx<'_>,
    edit: &mut dyn FnMut(&str) -> Result<String, String>,
    attempts: u32,
) -> Result<FileText, StoreError> {
    if path.is_root() {
        return Err(StoreError::IsDir(path.clone()));
    }
    for attempt in 0..attempts {
        if attempt > 0 {
            std::thread::sleep(redis::contention_pause(attempt));
        }
        let current = store.read(path)?;
        let text = edit(&current.text).map_err(StoreError::Rejected)?;
        // The save refuses a text over the limit.
        match store.save(path, &text, Expect::Version(current.version), ctx) {
            Ok(version) => return Ok(FileText { text, version }),
            Err(StoreError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Rejected(format!(
        "{path} kept changing under other writers; nothing was written, try again"
    )))
}

/// A URL's query with any password parameter's value hidden (`pass=` or `password=`).
pub(crate) fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|param| match param.split_once('=') {
            Some((name, _))
                if name.eq_ignore_ascii_case("pass") || name.eq_ignore_ascii_case("password") =>
            {
                format!("{name}=<redacted>")
            }
            _ => param.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl BatchOp {
    /// The change this operation makes, once it is written.
    pub(crate) fn change(&self, actor: &str) -> MemoryChange {
        let kind = match (&self.text, &self.expect) {
            (None, _) => ChangeKind::Deleted,
            (Some(_), Expect::Absent) => ChangeKind::Created,
            (Some(_), _) => ChangeKind::Modified,
        };
        MemoryChange {
            path: self.path.to_string(),
            kind,
            actor: actor.to_owned(),
            version: self.text.as_ref().map(|t| Version::of(t.as_bytes())),
            is_dir: false,
        }
    }
}

/// The store every tab, the panel and the CLI share.
///
/// Methods block (they do file or network I/O); async callers run them with
/// `tokio::task::spawn_blocking`. Every mutation is atomic, serialised against every other
/// mutation of the same store (in this process and in others), recorded in the history and
/// broadcast as a [`MemoryChange`].
pub trait MemoryStore: Send + Sync {
    /// A one-line description for status bars and `doctor`, e.g. `local directory ./memories`.
    fn describe(&self) -> String;

    /// The largest file a write may produce, in bytes.
    fn max_file_bytes(&self) -> u64;

    /// Kind and size of a path, `None` when it does not exist.
    fn node(&self, path: &MemPath) -> Result<Option<(NodeKind, u64)>, StoreError>;

    /// Read a text file.
    fn read(&self, path: &MemPath) -> Result<FileText, StoreError>;

    /// List a directory `depth` levels deep (1 = its children only), skipping hidden items.
    fn list(&self, dir: &MemPath, depth: usize) -> Result<Listing, StoreError>;

    /// Write a whole file under a precondition; parent directories are created.
    fn save(
        &self,
        path: &MemPath,
        text: &str,
        expect: Expect,
        ctx: WriteCtx<'_>,
    ) -> Result<Version, StoreError>;

    /// Read-modify-write an existing text file under the store's lock: `edit` gets the current
    /// text and returns the new one, or a message that becomes [`StoreError::Rejected`].
    /// Backends that retry on contention may call `edit` more than once.
    fn modify(
        &self,
        path: &MemPath,
        ctx: WriteCtx<'_>,
        edit: &mut dyn FnMut(&str) -> Result<String, String>,
    ) -> Result<FileText, StoreError>;

    /// Delete a file or a directory tree; every file's content is kept in the history. What a
    /// directory holds under names no tool call could make (hidden files, editor leftovers,
    /// invalid names: nothing `restore` could bring back) is left in place, and returned, shown
    /// safely, relative to `path`; a directory still holding such entries stays.
    fn delete(&self, path: &MemPath, ctx: WriteCtx<'_>) -> Result<Vec<String>, StoreError>;

    /// Move a file or directory; never overwrites an existing destination.
    fn rename(&self, from: &MemPath, to: &MemPath, ctx: WriteCtx<'_>) -> Result<(), StoreError>;

    /// History entries, oldest first; only those touching `path` when given.
    fn history(&self, path: Option<&MemPath>) -> Result<Vec<HistoryEntry>, StoreError>;

    /// Bring back a version of `path` (by full or abbreviated hash), or by default the newest
    /// version that differs from the current content. Returns the restored version.
    fn restore(
        &self,
        path: &MemPath,
        version: Option<&str>,
        ctx: WriteCtx<'_>,
    ) -> Result<Version, StoreError>;

    /// Write (or remove) several files as one operation: every precondition is checked first
    /// and nothing is written when one fails; the history gets one entry for the whole store
    /// (`/memories`) heading one per file, kept and listed as one (consolidation and its undo).
    fn apply_batch(&self, ops: &[BatchOp], ctx: WriteCtx<'_>) -> Result<(), StoreError>;

    /// Bring back the files of the folder `folder` (each below it, at a version the history
    /// holds) as one operation: one history entry for the folder, carrying one per file (see
    /// [`HistoryEntry::group`]). A file that exists now is left as it is; nothing is written when
    /// any version is gone from the history or a file's place is taken by something else.
    /// Returns how many files came back.
    fn restore_folder(
        &self,
        folder: &MemPath,
        files: &[(MemPath, Version)],
        ctx: WriteCtx<'_>,
    ) -> Result<usize, StoreError>;

    /// The text of `version` of `path`, for diffs: from the history when it holds the version,
    /// else from the file when that is its current content; `None` when neither has it (the
    /// history was pruned) or it is not UTF-8.
    fn version_text(
        &self,
        path: &MemPath,
        version: &Version,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .read(path)
            .ok()
            .filter(|file| &file.version == version)
            .map(|file| file.text))
    }

    /// Changes from now on. A subscriber that falls too far behind (an event storm: a `git
    /// checkout`, an unzip) receives `RecvError::Lagged` and must reload what it shows with
    /// [`MemoryStore::list`].
    fn subscribe(&self) -> broadcast::Receiver<MemoryChange>;

    /// Everything the store holds, for `memdeck memory migrate`.
    fn dump(&self) -> Result<Dump, StoreError> {
        Err(StoreError::Rejected(format!(
            "{} cannot be copied",
            self.describe()
        )))
    }

    /// Fill an empty store with a dump: files, directories, the history as it was (actors,
    /// times, operations) and every version it names. Refused when the store is not empty.
    fn import(&self, _dump: &Dump) -> Result<(), StoreError> {
        Err(StoreError::Rejected(format!(
            "{} cannot be filled",
            self.describe()
        )))
    }

    /// Ask for a lease on `subject` for `holder` lasting `ttl` (at most [`lease::MAX_TTL`]):
    /// granted with a new fencing token, or the live lease someone else holds.
    fn acquire(&self, subject: &str, holder: &str, ttl: Duration) -> Result<Grant, StoreError>;

    /// Extend a lease still held (same token) to `ttl` from now; `None` when it is gone (ran
    /// out, or released).
    fn renew(&self, lease: &Lease, ttl: Duration) -> Result<Option<Lease>, StoreError>;

    /// Give a lease back; only its own token releases it. `false` when it was already gone.
    fn release(&self, lease: &Lease) -> Result<bool, StoreError>;

    /// The live leases, by subject.
    fn leases(&self) -> Result<Vec<Lease>, StoreError>;

    /// The files that may carry an expiry (front matter with an `expires:` key), for the expiry
    /// sweep; a superset is fine. By default every file; a store that can look inside its
    /// files where they are (Redis) answers without sending each one.
    fn expiring(&self) -> Result<Vec<MemPath>, StoreError> {
        let listing = self.list(&MemPath::root(), usize::MAX)?;
        Ok(listing
            .entries
            .into_iter()
            .filter(|e| e.kind == NodeKind::File)
            .filter_map(|e| MemPath::parse(&format!("/memories/{}", e.relative)).ok())
            .collect())
    }

    /// Leases granted and released from now on (in this process and, through the store, in
    /// others).
    fn lease_events(&self) -> broadcast::Receiver<LeaseEvent>;

    /// For a store on a server: what is wrong with the connection (`None` while it is fine),
    /// updated as it breaks and comes back. Local stores have none.
    fn status(&self) -> Option<tokio::sync::watch::Receiver<Option<String>>> {
        None
    }
}

/// A whole store: what `memory migrate` copies.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dump {
    /// Directories, `/memories/...`, parents before children.
    pub dirs: Vec<String>,
    /// Files and their texts.
    pub files: Vec<(String, String)>,
    pub history: Vec<HistoryEntry>,
    /// The text of every version the history names and the store still keeps.
    pub versions: Vec<(Version, String)>,
    /// What was left out because its path is not a valid memory path (a key planted in a shared
    /// store, a name no tool call could make): the path shown safely, and why.
    pub refused: Vec<(String, String)>,
}

impl Dump {
    /// The dump of a store with these directories and files: its history and the versions it
    /// names are read through the store.
    pub fn of(
        store: &dyn MemoryStore,
        mut dirs: Vec<String>,
        mut files: Vec<(String, String)>,
    ) -> Result<Self, StoreError> {
        dirs.sort();
        files.sort();
        let mut refused = Vec::new();
        let mut keep = |path: &str| match check_stored_path(path) {
            Ok(_) => true,
            Err(why) => {
                let shown = |s: &str| path::display_disk_name(s.as_bytes());
                refused.push((shown(path), shown(&why)));
                false
            }
        };
        dirs.retain(|d| keep(d));
        files.retain(|(f, _)| keep(f));
        let mut history = store.history(None)?;
        history.retain(|e| keep(&e.path) && e.new_path.as_deref().is_none_or(&mut keep));
        let mut versions: Vec<(Version, String)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for entry in &history {
            let path = MemPath::parse(&entry.path).unwrap_or_else(|_| MemPath::root());
            for version in entry.old.iter().chain(&entry.new) {
                if seen.insert(version.clone())
                    && let Some(text) = store.version_text(&path, version)?
                {
                    versions.push((version.clone(), text));
                }
            }
        }
        Ok(Self {
            dirs,
            files,
            history,
            versions,
            refused,
        })
    }

    /// Check every path before a store is filled: a dump holds only valid memory paths (see
    /// [`Dump::of`]), and anything else is refused before anything is written.
    pub fn check(&self) -> Result<(), StoreError> {
        let paths = self
            .dirs
            .iter()
            .chain(self.files.iter().map(|(f, _)| f))
            .chain(self.history.iter().map(|e| &e.path))
            .chain(self.history.iter().filter_map(|e| e.new_path.as_ref()));
        for path in paths {
            if let Err(why) = check_stored_path(path) {
                return Err(StoreError::Rejected(format!(
                    "{} cannot be copied: {why}; nothing was written",
                    path::display_disk_name(path.as_bytes())
                )));
            }
        }
        Ok(())
    }
}

/// The existing path that a new `path` would collide with on a case-insensitive disk: walking
/// down from the root, the first name that does not exist as spelled but does in another letter
/// case. `children` lists a directory's names (none when it does not exist); `moving` is the
/// source of a rename, which may take its own name in another case.
pub(crate) fn case_twin(
    path: &MemPath,
    moving: Option<&MemPath>,
    mut children: impl FnMut(&MemPath) -> Result<Vec<String>, StoreError>,
) -> Result<(), StoreError> {
    let mut dir = MemPath::root();
    for segment in path.segments() {
        let names = children(&dir)?;
        if names.iter().any(|n| n == segment) {
            dir = dir
                .join(segment)
                .map_err(|e| StoreError::Rejected(e.to_string()))?;
            continue;
        }
        let twin = names
            .iter()
            .filter(|n| path::differ_only_in_case(n, segment))
            .find_map(|n| dir.join(n).ok())
            .filter(|twin| Some(twin) != moving);
        return match twin {
            Some(twin) => Err(StoreError::CaseTwin {
                path: path.clone(),
                twin,
            }),
            None => Ok(()),
        };
    }
    Ok(())
}

/// Whether a path read from a store (not typed by a model) is one a tool call could have
/// made: the tool's own validation, in its canonical spelling, below the root. The path, or why
/// not.
pub fn check_stored_path(raw: &str) -> Result<MemPath, String> {
    match MemPath::parse(raw) {
        Ok(p) if p.is_root() => Err("it is the memory root itself".to_owned()),
        Ok(p) if p.to_string() != raw => Err(format!("it is not written the canonical way ({p})")),
        Ok(p) => Ok(p),
        Err(e) => Err(e.to_string()),
    }
}

/// Sizes as the reference prints them: `0B`, `17B`, `2.0K`, `4K`, `1.5M`.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "K", "M", "G"];
    if bytes == 0 {
        return "0B".to_owned();
    }
    let exponent = (bytes.ilog2() / 10).min(3);
    #[allow(clippy::cast_precision_loss)]
    let scaled = bytes as f64 / f64::from(1u32 << (10 * exponent));
    let unit = UNITS[exponent as usize];
    if scaled.fract() == 0.0 {
        format!("{scaled:.0}{unit}")
    } else {
        format!("{scaled:.1}{unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_the_reference_format() {
        assert_eq!(format_size(0), "0B");
        assert_eq!(format_size(17), "17B");
        assert_eq!(format_size(1023), "1023B");
        assert_eq!(format_size(1024), "1K");
        assert_eq!(format_size(2000), "2.0K");
        assert_eq!(format_size(1536), "1.5K");
        assert_eq!(format_size(4096), "4K");
        assert_eq!(format_size(100 * 1024), "100K");
        assert_eq!(format_size(3 * 1024 * 1024 + 1), "3.0M");
        assert_eq!(format_size(5 << 40), "5120G");
    }

    #[test]
    fn version_is_sha256_hex() {
        assert_eq!(
            Version::of(b"").as_str(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
