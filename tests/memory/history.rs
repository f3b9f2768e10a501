//! Nothing is lost by accident: overwrites, deletes and renames keep the previous content, and
//! any recorded version can be restored; retention is bounded.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::fixture;

use fixture::Fixture;
use memdeck::memory::{MemPath, MemoryStore, Retention, StoreError, Version, WriteCtx};
use serde_json::json;

fn path(p: &str) -> MemPath {
    MemPath::parse(p).unwrap()
}

fn restore(f: &Fixture, p: &str, version: Option<&str>) -> Result<Version, StoreError> {
    f.store
        .restore(&path(p), version, WriteCtx::new("person", "restore"))
}

#[test]
fn overwrite_then_restore() {
    let f = Fixture::new();
    f.ok(json!({"command": "create", "path": "/memories/acme.md", "file_text": "budget $2M\n"}));
    f.ok(json!({"command": "str_replace", "path": "/memories/acme.md", "old_str": "$2M", "new_str": "$3M"}));
    f.ok(json!({"command": "insert", "path": "/memories/acme.md", "insert_line": 1, "insert_text": "go-live Q3"}));
    restore(&f, "/memories/acme.md", None).unwrap();
    assert_eq!(f.read("acme.md"), "budget $3M\n");
    // The restore is itself recorded, so it can be undone too.
    restore(&f, "/memories/acme.md", None).unwrap();
    assert_eq!(f.read("acme.md"), "budget $3M\ngo-live Q3\n");
    // A chosen version by its abbreviated hash.
    let first = Version::of(b"budget $2M\n");
    restore(&f, "/memories/acme.md", Some(&first.as_str()[..8])).unwrap();
    assert_eq!(f.read("acme.md"), "budget $2M\n");
    let log = f.store.history(Some(&path("/memories/acme.md"))).unwrap();
    let ops: Vec<&str> = log.iter().map(|e| e.op.as_str()).collect();
    assert_eq!(
        ops,
        [
            "create",
            "str_replace",
            "insert",
            "restore",
            "restore",
            "restore"
        ]
    );
    assert!(log.iter().all(|e| e.actor == "test" || e.actor == "person"));
}

#[test]
fn delete_then_restore() {
    let f = Fixture::new();
    f.ok(json!({"command": "create", "path": "/memories/gone.md", "file_text": "precious\n"}));
    f.ok(json!({"command": "delete", "path": "/memories/gone.md"}));
    assert!(!f.mem.join("gone.md").exists());
    restore(&f, "/memories/gone.md", None).unwrap();
    assert_eq!(f.read("gone.md"), "precious\n");
}

#[test]
fn a_deleted_directory_comes_back_file_by_file() {
    let f = Fixture::new();
    for (p, t) in [
        ("proj/a.md", "A\n"),
        ("proj/sub/b.md", "B\n"),
        ("proj/sub/deep/c.md", "C\n"),
    ] {
        f.ok(json!({"command": "create", "path": format!("/memories/{p}"), "file_text": t}));
    }
    // A file a person added by hand is kept too.
    f.write("proj/hand.md", "by hand\n");
    f.ok(json!({"command": "delete", "path": "/memories/proj"}));
    assert!(!f.mem.join("proj").exists());
    let log = f.store.history(Some(&path("/memories/proj"))).unwrap();
    assert_eq!(
        log.iter().filter(|e| e.op == "delete").count(),
        5,
        "{log:?}"
    );
    for (p, t) in [
        ("proj/a.md", "A\n"),
        ("proj/sub/b.md", "B\n"),
        ("proj/sub/deep/c.md", "C\n"),
        ("proj/hand.md", "by hand\n"),
    ] {
        restore(&f, &format!("/memories/{p}"), None).unwrap();
        assert_eq!(f.read(p), t);
    }
}

