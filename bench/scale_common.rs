//! What the scale benches of the shared stores (`redis_scale`, `pg_scale`) share: the
//! namespace they fill, the five panels that follow it, the timed changes, the writes that make
//! a pruning of the history due. Included by each with `#[path]`.

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use memdeck::memory::{MemPath, MemoryStore, execute};
use memdeck::tui::effects::{subtree, tree};
use serde_json::json;

pub const PANELS: usize = 5;
pub const CHANGES: usize = 40;
const HISTORY: usize = 11_000;

/// A panel's report: which panel, the path it read again, when.
pub type Refreshed = (usize, String, Instant);

pub fn folder(i: usize) -> String {
    format!("/memories/team{:03}", i / 50)
}

/// The namespace: `files` files in folders of 50, then edits until the history holds ~11,000.
pub fn fill(writer: &dyn MemoryStore, files: usize) {
    let began = Instant::now();
    for i in 0..files {
        let done = execute(
            writer,
            &json!({"command": "create", "path": format!("{}/f{i:05}.md", folder(i)),
                "file_text": format!("# note {i}\n\nsome facts about customer {i}\n")}),
            "Alice",
        );
        assert!(!done.is_error, "{}", done.content);
    }
    for i in 0..HISTORY.saturating_sub(files) {
        let n = i % files;
        let done = execute(
            writer,
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
}

/// Five panels, each a store from `open` that already follows the namespace: each lists the
/// whole tree once, then follows changes, reading each changed path as the app's panel does;
/// each says when it has.
pub fn open_panels<S: MemoryStore + 'static>(
    open: &dyn Fn(&str) -> S,
) -> (mpsc::Receiver<Refreshed>, Vec<std::thread::JoinHandle<()>>) {
    let (done_tx, done_rx) = mpsc::channel::<Refreshed>();
    let mut panels = Vec::new();
    for p in 0..PANELS {
        let store = open(&format!("panel-{p}"));
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

/// [`CHANGES`] changes by a sixth client, each timed until every panel has read it: the
/// latencies in ms, sorted, after printing their median and maximum.
pub fn timed_changes(
    writer: &dyn MemoryStore,
    done_rx: &mpsc::Receiver<Refreshed>,
    files: usize,
) -> Vec<f64> {
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
    latencies
}

/// 2,600 inserts, enough for a pruning of the history to become due; the panels are kept
/// reading along. Each write's time in ms, sorted.
pub fn pruning_writes(
    writer: &dyn MemoryStore,
    done_rx: &mpsc::Receiver<Refreshed>,
    files: usize,
) -> Vec<f64> {
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
    took
}

/// Tell the panels to stop (a change they recognise) and wait for them.
pub fn stop(writer: &dyn MemoryStore, panels: Vec<std::thread::JoinHandle<()>>) {
    let _ = execute(
        writer,
        &json!({"command": "create", "path": "/memories/stop", "file_text": ""}),
        "Alice",
    );
    for panel in panels {
        let _ = panel.join();
    }
}
