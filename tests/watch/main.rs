//! Changes made outside memdeck (a person's editor, another program, another memdeck process)
//! become exactly one `external` change each, promptly, and are recorded in the history.
#![allow(clippy::unwrap_used, clippy::pedantic)]

#[path = "../support/mod.rs"]
mod support;

use support::fixture;

use std::fs;
use std::io::Write;
use std::sync::{PoisonError, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use fixture::Fixture;
use memdeck::memory::{
    ChangeKind, Expect, LocalOptions, LocalStore, MemPath, MemoryChange, MemoryStore, Version,
    WatchMode, WriteCtx,
};
use tokio::sync::broadcast::Receiver;

/// Changes that arrive within `window`, waiting at most `limit` for the first one.
fn collect(
    rx: &mut Receiver<MemoryChange>,
    limit: Duration,
    window: Duration,
) -> (Vec<MemoryChange>, Duration) {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut first_at = limit;
    loop {
        while let Ok(change) = rx.try_recv() {
            if got.is_empty() {
                first_at = start.elapsed();
            }
            got.push(change);
        }
        let waited = start.elapsed();
        if (got.is_empty() && waited >= limit) || (!got.is_empty() && waited >= first_at + window) {
            return (got, first_at);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Watcher tests run side by side, except the one that finds its watcher thread by name: it holds
/// this for writing, the others for reading, so no other watcher starts while it looks.
static WATCHERS: RwLock<()> = RwLock::new(());

fn watched() -> (
    Fixture,
    Receiver<MemoryChange>,
    RwLockReadGuard<'static, ()>,
) {
    let side_by_side = WATCHERS.read().unwrap_or_else(PoisonError::into_inner);
    let (f, rx) = start_watching();
    (f, rx, side_by_side)
}

fn start_watching() -> (Fixture, Receiver<MemoryChange>) {
    let f = Fixture::new();
    f.write("a.md", "first\n");
    assert_eq!(f.store.watch().unwrap(), WatchMode::Events);
    let rx = f.store.subscribe();
    (f, rx)
}

const LIMIT: Duration = Duration::from_millis(500);
const SETTLE: Duration = Duration::from_millis(400);

#[test]
fn a_plain_external_write_is_one_change() {
    let (f, mut rx, _side_by_side) = watched();
    fs::write(f.mem.join("new.md"), "hello\n").unwrap();
    let (changes, after) = collect(&mut rx, LIMIT, SETTLE);
    assert!(after < LIMIT, "no change within 500 ms");
    assert_eq!(
        changes,
        [MemoryChange {
            path: "/memories/new.md".into(),
            kind: ChangeKind::Created,
            actor: "external".into(),
            version: Some(Version::of(b"hello\n")),
            is_dir: false,
        }]
    );
    fs::write(f.mem.join("a.md"), "edited\n").unwrap();
    let (changes, after) = collect(&mut rx, LIMIT, SETTLE);
    assert!(after < LIMIT);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].kind, ChangeKind::Modified);
    // The history has both, as external changes with the previous version kept.
    let path = MemPath::parse("/memories/a.md").unwrap();
    let log = f.store.history(Some(&path)).unwrap();
    let last = log.last().unwrap();
    assert_eq!(
        (last.actor.as_str(), last.op.as_str()),
        ("external", "external")
    );
    assert_eq!(last.old, Some(Version::of(b"first\n")));
    assert_eq!(last.new, Some(Version::of(b"edited\n")));
}

#[test]
fn a_vim_style_rename_save_is_one_change() {
    let (f, mut rx, _side_by_side) = watched();
    // What vim does by default: probe file, rename the original to a backup, write a new file,
    // remove the backup.
    fs::write(f.mem.join("4913"), "").unwrap();
    fs::remove_file(f.mem.join("4913")).unwrap();
    fs::rename(f.mem.join("a.md"), f.mem.join("a.md~")).unwrap();
    let mut file = fs::File::create(f.mem.join("a.md")).unwrap();
    file.write_all(b"saved by vim\n").unwrap();
    file.sync_all().unwrap();
    drop(file);
    fs::remove_file(f.mem.join("a.md~")).unwrap();
    let (changes, after) = collect(&mut rx, LIMIT, SETTLE);
    assert!(after < LIMIT, "no change within 500 ms");
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].path, "/memories/a.md");
    assert_eq!(changes[0].kind, ChangeKind::Modified);
    assert_eq!(changes[0].actor, "external");
}

