//! Shared fixture for the integration tests: a memory directory with a sentinel directory
//! beside it, both in a fresh temp directory under Cargo's target dir.
#![allow(dead_code, clippy::unwrap_used, clippy::pedantic)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use memdeck::memory::{LocalOptions, LocalStore, MemoryStore, ToolResult, execute};
use serde_json::Value;
use tempfile::TempDir;

pub struct Fixture {
    pub tmp: TempDir,
    pub mem: PathBuf,
    pub sentinel: PathBuf,
    pub store: LocalStore,
}

impl Fixture {
    pub fn new() -> Self {
        Self::with(|_| {})
    }

    pub fn with(tune: impl FnOnce(&mut LocalOptions)) -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("memdeck-test-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .unwrap();
        let mem = tmp.path().join("memories");
        let sentinel = tmp.path().join("outside");
        fs::create_dir_all(sentinel.join("nested")).unwrap();
        fs::write(sentinel.join("secret.txt"), "top secret\n").unwrap();
        fs::write(sentinel.join("nested/deep.txt"), "deep\n").unwrap();
        let mut options = LocalOptions::new(&mem);
        tune(&mut options);
        let store = LocalStore::open(&options).unwrap();
        Self {
            tmp,
            mem,
            sentinel,
            store,
        }
    }

    /// Run a tool call as the model would.
    pub fn exec(&self, input: Value) -> ToolResult {
        execute(&self.store, &input, "test")
    }

    pub fn ok(&self, input: Value) -> String {
        let r = self.exec(input.clone());
        assert!(!r.is_error, "{input} failed: {}", r.content);
        r.content
    }

    pub fn err(&self, input: Value) -> String {
        let r = self.exec(input.clone());
        assert!(r.is_error, "{input} should fail but gave: {}", r.content);
        r.content
    }

    pub fn write(&self, rel: &str, content: &str) {
        let path = self.mem.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.mem.join(rel)).unwrap()
    }

    /// Size of a directory as `view` prints it (filesystems differ).
    pub fn dir_size(&self, rel: &str) -> String {
        memdeck::memory::format_size(fs::metadata(self.mem.join(rel)).unwrap().len())
    }
}

/// Everything under `dir`: path -> (kind, bytes or link target, mode), links not followed.
pub fn tree(dir: &Path) -> BTreeMap<String, (char, Vec<u8>, u32)> {
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, (char, Vec<u8>, u32)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let entry = entry.unwrap();
        let path = entry.path();
        let meta = fs::symlink_metadata(&path).unwrap();
        let key = path
            .strip_prefix(base)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let mode = meta.mode() & 0o7777;
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&path).unwrap();
            out.insert(
                key,
                (
                    'l',
                    target.to_string_lossy().into_owned().into_bytes(),
                    mode,
                ),
            );
        } else if meta.is_dir() {
            out.insert(key, ('d', Vec::new(), mode));
            walk(base, &path, out);
        } else if meta.is_file() {
            out.insert(key, ('f', fs::read(&path).unwrap(), mode));
        } else {
            out.insert(key, ('o', Vec::new(), mode));
        }
    }
}

pub fn store_dyn(f: &Fixture) -> &dyn MemoryStore {
    &f.store
}
