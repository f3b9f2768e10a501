//! The filesystem stage of path validation, and the atomic file operations.
//!
//! Everything here works relative to an open directory descriptor: a path is walked one name at a
//! time with `openat(O_NOFOLLOW | O_DIRECTORY)`, so a symlink anywhere below the root is refused
//! at the moment it is used, and a directory swapped for a link between a check and a use cannot
//! lead outside. The last name is examined with `fstatat(AT_SYMLINK_NOFOLLOW)` before it is
//! opened, FIFOs and devices are never opened, and an opened file is checked again with `fstat`.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags, RenameFlags};
use rustix::io::Errno;

use crate::memory::path::is_unlisted_name;
use crate::memory::{MemPath, StoreError};

/// Prefix of our temp files: hidden, so never listed and never nameable by the model.
pub const TEMP_PREFIX: &str = ".memdeck-tmp-";
/// Mode of directories we create (as the reference: owner only).
pub const DIR_MODE: u32 = 0o700;
/// Mode of files we create (as the reference: owner only). Existing files keep theirs.
pub const FILE_MODE: u32 = 0o600;

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// What `stat` says of one name, reduced to what the store needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Meta {
    pub kind: Kind,
    pub size: u64,
    pub mode: u32,
    pub nlink: u64,
    pub dev: u64,
    pub ino: u64,
    /// Modification and change times in nanoseconds: with size and inode, a cheap signature
    /// telling whether a file must be hashed again.
    pub mtime_ns: i128,
    pub ctime_ns: i128,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Symlink,
    Other,
}

impl Meta {
    #[allow(
        clippy::cast_sign_loss,
        clippy::cast_possible_wrap,
        clippy::unnecessary_cast,
        clippy::useless_conversion
    )]
    pub fn from_stat(st: &rfs::Stat) -> Self {
        let kind = match FileType::from_raw_mode(st.st_mode as _) {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            FileType::Symlink => Kind::Symlink,
            _ => Kind::Other,
        };
        let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
        Self {
            kind,
            size: st.st_size.max(0) as u64,
            mode: (st.st_mode as u32) & 0o7777,
            nlink: st.st_nlink as u64,
            dev: st.st_dev as u64,
            ino: st.st_ino as u64,
            mtime_ns: ns(st.st_mtime as i64, st.st_mtime_nsec as i64),
            ctime_ns: ns(st.st_ctime as i64, st.st_ctime_nsec as i64),
        }
    }
}

/// Open the store root (following a link there is the user's choice), creating it if missing.
pub fn open_root(root: &Path) -> io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    match rfs::open(root, flags, Mode::empty()) {
        Err(Errno::NOENT) => {
            create_dir_all(root)?;
            Ok(rfs::open(root, flags, Mode::empty())?)
        }
        other => Ok(other?),
    }
}

/// `mkdir -p` with owner-only modes for the directories it makes.
pub fn create_dir_all(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(path)
}

/// `stat` of `name` in `dir` without following a link; `None` when it does not exist.
pub fn meta_at(dir: BorrowedFd<'_>, name: &str) -> io::Result<Option<Meta>> {
    match rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(Meta::from_stat(&st))),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub fn meta_of(fd: BorrowedFd<'_>) -> io::Result<Meta> {
    Ok(Meta::from_stat(&rfs::fstat(fd)?))
}

/// Open the directory `name` in `dir`, refusing links.
pub fn open_dir_at(dir: BorrowedFd<'_>, name: &str) -> io::Result<OwnedFd> {
    Ok(rfs::openat(dir, name, DIR_FLAGS, Mode::empty())?)
}