#[test]
fn own_writes_are_not_echoed_as_external() {
    let (f, mut rx, _side_by_side) = watched();
    let path = MemPath::parse("/memories/tab.md").unwrap();
    f.store
        .save(
            &path,
            "from a tab",
            Expect::Absent,
            WriteCtx::new("Alice", "create"),
        )
        .unwrap();
    let (changes, _) = collect(&mut rx, LIMIT, SETTLE);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].actor, "Alice");
}

#[test]
fn renames_and_deletes_by_others() {
    let (f, mut rx, _side_by_side) = watched();
    fs::rename(f.mem.join("a.md"), f.mem.join("b.md")).unwrap();
    let (changes, _) = collect(&mut rx, LIMIT, SETTLE);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].path, "/memories/b.md");
    assert_eq!(
        changes[0].kind,
        ChangeKind::Renamed {
            from: "/memories/a.md".into()
        }
    );
    fs::remove_file(f.mem.join("b.md")).unwrap();
    let (changes, _) = collect(&mut rx, LIMIT, SETTLE);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].kind, ChangeKind::Deleted);
    // The deleted content can be restored.
    let b = MemPath::parse("/memories/b.md").unwrap();
    f.store
        .restore(&b, None, WriteCtx::new("t", "restore"))
        .unwrap();
    assert_eq!(f.read("b.md"), "first\n");
}

#[test]
fn another_process_writes_are_seen_and_recorded_once() {
    let (f, mut rx, _side_by_side) = watched();
    let other = LocalStore::open(&LocalOptions::new(&f.mem)).unwrap();
    let path = MemPath::parse("/memories/a.md").unwrap();
    other
        .save(
            &path,
            "from the other process\n",
            Expect::Any,
            WriteCtx::new("Sam", "str_replace"),
        )
        .unwrap();
    let (changes, _) = collect(&mut rx, LIMIT, SETTLE);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].actor, "external");
    let log = f.store.history(Some(&path)).unwrap();
    assert_eq!(
        log.last().unwrap().actor,
        "Sam",
        "the change was recorded twice: {log:?}"
    );
}

/// This process's threads named `name`.
fn threads(name: &str) -> Vec<std::path::PathBuf> {
    fs::read_dir("/proc/self/task")
        .unwrap()
        .map(|t| t.unwrap().path())
        .filter(|d| {
            fs::read_to_string(d.join("comm"))
                .unwrap_or_default()
                .trim()
                == name
        })
        .collect()
}

/// A thread's voluntary context switches so far, or `None` once the thread has ended (another
/// test's watcher, taken as a candidate, ends when that test does).
fn switches(thread: &std::path::Path) -> Option<u64> {
    let status = fs::read_to_string(thread.join("status")).ok()?;
    let line = status
        .lines()
        .find(|l| l.starts_with("voluntary_ctxt_switches:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Reading the store (its rescans open directories, and inotify reports opens) is not a change:
/// once things are quiet the watcher sleeps instead of rescanning in a loop.
#[test]
fn reading_does_not_wake_the_watcher() {
    let alone = WATCHERS.write().unwrap_or_else(PoisonError::into_inner);
    let others = threads("memdeck-watch");
    let (f, _rx) = start_watching();
    // This test's watcher thread: the one new since the test began (no other test starts a
    // watcher meanwhile). A thread takes its name a moment after it starts.
    let deadline = Instant::now() + Duration::from_secs(5);
    let ours: Vec<_> = loop {
        let new: Vec<_> = threads("memdeck-watch")
            .into_iter()
            .filter(|t| !others.contains(t))
            .collect();
        if !new.is_empty() {
            break new;
        }
        assert!(Instant::now() < deadline, "no watcher thread appeared");
        std::thread::sleep(Duration::from_millis(10));
    };
    drop(alone);
    f.write("notes.md", "hello\n");
    for _ in 0..5 {
        f.ok(serde_json::json!({"command": "view", "path": "/memories"}));
    }
    std::thread::sleep(Duration::from_millis(600));
    let before: Vec<Option<u64>> = ours.iter().map(|t| switches(t)).collect();
    std::thread::sleep(Duration::from_secs(1));
    // Threads that ended in between are not ours: ours lives as long as `f`.
    let woke = ours
        .iter()
        .zip(before)
        .filter_map(|(t, b)| Some(switches(t)? - b?))
        .min()
        .expect("this test's watcher thread ended while its store was open");
    assert!(woke <= 2, "the idle watcher woke {woke} times in a second");
}