#[test]
fn rename_then_restore_the_old_name() {
    let f = Fixture::new();
    f.ok(json!({"command": "create", "path": "/memories/old.md", "file_text": "content\n"}));
    f.ok(json!({"command": "rename", "old_path": "/memories/old.md", "new_path": "/memories/new.md"}));
    restore(&f, "/memories/old.md", None).unwrap();
    assert_eq!(f.read("old.md"), "content\n");
    assert_eq!(f.read("new.md"), "content\n");
    // A renamed directory: every file is logged under both names.
    f.ok(json!({"command": "create", "path": "/memories/d/x.md", "file_text": "x\n"}));
    f.ok(json!({"command": "rename", "old_path": "/memories/d", "new_path": "/memories/e"}));
    let log = f.store.history(Some(&path("/memories/e/x.md"))).unwrap();
    assert_eq!(
        log.last().unwrap().new_path.as_deref(),
        Some("/memories/e/x.md")
    );
    restore(&f, "/memories/d/x.md", None).unwrap();
    assert_eq!(f.read("d/x.md"), "x\n");
}

#[test]
fn restore_errors_are_clear_and_change_nothing() {
    let f = Fixture::new();
    let e = restore(&f, "/memories/never.md", None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "/memories/never.md has no recorded versions in the history"
    );
    f.ok(json!({"command": "create", "path": "/memories/one.md", "file_text": "1"}));
    let e = restore(&f, "/memories/one.md", None).unwrap_err();
    assert!(
        e.to_string()
            .contains("no version in the history other than its current content"),
        "{e}"
    );
    let e = restore(&f, "/memories/one.md", Some("ffff")).unwrap_err();
    assert!(
        e.to_string()
            .contains("no version of /memories/one.md starts with ffff"),
        "{e}"
    );
    assert_eq!(f.read("one.md"), "1");
}

#[test]
fn editor_saves_are_compare_and_set() {
    use memdeck::memory::Expect;
    let f = Fixture::new();
    f.ok(json!({"command": "create", "path": "/memories/n.md", "file_text": "v1\n"}));
    let p = path("/memories/n.md");
    let loaded = f.store.read(&p).unwrap();
    // A tab writes while the person edits.
    f.ok(json!({"command": "str_replace", "path": "/memories/n.md", "old_str": "v1", "new_str": "v2"}));
    let e = f
        .store
        .save(
            &p,
            "person's text\n",
            Expect::Version(loaded.version),
            WriteCtx::new("editor", "save"),
        )
        .unwrap_err();
    match e {
        StoreError::Conflict { current, .. } => assert_eq!(current, Some(Version::of(b"v2\n"))),
        other => panic!("expected a conflict, got {other}"),
    }
    assert_eq!(f.read("n.md"), "v2\n");
    // Saving against the current version works, and creating needs the file to be absent.
    let now = f.store.read(&p).unwrap();
    f.store
        .save(
            &p,
            "merged\n",
            Expect::Version(now.version),
            WriteCtx::new("editor", "save"),
        )
        .unwrap();
    assert!(matches!(
        f.store
            .save(&p, "x", Expect::Absent, WriteCtx::new("editor", "save")),
        Err(StoreError::Exists(_))
    ));
    assert_eq!(f.read("n.md"), "merged\n");
    // A refused save creates nothing, not even the directories on its way.
    let deep = path("/memories/new/dir/x.md");
    assert!(matches!(
        f.store.save(
            &deep,
            "x",
            Expect::Version(Version::of(b"old")),
            WriteCtx::new("editor", "save")
        ),
        Err(StoreError::Conflict { current: None, .. })
    ));
    assert!(!f.mem.join("new").exists());
}

