//! The PostgreSQL store at scale (issue 20), beside `redis_scale`: a namespace of N files with
//! about 11,000 history entries, five panels open on it (each a store with its watcher, doing
//! what the app's panel does: the whole tree once, then for each change only the changed path),
//! and a sixth client making changes. Prints, for N files: the model's `view` of the root and
//! of a 50-file folder; a panel's first tree; change -> panel (from the write's start until all
//! five panels hold the new row); the slowest write while a pruning of the history is due.
//!
//! Run by `bench/pg-scale.sh`, which starts a private PostgreSQL; by hand:
//! `cargo run --release --example pg_scale -- 'postgres://user@/db?host=/path' 20000`.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use memdeck::memory::postgres::{PgOptions, PgStore};
use memdeck::memory::{MemPath, MemoryStore, execute};
use memdeck::tui::effects::{subtree, tree};
use serde_json::json;

const PANELS: usize = 5;
const CHANGES: usize = 40;
const HISTORY: usize = 11_000;

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("usage: pg_scale URL FILES");
    let files: usize = args
        .next()
        .and_then(|n| n.parse().ok())
        .expect("usage: pg_scale URL FILES");
    let ns = format!("scale{files}-{}", std::process::id());
    let open = |host: &str| {
        PgStore::open(PgOptions {
            url: url.clone(),
            namespace: ns.clone(),
            max_file_bytes: 100 * 1024,
            history_keep: 10_000,
            host: host.to_owned(),
        })
        .expect("the store opens")
    };
    let writer = open("writer");
    let began = Instant::now();
    for i in 0..files {
        let done = execute(
            &writer,
            &json!({"command": "create", "path": format!("{}/f{i:05}.md", folder(i)),
                "file_text": format!("# note {i}\n\nsome facts about customer {i}\n")}),
            "Alice",
        );
        assert!(!done.is_error, "{}", done.content);
    }
    for i in 0..HISTORY.saturating_sub(files) {
        let n = i % files;
        let done = execute(
            &writer,
            &json!({"command": "insert", "path": format!("{}/f{n:05}.md", folder(n)),
                "insert_line": 1, "insert_text": format!("edit {i}\n")}),
            "John",
        );
        assert!(!done.is_error, "{}", done.content);
    }
    let entries = writer.history(None).unwrap().len();
    println!(
        "{files} files, {entries} history entries kept, written in {:.1} s",
        began.elapsed().as_secs_f64()
    );
    listings(&writer);
    let (done_rx, panels) = open_panels(&open);
    changes(&writer, &done_rx, files);
    pruning(&writer, &done_rx, files);
    let _ = execute(
        &writer,
        &json!({"command": "create", "path": "/memories/stop", "file_text": ""}),
        "Alice",
    );
    for panel in panels {
        let _ = panel.join();
    }
}

fn folder(i: usize) -> String {
    format!("/memories/team{:03}", i / 50)
}

/// The model's `view` of the root (two levels: every file) and of one 50-file folder, each the
/// median of 5.
fn listings(writer: &PgStore) {
    let time = |path: &str| {
        let mut took = Vec::new();
        let mut lines = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let done = execute(writer, &json!({"command": "view", "path": path}), "Sam");
            took.push(t.elapsed().as_secs_f64() * 1e3);
            assert!(!done.is_error, "{}", done.content);
            lines = done.content.lines().count();
        }
        took.sort_by(f64::total_cmp);
        (took[2], lines)
    };
    let (root, lines) = time("/memories");
    println!("view /memories ({lines} lines): median {root:.1} ms");
    let (sub, _) = time("/memories/team001");
    println!("view of a 50-file folder: median {sub:.2} ms");
}

type Refreshed = (usize, String, Instant);

fn open_panels(
    open: &dyn Fn(&str) -> PgStore,
) -> (mpsc::Receiver<Refreshed>, Vec<std::thread::JoinHandle<()>>) {
    let (done_tx, done_rx) = mpsc::channel::<Refreshed>();
    let mut panels = Vec::new();
    for p in 0..PANELS {
        let store = open(&format!("panel-{p}"));
        store.watch().unwrap();
        let t = Instant::now();
        let rows = tree(&store).unwrap();
        if p == 0 {
            println!(
                "a panel's first tree: {} rows in {:.0} ms",
                rows.len(),
                t.elapsed().as_secs_f64() * 1e3
            );
        }
        let mut changes = store.subscribe();
        let tx = done_tx.clone();
        panels.push(std::thread::spawn(move || {
            let mut rows: HashMap<String, u64> =
                rows.into_iter().map(|r| (r.path, r.size)).collect();
            loop {
                let change = match changes.blocking_recv() {
                    Ok(change) => change,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => return,
                };
                if change.path == "/memories/stop" {
                    return;
                }
                let path = MemPath::parse(&change.path).unwrap();
                for row in subtree(&store, &path).unwrap() {
                    rows.insert(row.path, row.size);
                }
                let _ = tx.send((p, change.path, Instant::now()));
            }
        }));
    }
    std::thread::sleep(Duration::from_millis(300));
    (done_rx, panels)
}

/// Changes by a sixth client, each timed until every panel has read it.
fn changes(writer: &PgStore, done_rx: &mpsc::Receiver<Refreshed>, files: usize) {
    let mut latencies = Vec::new();
    for i in 0..CHANGES {
        let n = (i * 7919) % files;
        let path = format!("{}/f{n:05}.md", folder(n));
        let began = Instant::now();
        let done = execute(
            writer,
            &json!({"command": "str_replace", "path": path, "old_str": format!("# note {n}\n"),
                "new_str": format!("# note {n}\n\nchanged {i}\n")}),
            "Sam",
        );
        assert!(!done.is_error, "{}", done.content);
        let mut seen = 0;
        let mut last = began;
        while seen < PANELS {
            let (_, p, at) = done_rx.recv_timeout(Duration::from_secs(10)).unwrap();
            if p == path {
                seen += 1;
                last = last.max(at);
            }
        }
        latencies.push(last.duration_since(began).as_secs_f64() * 1e3);
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "change -> {PANELS} panels: median {:.1} ms, max {:.1} ms over {CHANGES} changes",
        latencies[CHANGES / 2],
        latencies[CHANGES - 1]
    );
}

/// Enough writes for a pruning of the history to become due: the median and slowest write.
fn pruning(writer: &PgStore, done_rx: &mpsc::Receiver<Refreshed>, files: usize) {
    let mut took = Vec::new();
    for i in 0..2_600 {
        let n = i % files;
        let t = Instant::now();
        let done = execute(
            writer,
            &json!({"command": "insert", "path": format!("{}/f{n:05}.md", folder(n)),
                "insert_line": 0, "insert_text": "x\n"}),
            "John",
        );
        took.push(t.elapsed().as_secs_f64() * 1e3);
        assert!(!done.is_error, "{}", done.content);
        if i % 100 == 0 {
            while done_rx.try_recv().is_ok() {}
        }
    }
    took.sort_by(f64::total_cmp);
    println!(
        "2,600 writes with a pruning of the history: median {:.2} ms, slowest {:.1} ms",
        took[took.len() / 2],
        took[took.len() - 1]
    );
}
