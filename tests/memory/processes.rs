//! Concurrency and crash safety, across threads and across processes.
//!
//! Child processes are this test binary run again with `MEMDECK_CHILD` set: the `child_*`
//! helpers below are ignored in normal runs and do the child's work when started that way.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::fixture;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fixture::Fixture;
use memdeck::memory::{
    Expect, LocalOptions, LocalStore, MemPath, MemoryStore, StoreError, WriteCtx, execute,
};
use serde_json::json;

const SHARED: &str = "/memories/shared.md";

/// Start this test binary as a child running the ignored helper `name`.
fn spawn_child(name: &str, dir: &std::path::Path, tag: &str) -> Child {
    // Tests are named by their module path inside the binary (`processes::child_…`).
    let module = module_path!().split_once("::").map_or("", |(_, m)| m);
    let name = if module.is_empty() {
        name.to_owned()
    } else {
        format!("{module}::{name}")
    };
    Command::new(std::env::current_exe().unwrap())
        .args([
            name.as_str(),
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("MEMDECK_CHILD", dir)
        .env("MEMDECK_CHILD_TAG", tag)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn child_env() -> Option<(std::path::PathBuf, String)> {
    let dir = std::env::var_os("MEMDECK_CHILD")?;
    Some((
        dir.into(),
        std::env::var("MEMDECK_CHILD_TAG").unwrap_or_default(),
    ))
}

/// One worker's edits: inserts and str_replaces of lines it owns. Returns the lines that must
/// be in the final file (one per successful operation).
fn edit_worker(store: &dyn MemoryStore, tag: &str, rounds: usize) -> Vec<String> {
    let mut expected = Vec::new();
    for i in 0..rounds {
        let line = format!("{tag}-{i}");
        let inserted = execute(
            store,
            &json!({"command": "insert", "path": SHARED, "insert_line": 1, "insert_text": format!("{line}-old")}),
            tag,
        );
        assert!(!inserted.is_error, "{}", inserted.content);
        if i % 2 == 0 {
            expected.push(format!("{line}-old"));
            continue;
        }
        let replaced = execute(
            store,
            &json!({"command": "str_replace", "path": SHARED, "old_str": format!("{line}-old"), "new_str": format!("{line}-new")}),
            tag,
        );
        assert!(!replaced.is_error, "{}", replaced.content);
        expected.push(format!("{line}-new"));
    }
    expected
}

/// A person's editor saving against the version they loaded: conflicts are retried, and every
/// save that succeeds must survive.
fn cas_writer(store: &dyn MemoryStore, tag: &str, saves: usize) -> (Vec<String>, usize) {
    let path = MemPath::parse(SHARED).unwrap();
    let (mut kept, mut conflicts) = (Vec::new(), 0);
    while kept.len() < saves {
        let current = store.read(&path).unwrap();
        let line = format!("{tag}-{}", kept.len());
        let text = format!("{}{line}\n", current.text);
        match store.save(
            &path,
            &text,
            Expect::Version(current.version),
            WriteCtx::new(tag, "save"),
        ) {
            Ok(_) => kept.push(line),
            Err(StoreError::Conflict { .. }) => conflicts += 1,
            Err(e) => panic!("save failed: {e}"),
        }
    }
    (kept, conflicts)
}

#[test]
#[ignore = "helper run as a child process by the tests in this file"]
fn child_editor() {
    let Some((dir, tag)) = child_env() else {
        return;
    };
    let store = LocalStore::open(&LocalOptions::new(dir)).unwrap();
    let mut lines = edit_worker(&store, &tag, 30);
    let (saved, _) = cas_writer(&store, &format!("{tag}-cas"), 10);
    lines.extend(saved);
    for line in lines {
        println!("LINE {line}");
    }
}

#[test]
fn tabs_processes_and_an_editor_never_lose_an_update() {
    let f = Fixture::new();
    f.ok(json!({"command": "create", "path": SHARED, "file_text": "HEAD\n"}));
    let children: Vec<Child> = ["proc-a", "proc-b"]
        .iter()
        .map(|tag| spawn_child("child_editor", &f.mem, tag))
        .collect();
    let (mut expected, conflicts) = std::thread::scope(|s| {
        let workers: Vec<_> = (0..8)
            .map(|t| {
                let store = &f.store;
                s.spawn(move || edit_worker(store, &format!("tab{t}"), 25))
            })
            .collect();
        let cas = s.spawn(|| cas_writer(&f.store, "editor", 40));
        let mut lines: Vec<String> = workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect();
        let (saved, conflicts) = cas.join().unwrap();
        lines.extend(saved);
        (lines, conflicts)
    });
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "a child process failed");
        let text = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<String> = text
            .lines()
            .filter_map(|l| l.find("LINE ").map(|at| l[at + 5..].to_owned()))
            .collect();
        assert_eq!(lines.len(), 40, "a child did not finish its work");
        expected.extend(lines);
    }
    let text = f.read("shared.md");
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for line in text.lines() {
        *counts.entry(line).or_default() += 1;
    }
    for line in &expected {
        assert_eq!(
            counts.get(line.as_str()),
            Some(&1),
            "{line} is not in the file exactly once"
        );
    }
    assert_eq!(
        text.lines().count(),
        expected.len() + 1,
        "the file holds lines nobody wrote"
    );
    assert!(!text.contains("-old\n") || expected.iter().any(|l| l.ends_with("-old")));
    println!("editor conflicts seen and retried: {conflicts}");
    // Every successful mutation is one history entry (plus the create).
    let path = MemPath::parse(SHARED).unwrap();
    let entries = f.store.history(Some(&path)).unwrap();
    let mutations = 1 + 8 * (25 + 12) + 40 + 2 * (30 + 15 + 10);
    assert_eq!(entries.len(), mutations);
}

#[test]
#[ignore = "helper run as a child process by the tests in this file"]
fn child_writer_loop() {
    let Some((dir, _)) = child_env() else { return };
    let store = LocalStore::open(&LocalOptions::new(dir)).unwrap();
    let body = "x".repeat(60 * 1024);
    for i in 0u64.. {
        let path = MemPath::parse(&format!("/memories/f{}.md", i % 4)).unwrap();
        let text = format!("v{i}\n{body}\nEND {i}\n");
        store
            .save(&path, &text, Expect::Any, WriteCtx::new("child", "save"))
            .unwrap();
        if i == 0 {
            println!("started");
        }
    }
}

#[test]
fn sigkill_mid_write_leaves_whole_files_only() {
    let f = Fixture::new();
    for round in 0..25u64 {
        let mut child = spawn_child("child_writer_loop", &f.mem, "");
        // Wait until the child is writing (libtest prints its own lines first).
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while !line.contains("started") {
            line.clear();
            assert!(
                out.read_line(&mut line).unwrap() > 0,
                "the child ended before writing"
            );
        }
        std::thread::sleep(Duration::from_millis(3 + (round * 7) % 40));
        child.kill().unwrap();
        child.wait().unwrap();
        for entry in std::fs::read_dir(&f.mem).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with('f') {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).unwrap();
            let first_line = text.lines().next().unwrap();
            let n = first_line.strip_prefix('v').unwrap();
            assert!(
                text.ends_with(&format!("\nEND {n}\n")),
                "{name} is torn after round {round}"
            );
            assert_eq!(
                text.len(),
                format!("v{n}\n").len() + 60 * 1024 + format!("\nEND {n}\n").len()
            );
        }
        let listing = f.ok(json!({"command": "view", "path": "/memories"}));
        assert!(!listing.contains("tmp"), "{listing}");
        // The history stays readable and keeps taking entries after the kill.
        let store = LocalStore::open(&LocalOptions::new(&f.mem)).unwrap();
        let path = MemPath::parse("/memories/after-kill.md").unwrap();
        let before = store.history(Some(&path)).unwrap().len();
        store
            .save(
                &path,
                &format!("{round}"),
                Expect::Any,
                WriteCtx::new("t", "save"),
            )
            .unwrap();
        assert_eq!(store.history(Some(&path)).unwrap().len(), before + 1);
    }
}