#[test]
fn retention_is_bounded_but_keeps_each_files_newest_versions() {
    let f = Fixture::with(|o| {
        o.retention = Retention {
            max_entries: 20,
            keep_per_path: 3,
        };
    });
    for i in 0..40 {
        f.ok(json!({"command": "create", "path": "/memories/keep.md", "file_text": "k"}));
        f.ok(json!({"command": "delete", "path": "/memories/keep.md"}));
        let busy = format!("busy {i}\n");
        if i == 0 {
            f.ok(json!({"command": "create", "path": "/memories/busy.md", "file_text": busy}));
        } else {
            f.store
                .save(
                    &path("/memories/busy.md"),
                    &busy,
                    memdeck::memory::Expect::Any,
                    WriteCtx::new("t", "save"),
                )
                .unwrap();
        }
    }
    f.ok(json!({"command": "create", "path": "/memories/quiet.md", "file_text": "quiet"}));
    for i in 0..30 {
        f.store
            .save(
                &path("/memories/busy.md"),
                &format!("late {i}\n"),
                memdeck::memory::Expect::Any,
                WriteCtx::new("t", "save"),
            )
            .unwrap();
    }
    let all = f.store.history(None).unwrap();
    assert!(
        all.len() <= 25,
        "the log was not pruned: {} entries",
        all.len()
    );
    let quiet = f.store.history(Some(&path("/memories/quiet.md"))).unwrap();
    assert_eq!(quiet.len(), 1, "a file's newest entries were pruned");
    // Versions nothing refers to are gone from the pack; the ones kept still restore.
    drop_and_flush(&f);
    let pack = std::fs::metadata(f.tmp.path().join(".memories-history/blobs.pack"))
        .unwrap()
        .len();
    // Each version here is under 10 bytes plus a 72-byte header; 110 versions were recorded.
    assert!(
        pack <= (2 * all.len() as u64) * 82,
        "{pack} bytes of versions for {} entries",
        all.len()
    );
    restore(&f, "/memories/busy.md", None).unwrap();
    assert_eq!(f.read("busy.md"), "late 28\n");
}

/// Let the history flusher write what it deferred.
fn drop_and_flush(_f: &Fixture) {
    std::thread::sleep(std::time::Duration::from_millis(400));
}

/// What a process killed between writing a change's intent and making the change leaves in the
/// log, settled by the next process to take the lock: an entry whose change is on disk is
/// confirmed, one whose change never happened is dropped (and `restore` never brings back its
/// text), and a folder delete killed midway records only the files it removed, not the folder.
#[test]
fn intents_left_by_a_killed_writer_are_settled_against_the_disk() {
    let f = Fixture::new();
    f.ok(json!({"command": "create", "path": "/memories/a.md", "file_text": "one\n"}));
    f.ok(json!({"command": "create", "path": "/memories/team/x.md", "file_text": "x\n"}));
    f.ok(json!({"command": "create", "path": "/memories/team/y.md", "file_text": "y\n"}));
    let before = f.store.history(None).unwrap();
    let next = before.last().unwrap().seq + 1;
    let v = |text: &str| Version::of(text.as_bytes()).as_str().to_owned();
    // The killed writers' lines, as they wrote them: an edit that never reached the file, a
    // create that did, and a folder
    // delete that removed y.md and was killed before x.md.
    std::fs::write(f.mem.join("b.md"), "bee\n").unwrap();
    std::fs::remove_file(f.mem.join("team/y.md")).unwrap();
    let lines = [
        json!({"seq": next, "ts_ms": 1, "actor": "Alice", "op": "str_replace",
            "path": "/memories/a.md", "old": v("one\n"), "new": v("never written\n"),
            "pending": true}),
        json!({"seq": next + 1, "ts_ms": 1, "actor": "John", "op": "create",
            "path": "/memories/b.md", "old": null, "new": v("bee\n"), "pending": true}),
        json!({"seq": next + 2, "ts_ms": 1, "actor": "Sam", "op": "delete",
            "path": "/memories/team", "old": null, "new": null, "group": next + 2,
            "pending": true}),
        json!({"seq": next + 3, "ts_ms": 1, "actor": "Sam", "op": "delete",
            "path": "/memories/team/x.md", "old": v("x\n"), "new": null, "group": next + 2,
            "pending": true}),
        json!({"seq": next + 4, "ts_ms": 1, "actor": "Sam", "op": "delete",
            "path": "/memories/team/y.md", "old": v("y\n"), "new": null, "group": next + 2,
            "pending": true}),
    ];
    let log = f.tmp.path().join(".memories-history/log.jsonl");
    let mut text = std::fs::read_to_string(&log).unwrap();
    for line in &lines {
        text.push_str(&line.to_string());
        text.push('\n');
    }
    std::fs::write(&log, text).unwrap();

    let after = f.store.history(None).unwrap();
    let added: Vec<(u64, &str, &str)> = after[before.len()..]
        .iter()
        .map(|e| (e.seq, e.op.as_str(), e.path.as_str()))
        .collect();
    assert_eq!(
        added,
        [
            (next + 1, "create", "/memories/b.md"),
            (next + 4, "delete", "/memories/team/y.md"),
        ]
    );
    // The edit that never happened is no version of a.md: nothing to restore.
    assert!(matches!(
        restore(&f, "/memories/a.md", None),
        Err(StoreError::NoVersion(_))
    ));
    let phantom = v("never written\n");
    assert!(matches!(
        restore(&f, "/memories/a.md", Some(&phantom[..12])),
        Err(StoreError::NoVersion(_))
    ));
    assert_eq!(f.read("a.md"), "one\n");
    // The deleted file comes back; the log says how each intent was settled, once.
    restore(&f, "/memories/team/y.md", None).unwrap();
    let settled = std::fs::read_to_string(&log).unwrap();
    let outcome = format!(
        r#"{{"done":[{},{}],"dropped":[{},{},{}]}}"#,
        next + 1,
        next + 4,
        next,
        next + 2,
        next + 3
    );
    assert_eq!(settled.matches(&outcome).count(), 1, "{settled}");
}

