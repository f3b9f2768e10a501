//! History entries and the choice of a version to restore, shared by every backend.
//!
//! Every change a store makes (and every change its watcher sees) is one [`HistoryEntry`] in an
//! append-only log, with the content hash before and after. The content of every version is
//! kept by hash, so any version named in the log can be brought back.

use serde::{Deserialize, Serialize};

use super::{MemPath, MemoryStore, StoreError, Version, WriteCtx};

/// One recorded change to one path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Position in the log, counting from 1; grows by one per entry across processes.
    pub seq: u64,
    /// Milliseconds since the Unix epoch.
    pub ts_ms: u64,
    /// A persona, `editor`, `external`, or whoever ran the CLI.
    pub actor: String,
    /// The command: `create`, `str_replace`, `insert`, `delete`, `rename`, `save`, `restore`,
    /// or `external` for a change seen by the watcher.
    pub op: String,
    /// The virtual path, `/memories/...`.
    pub path: String,
    /// For renames, where the path went.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_path: Option<String>,
    /// Content before the change (`None`: did not exist, or a directory).
    #[serde(default)]
    pub old: Option<Version>,
    /// Content after the change (`None`: deleted, or a directory).
    #[serde(default)]
    pub new: Option<Version>,
    /// A change to a whole folder (delete, rename, restore) is one operation: the folder's own
    /// entry comes first and every file's entry follows it, all carrying the folder entry's
    /// `seq` here, so that they are listed, kept and undone as one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<u64>,
}

impl HistoryEntry {
    /// Whether the entry concerns `path` or anything below it, under its old or new name.
    pub fn touches(&self, path: &MemPath) -> bool {
        let prefix = path.to_string();
        let under = |p: &str| {
            p == prefix
                || path.is_root()
                || p.strip_prefix(prefix.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        };
        under(&self.path) || self.new_path.as_deref().is_some_and(under)
    }

    /// The versions this entry gives `path` exactly, newest first.
    fn versions_of(&self, path: &str) -> Vec<&Version> {
        let mut out = Vec::new();
        if self.new_path.as_deref() == Some(path) {
            out.extend(self.new.as_ref());
        }
        if self.path == path {
            if self.new_path.is_none() {
                out.extend(self.new.as_ref());
            }
            out.extend(self.old.as_ref());
        }
        out
    }
}

/// The history as operations, oldest first: a folder's operation (its entry and its files'
/// entries, which are always written together) as one slice, every other entry on its own.
pub fn operations(entries: &[HistoryEntry]) -> impl Iterator<Item = &[HistoryEntry]> {
    entries.chunk_by(|a, b| a.group.is_some() && a.group == b.group)
}

/// What restoring a path brought back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Restored {
    /// A file, at this version.
    File(Version),
    /// A folder deleted whole: this many files, each at the version the delete removed.
    Folder { files: usize },
}

/// Restore `path`: a file to a version (see [`MemoryStore::restore`]); or, when `path` names a
/// folder that was deleted whole and no version is asked for, every file the delete removed,
/// each at the version it had, as one operation (see [`MemoryStore::restore_folder`]; a file
/// recreated since is left as it is now).
pub fn restore_path(
    store: &dyn MemoryStore,
    path: &MemPath,
    version: Option<&str>,
    ctx: WriteCtx<'_>,
) -> Result<Restored, StoreError> {
    let err = match store.restore(path, version, ctx) {
        Ok(v) => return Ok(Restored::File(v)),
        Err(e @ (StoreError::NoVersion(_) | StoreError::IsDir(_))) if version.is_none() => e,
        Err(e) => return Err(e),
    };
    let entries = store.history(Some(path))?;
    let Some(files) = deleted_folder(&entries, path) else {
        return Err(err);
    };
    let files = store.restore_folder(path, &files, ctx)?;
    Ok(Restored::Folder { files })
}

/// Refuse a folder restore naming a file that is not below `folder` (each backend checks
/// before it writes anything).
pub fn check_inside(folder: &MemPath, files: &[(MemPath, Version)]) -> Result<(), StoreError> {
    match files
        .iter()
        .find(|(path, _)| !path.starts_with(folder) || path == folder)
    {
        Some((path, _)) => Err(StoreError::Rejected(format!(
            "{path} is not inside the folder {folder}"
        ))),
        None => Ok(()),
    }
}

/// The files (and their versions) that the last delete of the folder `path` removed: the
/// members of its operation (see [`HistoryEntry::group`]). A log written before operations were
/// grouped has no marks: there the delete's files are the entries right after the folder's,
/// by the same actor, below it.
fn deleted_folder(entries: &[HistoryEntry], path: &MemPath) -> Option<Vec<(MemPath, Version)>> {
    let key = path.to_string();
    let below = format!("{key}/");
    let at = entries
        .iter()
        .rposition(|e| e.path == key && e.op == "delete" && e.old.is_none() && e.new.is_none())?;
    let head = &entries[at];
    let members: Vec<&HistoryEntry> = match head.group {
        Some(group) => entries[at + 1..]
            .iter()
            .filter(|e| e.group == Some(group))
            .collect(),
        None => entries[at + 1..]
            .iter()
            .take_while(|e| e.op == head.op && e.actor == head.actor && e.path.starts_with(&below))
            .collect(),
    };
    let files: Vec<(MemPath, Version)> = members
        .into_iter()
        .filter(|e| e.path.starts_with(&below))
        .filter_map(|e| Some((MemPath::parse(&e.path).ok()?, e.old.clone()?)))
        .collect();
    (!files.is_empty()).then_some(files)
}