/// Walk from the root to the directory that holds `path` (to `path` itself when `inclusive`).
///
/// With `create`, missing directories are made; otherwise a missing or non-directory component
/// makes the whole path [`StoreError::NotFound`].
pub fn walk(
    root: BorrowedFd<'_>,
    path: &MemPath,
    inclusive: bool,
    create: bool,
) -> Result<OwnedFd, StoreError> {
    let segments = path.segments();
    let count = if inclusive {
        segments.len()
    } else {
        segments.len().saturating_sub(1)
    };
    let mut current = root
        .try_clone_to_owned()
        .map_err(|e| StoreError::io("cannot open the memory directory", e))?;
    for (i, name) in segments[..count].iter().enumerate() {
        let prefix = || prefix_path(path, i + 1);
        current = match rfs::openat(&current, name.as_str(), DIR_FLAGS, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) if create => {
                match rfs::mkdirat(&current, name.as_str(), Mode::from_raw_mode(DIR_MODE)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(StoreError::io(format!("cannot create {}", prefix()), e)),
                }
                rfs::openat(&current, name.as_str(), DIR_FLAGS, Mode::empty()).map_err(|e| {
                    classify_walk_error(current.as_fd(), name, e, path, prefix(), create)
                })?
            }
            Err(e) => {
                return Err(classify_walk_error(
                    current.as_fd(),
                    name,
                    e,
                    path,
                    prefix(),
                    create,
                ));
            }
        };
    }
    Ok(current)
}

fn prefix_path(path: &MemPath, len: usize) -> MemPath {
    let mut p = MemPath::root();
    for segment in &path.segments()[..len] {
        // Segments of a parsed path are valid, so joining them again cannot fail.
        p = p.join(segment).unwrap_or_else(|_| MemPath::root());
    }
    p
}

/// Turn a failed `openat` of a directory component into an error that says what is there.
fn classify_walk_error(
    dir: BorrowedFd<'_>,
    name: &str,
    err: Errno,
    path: &MemPath,
    component: MemPath,
    create: bool,
) -> StoreError {
    if err == Errno::NOENT {
        return StoreError::NotFound(path.clone());
    }
    match meta_at(dir, name) {
        Ok(Some(meta)) => match meta.kind {
            Kind::Symlink => StoreError::Symlink {
                path: path.clone(),
                link: component,
            },
            Kind::File if create => StoreError::ParentIsFile {
                path: path.clone(),
                file: component,
            },
            Kind::File => StoreError::NotFound(path.clone()),
            Kind::Other => StoreError::Unsupported(component),
            Kind::Dir => StoreError::io(format!("cannot open {component}"), err),
        },
        Ok(None) => StoreError::NotFound(path.clone()),
        Err(e) => StoreError::io(format!("cannot examine {component}"), e),
    }
}

/// Open a regular file for reading, after checking what the name is, without following links
/// and without ever opening a FIFO or a device.
pub fn open_regular(
    dir: BorrowedFd<'_>,
    name: &str,
    path: &MemPath,
) -> Result<(File, Meta), StoreError> {
    let before = match meta_at(dir, name) {
        Ok(Some(meta)) => meta,
        Ok(None) => return Err(StoreError::NotFound(path.clone())),
        Err(e) => return Err(StoreError::io(format!("cannot examine {path}"), e)),
    };
    check_regular(&before, path)?;
    let flags =
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = match rfs::openat(dir, name, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Err(StoreError::NotFound(path.clone())),
        Err(Errno::LOOP) => {
            return Err(StoreError::Symlink {
                path: path.clone(),
                link: path.clone(),
            });
        }
        Err(e) => return Err(StoreError::io(format!("cannot open {path}"), e)),
    };
    let meta =
        meta_of(fd.as_fd()).map_err(|e| StoreError::io(format!("cannot examine {path}"), e))?;
    // The name may have been swapped between the two looks: trust only the open file.
    check_regular(&meta, path)?;
    Ok((File::from(fd), meta))
}

fn check_regular(meta: &Meta, path: &MemPath) -> Result<(), StoreError> {
    match meta.kind {
        Kind::File if meta.nlink > 1 => Err(StoreError::HardLinked {
            path: path.clone(),
            links: meta.nlink,
        }),
        Kind::File => Ok(()),
        Kind::Dir => Err(StoreError::IsDir(path.clone())),
        Kind::Symlink => Err(StoreError::Symlink {
            path: path.clone(),
            link: path.clone(),
        }),
        Kind::Other => Err(StoreError::Unsupported(path.clone())),
    }
}

