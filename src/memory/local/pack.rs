//! The bytes of every recorded version, in one append-only pack file.
//!
//! A record is the version's hash as 64 hex digits, its length as 8 little-endian bytes, then
//! the bytes. One file instead of a file per version: recording a version allocates no inode
//! (on ext4, allocating inodes among many recently deleted ones made every write slower), and a
//! flush syncs one file. The index (hash to place) is rebuilt by reading the record headers.
//! Appends happen under the store lock; a record cut short by a crash is cut off at the next
//! look, before anything else is appended.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::memory::Version;

use super::fs::temp_name;

const HASH_LEN: usize = 64;
const HEADER_LEN: usize = HASH_LEN + 8;
/// The header length as a file offset.
const HEADER: u64 = HEADER_LEN as u64;

pub struct Pack {
    path: PathBuf,
    file: File,
    /// Inode of the open file: a prune by another process replaces it, and we must reopen.
    ino: u64,
    /// Where each version's bytes start, and how many there are.
    index: HashMap<Version, (u64, u64)>,
    /// End of the last whole record read.
    end: u64,
}

impl Pack {
    pub fn open(path: &Path) -> io::Result<Self> {
        let (file, ino) = open_append(path)?;
        // Not read here: `refresh` cuts torn records, which is only safe under the store lock.
        Ok(Self {
            path: path.to_owned(),
            file,
            ino,
            index: HashMap::new(),
            end: 0,
        })
    }

    /// Read the headers of records appended since we last looked (by any process). Call with
    /// the store lock held.
    pub fn refresh(&mut self) -> io::Result<()> {
        let on_disk = fs::metadata(&self.path).map(|m| m.ino()).ok();
        if on_disk != Some(self.ino) {
            let (file, ino) = open_append(&self.path)?;
            self.file = file;
            self.ino = ino;
            self.index.clear();
            self.end = 0;
        }
        let size = self.file.metadata()?.len();
        let mut header = [0u8; HEADER_LEN];
        while self.end + HEADER <= size {
            self.file.read_exact_at(&mut header, self.end)?;
            let len = u64::from_le_bytes(header[HASH_LEN..].try_into().unwrap_or([0; 8]));
            let start = self.end + HEADER;
            if start + len > size {
                break;
            }
            let hex = String::from_utf8_lossy(&header[..HASH_LEN]).into_owned();
            self.index.insert(Version::from_hex(hex), (start, len));
            self.end = start + len;
        }
        if self.end < size {
            // A writer died mid-record (appends happen under the lock we hold): cut it off so
            // the next record starts on a boundary.
            self.file.set_len(self.end)?;
        }
        Ok(())
    }

    pub fn contains(&self, version: &Version) -> bool {
        self.index.contains_key(version)
    }

    /// Append records not already present, in one write.
    pub fn append<'a>(
        &mut self,
        records: impl IntoIterator<Item = (&'a Version, &'a [u8])>,
    ) -> io::Result<()> {
        let mut buf = Vec::new();
        let mut added = Vec::new();
        for (version, bytes) in records {
            if self.contains(version) || added.iter().any(|(v, _, _)| v == version) {
                continue;
            }
            let start = self.end + buf.len() as u64 + HEADER;
            buf.extend_from_slice(version.as_str().as_bytes());
            buf.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            buf.extend_from_slice(bytes);
            added.push((version.clone(), start, bytes.len() as u64));
        }
        if buf.is_empty() {
            return Ok(());
        }
        // Opened for appending: the write lands at the end, which is `self.end` under the lock.
        self.file.write_all(&buf)?;
        self.end += buf.len() as u64;
        for (version, start, len) in added {
            self.index.insert(version, (start, len));
        }
        Ok(())
    }

    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }

    /// The bytes of a version, checked against its hash.
    pub fn read(&self, version: &Version) -> io::Result<Vec<u8>> {
        let &(start, len) = self.index.get(version).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("version {} is not in the history", version.short()),
            )
        })?;
        let mut bytes = vec![0; usize::try_from(len).map_err(io::Error::other)?];
        self.file.read_exact_at(&mut bytes, start)?;
        if Version::of(&bytes) != *version {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the history copy of version {} is damaged", version.short()),
            ));
        }
        Ok(bytes)
    }

    /// Rewrite the pack with only the versions in `keep` (a prune); synced before it replaces
    /// the old pack.
    pub fn retain(&mut self, keep: &HashSet<&Version>) -> io::Result<()> {
        let dir = self.path.parent().unwrap_or_else(|| Path::new("."));
        let temp = dir.join(temp_name());
        let mut out = File::create_new(&temp)?;
        let mut kept: Vec<(&Version, &(u64, u64))> = self
            .index
            .iter()
            .filter(|(v, _)| keep.contains(v))
            .collect();
        kept.sort_by_key(|(_, place)| place.0);
        for (version, &(start, len)) in kept {
            let mut bytes = vec![0; usize::try_from(len).map_err(io::Error::other)?];
            self.file.read_exact_at(&mut bytes, start)?;
            out.write_all(version.as_str().as_bytes())?;
            out.write_all(&len.to_le_bytes())?;
            out.write_all(&bytes)?;
        }
        out.sync_data()?;
        fs::rename(&temp, &self.path)?;
        File::open(dir)?.sync_all()?;
        self.refresh()
    }
}

/// Open (creating) a file for reading and appending, with its inode number.
pub fn open_append(path: &Path) -> io::Result<(File, u64)> {
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)?;
    let ino = file.metadata()?.ino();
    Ok((file, ino))
}
