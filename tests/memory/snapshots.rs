//! Snapshots of the memory store: save, list, restore (what was there stays in the history),
//! and "reset demo" from the command line.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::cli;
use crate::support::fixture;

use fixture::Fixture;
use memdeck::memory::snapshot::{self, check_name};
use memdeck::memory::{MemPath, MemoryStore};
use serde_json::json;

fn files(fx: &Fixture) -> Vec<(String, String)> {
    let s = snapshot::take(&fx.store, "probe", 0).unwrap();
    s.files.into_iter().map(|f| (f.path, f.text)).collect()
}

#[test]
fn restore_brings_back_exactly_the_snapshot_and_keeps_what_was_there() {
    let fx = Fixture::new();
    fx.ok(json!({"command": "create", "path": "/memories/acme.md", "file_text": "40 TB\n"}));
    fx.ok(json!({"command": "create", "path": "/memories/team/dana.md", "file_text": "CTO\n"}));
    fx.ok(json!({"command": "create", "path": "/memories/gone.md", "file_text": "old\n"}));
    let snap = snapshot::take(&fx.store, "start", 1).unwrap();
    let before = files(&fx);
    assert_eq!(before.len(), 3);
    let dir = fx.tmp.path().join("snapshots");
    snapshot::save(&dir, &snap, false).unwrap();

    // The demo runs: a file edited, one deleted, one added, a folder replaced by a file.
    fx.ok(json!({"command": "str_replace", "path": "/memories/acme.md", "old_str": "40", "new_str": "45"}));
    fx.ok(json!({"command": "delete", "path": "/memories/gone.md"}));
    fx.ok(json!({"command": "create", "path": "/memories/new.md", "file_text": "new\n"}));
    fx.ok(json!({"command": "delete", "path": "/memories/team"}));
    fx.ok(json!({"command": "create", "path": "/memories/team", "file_text": "a file now\n"}));

    let loaded = snapshot::load(&dir, "start").unwrap();
    assert_eq!(loaded, snap);
    let done = snapshot::restore(&fx.store, &loaded, "snapshot").unwrap();
    assert_eq!(files(&fx), before);
    assert_eq!((done.written, done.deleted), (3, 2), "{done:?}");
    // What was there before the restore is in the history, and can come back.
    let acme = MemPath::parse("/memories/acme.md").unwrap();
    fx.store
        .restore(
            &acme,
            None,
            memdeck::memory::WriteCtx::new("you", "restore"),
        )
        .unwrap();
    assert_eq!(fx.store.read(&acme).unwrap().text, "45 TB\n");
    let log = fx.store.history(None).unwrap();
    assert!(
        log.iter()
            .any(|e| e.actor == "snapshot" && e.path == "/memories/new.md")
    );
    // Restoring again changes nothing it does not have to.
    snapshot::restore(&fx.store, &loaded, "snapshot").unwrap();
    let again = snapshot::restore(&fx.store, &loaded, "snapshot").unwrap();
    assert_eq!((again.written, again.deleted, again.unchanged), (0, 0, 3));
}

#[test]
fn names_listing_and_damage() {
    let fx = Fixture::new();
    let dir = fx.tmp.path().join("snapshots");
    for bad in ["", ".x", "a/b", "../up", "sp ace"] {
        assert!(check_name(bad).is_err(), "{bad:?}");
    }
    let first = snapshot::take(&fx.store, "first", 10).unwrap();
    snapshot::save(&dir, &first, false).unwrap();
    let err = snapshot::save(&dir, &first, false).unwrap_err();
    assert!(err.contains("exists already"), "{err}");
    let second = snapshot::take(&fx.store, "second", 20).unwrap();
    snapshot::save(&dir, &second, false).unwrap();
    let names: Vec<String> = snapshot::list(&dir)
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["second", "first"], "newest first");
    assert!(
        snapshot::load(&dir, "nope")
            .unwrap_err()
            .contains("there is no snapshot")
    );
    std::fs::write(dir.join("first.json"), "{not json").unwrap();
    assert!(
        snapshot::load(&dir, "first")
            .unwrap_err()
            .contains("damaged")
    );
    assert!(
        !std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(".tmp")),
        "no temp files left"
    );
}

