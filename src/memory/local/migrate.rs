//! A local store copied out whole and filled from a copy (`memdeck memory migrate`).

use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use super::fs::{DIR_MODE, FILE_MODE};
use super::{Inner, LocalStore};
use crate::memory::{Dump, StoreError};

/// Every directory and text file under `dir` (`at` is its virtual path); hidden names (reserved
/// for memdeck's own files, never memories), links and special files are left out.
fn walk(
    dir: &Path,
    at: &str,
    history: &Path,
    dirs: &mut Vec<String>,
    files: &mut Vec<(String, String)>,
) -> Result<(), StoreError> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| StoreError::io(format!("cannot list {at}"), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::io(format!("cannot list {at}"), e))?;
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if name.starts_with('.') || path == history {
            continue;
        }
        let virtual_path = format!("{at}/{name}");
        let meta = std::fs::symlink_metadata(&path)
            .map_err(|e| StoreError::io(format!("cannot examine {virtual_path}"), e))?;
        if meta.is_dir() {
            dirs.push(virtual_path.clone());
            walk(&path, &virtual_path, history, dirs, files)?;
        } else if meta.is_file() {
            let bytes = std::fs::read(&path)
                .map_err(|e| StoreError::io(format!("cannot read {virtual_path}"), e))?;
            let text = String::from_utf8(bytes).map_err(|_| {
                StoreError::Rejected(format!(
                    "{virtual_path} is not UTF-8 text; memory stores hold text only (move it \
                     out of the memory directory, then migrate)"
                ))
            })?;
            files.push((virtual_path, text));
        }
    }
    Ok(())
}

impl LocalStore {
    pub(super) fn dump_local(&self) -> Result<Dump, StoreError> {
        let history_dir = self.history_dir();
        let mut dirs = Vec::new();
        let mut files = Vec::new();
        walk(
            &self.inner.root,
            "/memories",
            &history_dir,
            &mut dirs,
            &mut files,
        )?;
        Dump::of(self, dirs, files)
    }

    pub(super) fn import_local(&self, dump: &Dump) -> Result<(), StoreError> {
        dump.check()?;
        let inner: &Inner = &self.inner;
        let mut locked = inner.lock()?;
        let history_dir = locked.state.history.dir().to_owned();
        let occupied = std::fs::read_dir(&inner.root)
            .map_err(|e| StoreError::io("cannot list the memory directory", e))?
            .filter_map(Result::ok)
            .any(|e| e.path() != history_dir);
        let had_history = !locked
            .state
            .history
            .entries()
            .map_err(|e| StoreError::io("cannot read the history log", e))?
            .is_empty();
        if occupied || had_history {
            return Err(StoreError::Rejected(format!(
                "{} is not empty; migrate into an empty store (or `memdeck memory reset` it first)",
                inner.root.display()
            )));
        }
        let local = |virtual_path: &str| {
            inner
                .root
                .join(virtual_path.strip_prefix("/memories/").unwrap_or_default())
        };
        for dir in &dump.dirs {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(DIR_MODE)
                .create(local(dir))
                .map_err(|e| StoreError::io(format!("cannot create {dir}"), e))?;
        }
        for (path, text) in &dump.files {
            let target = local(path);
            if let Some(parent) = target.parent() {
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(DIR_MODE)
                    .create(parent)
                    .map_err(|e| {
                        StoreError::io(format!("cannot create the folder of {path}"), e)
                    })?;
            }
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(FILE_MODE)
                .open(&target)
                .map_err(|e| StoreError::io(format!("cannot create {path}"), e))?;
            file.write_all(text.as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| StoreError::io(format!("cannot write {path}"), e))?;
        }
        let history = &mut locked.state.history;
        for (version, text) in &dump.versions {
            history
                .put_blob(text.as_bytes(), version, false)
                .map_err(|e| StoreError::io("cannot write the history's versions", e))?;
        }
        history
            .sync_pack()
            .map_err(|e| StoreError::io("cannot sync the history's versions", e))?;
        history
            .import(&dump.history)
            .map_err(|e| StoreError::io("cannot write the history log", e))?;
        Ok(())
    }
}