/// Choose the version of `path` to restore: the one whose hash starts with `wanted`, or by
/// default the newest recorded version that differs from `current`.
pub fn pick_version(
    entries: &[HistoryEntry],
    path: &MemPath,
    current: Option<&Version>,
    wanted: Option<&str>,
) -> Result<Version, StoreError> {
    let key = path.to_string();
    let mut candidates: Vec<&Version> = Vec::new();
    for entry in entries.iter().rev() {
        for version in entry.versions_of(&key) {
            if !candidates.contains(&version) {
                candidates.push(version);
            }
        }
    }
    if candidates.is_empty() {
        return Err(StoreError::NoVersion(format!(
            "{key} has no recorded versions in the history"
        )));
    }
    match wanted {
        Some(prefix) => {
            let prefix = prefix.to_ascii_lowercase();
            if prefix.len() < 4 || !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(StoreError::NoVersion(format!(
                    "'{prefix}' is not a version: give at least 4 hex digits of a hash from \
                     `memdeck memory log {key}`"
                )));
            }
            let matches: Vec<&&Version> = candidates
                .iter()
                .filter(|v| v.as_str().starts_with(&prefix))
                .collect();
            match matches.as_slice() {
                [one] => Ok((**one).clone()),
                [] => Err(StoreError::NoVersion(format!(
                    "no version of {key} starts with {prefix}; `memdeck memory log {key}` lists \
                     them"
                ))),
                _ => Err(StoreError::NoVersion(format!(
                    "{prefix} matches {} versions of {key}; give more digits",
                    matches.len()
                ))),
            }
        }
        None => candidates
            .into_iter()
            .find(|v| Some(*v) != current)
            .cloned()
            .ok_or_else(|| {
                StoreError::NoVersion(format!(
                    "{key} has no version in the history other than its current content"
                ))
            }),
    }
}

/// Restore for a store on a server: the version picked from the history (`version`, or the
/// newest that differs from the current text), saved under the version read (a write in
/// between is a conflict, not overwritten).
pub(crate) fn restore_by_saving(
    store: &dyn super::MemoryStore,
    path: &MemPath,
    version: Option<&str>,
    ctx: super::WriteCtx<'_>,
) -> Result<Version, StoreError> {
    let history = store.history(Some(path))?;
    let current = match store.read(path) {
        Ok(file) => Some(file),
        Err(StoreError::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    let wanted = pick_version(
        &history,
        path,
        current.as_ref().map(|f| &f.version),
        version,
    )?;
    let text = store.version_text(path, &wanted)?.ok_or_else(|| {
        StoreError::NoVersion(format!(
            "version {} of {path} is no longer kept",
            wanted.short()
        ))
    })?;
    let expect = match &current {
        Some(file) => super::Expect::Version(file.version.clone()),
        None => super::Expect::Absent,
    };
    store.save(path, &text, expect, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(
        seq: u64,
        path: &str,
        new_path: Option<&str>,
        old: Option<&str>,
        new: Option<&str>,
    ) -> HistoryEntry {
        HistoryEntry {
            seq,
            ts_ms: 0,
            actor: "t".into(),
            op: "x".into(),
            path: path.into(),
            new_path: new_path.map(Into::into),
            old: old.map(|v| Version::from_hex(v.into())),
            new: new.map(|v| Version::from_hex(v.into())),
            group: None,
        }
    }

    #[test]
    fn default_restore_is_the_newest_other_version() {
        let p = MemPath::parse("/memories/a.md").unwrap();
        let log = [
            entry(1, "/memories/a.md", None, None, Some("aaaa1111")),
            entry(
                2,
                "/memories/a.md",
                None,
                Some("aaaa1111"),
                Some("bbbb2222"),
            ),
            entry(3, "/memories/a.md", None, Some("bbbb2222"), None),
        ];
        let v = |s: &str| Version::from_hex(s.into());
        assert_eq!(pick_version(&log, &p, None, None).unwrap(), v("bbbb2222"));
        assert_eq!(
            pick_version(&log, &p, Some(&v("bbbb2222")), None).unwrap(),
            v("aaaa1111")
        );
        assert_eq!(
            pick_version(&log, &p, None, Some("AAAA")).unwrap(),
            v("aaaa1111")
        );
        assert!(pick_version(&log, &p, None, Some("cccc")).is_err());
        assert!(pick_version(&log, &p, None, Some("aa")).is_err());
    }

    #[test]
    fn renamed_files_keep_their_versions_under_both_names() {
        let old = MemPath::parse("/memories/a.md").unwrap();
        let new = MemPath::parse("/memories/b.md").unwrap();
        let log = [entry(
            1,
            "/memories/a.md",
            Some("/memories/b.md"),
            Some("abcd0000"),
            Some("abcd0000"),
        )];
        assert!(log[0].touches(&old) && log[0].touches(&new));
        assert_eq!(
            pick_version(&log, &old, None, None).unwrap().as_str(),
            "abcd0000"
        );
        assert_eq!(
            pick_version(&log, &new, None, None).unwrap().as_str(),
            "abcd0000"
        );
    }
}