/// Read an open file whole, refusing more than `limit` bytes.
pub fn read_limited(
    file: &mut File,
    meta: &Meta,
    path: &MemPath,
    limit: u64,
) -> Result<Vec<u8>, StoreError> {
    if meta.size > limit {
        return Err(StoreError::TooLarge {
            path: path.clone(),
            size: meta.size,
            limit,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.size).unwrap_or(0));
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| StoreError::io(format!("cannot read {path}"), e))?;
    if bytes.len() as u64 > limit {
        return Err(StoreError::TooLarge {
            path: path.clone(),
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// A fresh hidden temp file name, unique across processes and threads.
pub fn temp_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{TEMP_PREFIX}{}-{}-{nanos:08x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Write `data` to `name` in `dir` atomically: a hidden temp file in the same directory, synced,
/// renamed into place, and the directory synced. With `no_replace` an existing `name` is never
/// overwritten ([`Errno::EXIST`] comes back instead). `unchanged` is asked just before the
/// rename; when it says no, nothing is written and the answer is `false`.
pub fn write_atomic(
    dir: BorrowedFd<'_>,
    name: &str,
    data: &[u8],
    mode: u32,
    no_replace: bool,
    unchanged: &mut dyn FnMut() -> bool,
) -> io::Result<bool> {
    let temp = temp_name();
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rfs::openat(dir, temp.as_str(), flags, Mode::from_raw_mode(mode))?;
    let result = (|| -> io::Result<bool> {
        // The umask may have cut the mode: set it exactly.
        rfs::fchmod(&fd, Mode::from_raw_mode(mode))?;
        let mut file = File::from(fd);
        file.write_all(data)?;
        rfs::fdatasync(&file)?;
        drop(file);
        // The last moment to notice that someone else changed the file meanwhile.
        if !unchanged() {
            return Ok(false);
        }
        if no_replace {
            rfs::renameat_with(dir, temp.as_str(), dir, name, RenameFlags::NOREPLACE)?;
        } else {
            rfs::renameat(dir, temp.as_str(), dir, name)?;
        }
        Ok(true)
    })();
    match result {
        Ok(true) => {}
        Ok(false) => {
            let _ = rfs::unlinkat(dir, temp.as_str(), AtFlags::empty());
            return Ok(false);
        }
        Err(e) => {
            let _ = rfs::unlinkat(dir, temp.as_str(), AtFlags::empty());
            return Err(e);
        }
    }
    rfs::fsync(dir)?;
    Ok(true)
}

/// Names in a directory, sorted bytewise (code point order for UTF-8), without `.` and `..`.
pub fn read_names(dir: BorrowedFd<'_>) -> io::Result<Vec<Vec<u8>>> {
    let mut names = Vec::new();
    for entry in rfs::Dir::read_from(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            names.push(name.to_vec());
        }
    }
    names.sort();
    Ok(names)
}

/// Remove `name` from `dir`: a file, link or special file is unlinked (a link, never its
/// target); a directory is emptied recursively without following links, then removed.
pub fn remove_tree(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<()> {
    let meta = match rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Meta::from_stat(&st),
        Err(Errno::NOENT) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    if meta.kind == Kind::Dir {
        let sub = rfs::openat(dir, name, DIR_FLAGS, Mode::empty())?;
        for child in read_names(sub.as_fd())? {
            remove_tree(sub.as_fd(), &child)?;
        }
        match rfs::unlinkat(dir, name, AtFlags::REMOVEDIR) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(e.into()),
        }
    } else {
        match rfs::unlinkat(dir, name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// The name of a directory entry as text, when it is valid UTF-8 that needs no escaping.
fn plain_name(name: &[u8]) -> Option<&str> {
    std::str::from_utf8(name)
        .ok()
        .filter(|n| !n.chars().any(crate::memory::path::is_control_or_format))
}

/// Called with a file's directory, raw name, relative path and metadata.
pub type VisitFile<'v> = dyn FnMut(BorrowedFd<'_>, &[u8], &str, &Meta) + 'v;

/// Walk below `dir` for a delete that spares what memdeck does not show: every entry whose path
/// relative to `dir` (`/`-separated) `removable` accepts is visited (files, links and special
/// files through `visit`, directories walked into); every other entry is added to `kept`,
/// shown safely, and left alone with everything below it.
pub fn walk_removable(
    dir: BorrowedFd<'_>,
    prefix: &str,
    removable: &dyn Fn(&str) -> bool,
    visit: &mut VisitFile<'_>,
    kept: &mut Vec<String>,
) -> io::Result<()> {
    for name in read_names(dir)? {
        let join = |n: &str| {
            if prefix.is_empty() {
                n.to_owned()
            } else {
                format!("{prefix}/{n}")
            }
        };
        let Some(relative) = plain_name(&name).map(join).filter(|r| removable(r)) else {
            kept.push(join(&crate::memory::path::display_disk_name(&name)));
            continue;
        };
        let meta = match rfs::statat(dir, name.as_slice(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Meta::from_stat(&st),
            Err(Errno::NOENT) => continue,
            Err(e) => return Err(e.into()),
        };
        if meta.kind == Kind::Dir {
            let sub = rfs::openat(dir, name.as_slice(), DIR_FLAGS, Mode::empty())?;
            walk_removable(sub.as_fd(), &relative, removable, visit, kept)?;
        } else {
            visit(dir, &name, &relative, &meta);
        }
    }
    Ok(())
}

/// Remove the directory `name` in `dir` except what `removable` spares (see
/// [`walk_removable`]), one directory descriptor per level so that no link is followed:
/// directories still holding something spared stay. Returns whether `name` itself is gone.
pub fn remove_except(
    dir: BorrowedFd<'_>,
    name: &[u8],
    removable: &dyn Fn(&str) -> bool,
) -> io::Result<bool> {
    let sub = rfs::openat(dir, name, DIR_FLAGS, Mode::empty())?;
    if !remove_below(sub.as_fd(), "", removable)? {
        return Ok(false);
    }
    match rfs::unlinkat(dir, name, AtFlags::REMOVEDIR) {
        Ok(()) | Err(Errno::NOENT) => Ok(true),
        Err(Errno::NOTEMPTY | Errno::EXIST) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Remove what `removable` accepts below `dir`; whether `dir` is now empty.
fn remove_below(
    dir: BorrowedFd<'_>,
    prefix: &str,
    removable: &dyn Fn(&str) -> bool,
) -> io::Result<bool> {
    let mut emptied = true;
    for name in read_names(dir)? {
        let relative = plain_name(&name).map(|n| {
            if prefix.is_empty() {
                n.to_owned()
            } else {
                format!("{prefix}/{n}")
            }
        });
        let Some(relative) = relative.filter(|r| removable(r)) else {
            emptied = false;
            continue;
        };
        let kind = match rfs::statat(dir, name.as_slice(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Meta::from_stat(&st).kind,
            Err(Errno::NOENT) => continue,
            Err(e) => return Err(e.into()),
        };
        let removed = if kind == Kind::Dir {
            let sub = rfs::openat(dir, name.as_slice(), DIR_FLAGS, Mode::empty())?;
            remove_below(sub.as_fd(), &relative, removable)?
                && match rfs::unlinkat(dir, name.as_slice(), AtFlags::REMOVEDIR) {
                    Ok(()) | Err(Errno::NOENT) => true,
                    Err(Errno::NOTEMPTY | Errno::EXIST) => false,
                    Err(e) => return Err(e.into()),
                }
        } else {
            match rfs::unlinkat(dir, name.as_slice(), AtFlags::empty()) {
                Ok(()) | Err(Errno::NOENT) => true,
                Err(e) => return Err(e.into()),
            }
        };
        emptied &= removed;
    }
    Ok(emptied)
}

/// Rename without ever replacing the destination.
pub fn rename_no_replace(
    from_dir: BorrowedFd<'_>,
    from: &str,
    to_dir: BorrowedFd<'_>,
    to: &str,
) -> Result<(), Errno> {
    rfs::renameat_with(from_dir, from, to_dir, to, RenameFlags::NOREPLACE)
}

pub fn sync_dir(dir: BorrowedFd<'_>) -> io::Result<()> {
    Ok(rfs::fsync(dir)?)
}

/// One regular file or directory found by [`walk_tree`].
pub struct Found {
    /// Path below the walked directory, `/`-separated, escaped for display where needed.
    pub relative: String,
    pub meta: Meta,
}

/// [`walk_tree`] over the whole tree below `dir`, hidden items left out, where a folder that
/// cannot be read is an error (for walks that must see every file: a folder's move or delete,
/// the watcher's scan).
pub fn walk_all(
    dir: BorrowedFd<'_>,
    out: &mut Vec<Found>,
    on_file: &mut dyn FnMut(BorrowedFd<'_>, &[u8], &Found),
) -> io::Result<()> {
    walk_tree(dir, "", usize::MAX, false, out, on_file, &mut |_, e| Err(e))
}

/// Every directory and regular file under `dir`, depth-first, names sorted, links and special
/// files skipped, hidden items and editor leftovers skipped unless `include_hidden`.
/// `on_file` may read each file through the directory descriptor it is given. A subdirectory
/// that cannot be read goes to `on_unreadable` with its relative path and the error: returning
/// the error stops the walk; returning `Ok` leaves that subdirectory out and goes on.
pub fn walk_tree(
    dir: BorrowedFd<'_>,
    prefix: &str,
    depth_left: usize,
    include_hidden: bool,
    out: &mut Vec<Found>,
    on_file: &mut dyn FnMut(BorrowedFd<'_>, &[u8], &Found),
    on_unreadable: &mut dyn FnMut(&str, io::Error) -> io::Result<()>,
) -> io::Result<()> {
    for name in read_names(dir)? {
        if !include_hidden && is_unlisted_name(&name) {
            continue;
        }
        let meta = match rfs::statat(dir, name.as_slice(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Meta::from_stat(&st),
            // Gone since the directory was read: skip it.
            Err(Errno::NOENT) => continue,
            Err(e) => return Err(e.into()),
        };
        let shown = crate::memory::path::display_disk_name(&name);
        let relative = if prefix.is_empty() {
            shown
        } else {
            format!("{prefix}/{shown}")
        };
        let found = Found { relative, meta };
        match meta.kind {
            Kind::File => {
                on_file(dir, &name, &found);
                out.push(found);
            }
            Kind::Dir => {
                let sub_prefix = found.relative.clone();
                out.push(found);
                if depth_left > 1 {
                    let walked = match rfs::openat(dir, name.as_slice(), DIR_FLAGS, Mode::empty()) {
                        Ok(sub) => walk_tree(
                            sub.as_fd(),
                            &sub_prefix,
                            depth_left - 1,
                            include_hidden,
                            out,
                            on_file,
                            on_unreadable,
                        ),
                        Err(Errno::NOENT | Errno::LOOP | Errno::NOTDIR) => Ok(()),
                        Err(e) => Err(e.into()),
                    };
                    if let Err(e) = walked {
                        on_unreadable(&sub_prefix, e)?;
                    }
                }
            }
            Kind::Symlink | Kind::Other => {}
        }
    }
    Ok(())
}

/// Open a regular file by its raw name for reading (used by tree walks; checks as
/// [`open_regular`] does, but reports plain I/O errors).
pub fn open_raw_regular(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<(File, Meta)> {
    let flags =
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = rfs::openat(dir, name, flags, Mode::empty())?;
    let meta = meta_of(fd.as_fd())?;
    if meta.kind != Kind::File {
        return Err(io::Error::other("not a regular file"));
    }
    Ok((File::from(fd), meta))
}