#[test]
fn reset_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let run = |args: &[&str]| {
        cli::memdeck(dir)
            .args(["--snapshots-dir", "snaps", "--session", "acme"])
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    assert!(
        run(&[
            "ask",
            "--persona",
            "Alice",
            "Our customer Acme wants 40 TB migrated by March."
        ])
        .status
        .success()
    );
    assert!(dir.join("memories/acme.md").exists());
    let refused = run(&["memory", "reset"]);
    assert_eq!(refused.status.code(), Some(2), "no terminal, no --yes");
    assert!(dir.join("memories/acme.md").exists(), "nothing was changed");

    let out = run(&["memory", "reset", "--yes"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dir.join("memories/acme.md").exists());
    assert!(
        !dir.join("sessions/acme.jsonl").exists(),
        "the conversations start over"
    );
    let list = String::from_utf8(run(&["memory", "snapshot", "list"]).stdout).unwrap();
    let name = list.split_whitespace().next().unwrap().to_owned();
    assert!(name.starts_with("before-reset-"), "{list}");
    let sessions = String::from_utf8(run(&["sessions", "list"]).stdout).unwrap();
    assert!(
        sessions.contains(&format!("acme-{name}")),
        "the old conversations are kept: {sessions}"
    );

    let out = run(&["memory", "snapshot", "restore", &name, "--yes"]);
    assert!(out.status.success());
    assert!(
        std::fs::read_to_string(dir.join("memories/acme.md"))
            .unwrap()
            .contains("40 TB")
    );
}

/// A restored snapshot keeps who wrote each file: the history says "Alice, restored by you",
/// not "you" for every file (as it did).
#[test]
fn a_restore_keeps_who_wrote_each_file() {
    let fx = Fixture::new();
    let write = |actor: &str, path: &str, text: &str| {
        let input = json!({"command": "create", "path": path, "file_text": text});
        let r = memdeck::memory::tool::execute(&fx.store, &input, actor);
        assert!(!r.is_error, "{}", r.content);
    };
    write("Alice", "/memories/acme.md", "40 TB\n");
    write("John", "/memories/acme_architecture.md", "containers\n");
    let snap = snapshot::take(&fx.store, "start", 1).unwrap();
    snapshot::clear(&fx.store, "you").unwrap();
    snapshot::restore(&fx.store, &snap, "you").unwrap();
    let last = |path: &str| {
        let p = MemPath::parse(path).unwrap();
        fx.store.history(Some(&p)).unwrap().pop().unwrap().actor
    };
    assert_eq!(last("/memories/acme.md"), "Alice, restored by you");
    assert_eq!(
        last("/memories/acme_architecture.md"),
        "John, restored by you"
    );
    // Restored again after another restore: still the author, not a chain of restorers.
    let again = snapshot::take(&fx.store, "again", 2).unwrap();
    snapshot::clear(&fx.store, "you").unwrap();
    snapshot::restore(&fx.store, &again, "Sam").unwrap();
    assert_eq!(last("/memories/acme.md"), "Alice, restored by Sam");
}

/// Files a person dropped into the store that are not memories (binary, too large, a name
/// memory paths cannot use), and a snapshot file with a path planted in it: saving, restoring
/// and resetting each do what they can, say what they left, and never stop half-way.
#[test]
fn what_is_not_a_memory_is_reported_never_a_reason_to_stop() {
    let fx = Fixture::new();
    fx.ok(json!({"command": "create", "path": "/memories/acme.md", "file_text": "40 TB\n"}));
    fx.ok(json!({"command": "create", "path": "/memories/team/dana.md", "file_text": "CTO\n"}));
    std::fs::write(fx.mem.join("photo.md"), [0xff, 0xd8, 0xff, 0x00]).unwrap();
    std::fs::write(fx.mem.join("odd:name.md"), "colon\n").unwrap();
    std::fs::write(fx.mem.join("huge.md"), "x".repeat(200 * 1024)).unwrap();

    let snap = snapshot::take(&fx.store, "start", 1).unwrap();
    let saved: Vec<&str> = snap.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(saved, ["/memories/acme.md", "/memories/team/dana.md"]);
    assert_eq!(snap.skipped.len(), 3, "{:?}", snap.skipped);
    for name in ["photo.md", "odd:name.md", "huge.md"] {
        assert!(
            snap.skipped.iter().any(|s| s.contains(name)),
            "{name} not reported: {:?}",
            snap.skipped
        );
    }

    // A snapshot file edited by hand to hold a path outside the store.
    let mut planted = snap.clone();
    planted.files.push(snapshot::SnapshotFile {
        path: "/memories/../escape.md".to_owned(),
        text: "out\n".to_owned(),
        author: None,
    });
    fx.ok(json!({"command": "delete", "path": "/memories/acme.md"}));
    let done = snapshot::restore(&fx.store, &planted, "snapshot").unwrap();
    assert_eq!(done.written, 1);
    assert!(
        done.skipped.iter().any(|s| s.contains("escape.md")),
        "{:?}",
        done.skipped
    );
    assert!(done.skipped.iter().any(|s| s.contains("odd:name.md")));
    assert!(!fx.tmp.path().join("escape.md").exists());
    assert_eq!(
        std::fs::read_to_string(fx.mem.join("acme.md")).unwrap(),
        "40 TB\n"
    );

    // A reset clears every memory and leaves, and names, what no memory path can name.
    let dir = fx.tmp.path().join("snapshots");
    let (_, cleared) = snapshot::reset(&fx.store, &dir, "you", 2).unwrap();
    assert_eq!(cleared.left.len(), 1, "{:?}", cleared.left);
    assert!(cleared.left[0].contains("odd:name.md"));
    assert!(fx.mem.join("odd:name.md").exists());
    assert!(!fx.mem.join("acme.md").exists() && !fx.mem.join("team").exists());
    // What was not in the snapshot is in the history: the photo's bytes come back.
    let photo = MemPath::parse("/memories/photo.md").unwrap();
    memdeck::memory::history::restore_path(
        &fx.store,
        &photo,
        None,
        memdeck::memory::WriteCtx::new("you", "restore"),
    )
    .unwrap();
    assert_eq!(
        std::fs::read(fx.mem.join("photo.md")).unwrap(),
        [0xff, 0xd8, 0xff, 0x00]
    );
}