/// Another program appending to a file while the model edits it (it does not take memdeck's
/// lock): none of its lines is lost. A write that finds the file changed since it read it keeps
/// the other program's version in the history (as `external`) and makes its edit again on the
/// new text, so every appended line ends in the file. The appender sometimes dawdles between
/// opening the file and writing (as a loaded machine makes any program do), so some of its
/// lines land in a file a write has already replaced: those are applied again too, within
/// moments.
#[test]
fn outside_edits_during_writes_are_never_lost() {
    use std::io::Write as _;
    let f = Fixture::new();
    f.ok(json!({"command": "create", "path": "/memories/log.md", "file_text": "start\n"}));
    let file = f.mem.join("log.md");
    let appends = 150;
    let writer = {
        let file = file.clone();
        std::thread::spawn(move || {
            for i in 0..appends {
                let mut out = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&file)
                    .unwrap();
                if i % 3 == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                // One write per line, as `echo >> file` does (a line split over several writes
                // may be split by a replace too: every byte is kept, not the line's order).
                out.write_all(format!("ext {i}\n").as_bytes()).unwrap();
                drop(out);
                std::thread::sleep(std::time::Duration::from_millis(3));
            }
        })
    };
    let mut edits = 0;
    while !writer.is_finished() {
        f.ok(
            json!({"command": "insert", "path": "/memories/log.md", "insert_line": 0,
            "insert_text": format!("mem {edits}")}),
        );
        edits += 1;
    }
    writer.join().unwrap();
    // A line written into a replaced file comes back at the store's next look (its flusher
    // visits every 100 ms while replaced files are watched).
    let missing = |text: &str| -> Vec<usize> {
        (0..appends)
            .filter(|i| !text.lines().any(|l| l == format!("ext {i}")))
            .collect()
    };
    let waited = std::time::Instant::now();
    let mut text = std::fs::read_to_string(&file).unwrap();
    while !missing(&text).is_empty() && waited.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(50));
        text = std::fs::read_to_string(&file).unwrap();
    }
    let lost = missing(&text);
    assert!(lost.is_empty(), "lines lost: {lost:?} ({edits} edits)");
    for i in 0..edits {
        assert!(
            text.lines().any(|l| l == format!("mem {i}")),
            "edit {i} lost"
        );
    }
    let history = f.store.history(Some(&path("/memories/log.md"))).unwrap();
    assert!(
        history.iter().any(|e| e.op == "external"),
        "no race happened in {edits} edits: the test proved nothing"
    );
}
