//! The shared store at scale (issue 17): a namespace of N files with about 11,000 history
//! entries, five panels open on it (each a store with its watcher, doing what the app's panel
//! does: the whole tree once, then for each change only the changed path), and a sixth client
//! making changes. Prints, for N files:
//!
//! - change -> panel: from the write's start until all five panels hold the new rows;
//! - server time blocked: the longest single command per phase, from the server's own SLOWLOG
//!   (every command logged), for listings (`view` of the root and of a 50-file folder) and for
//!   changes (the writes with their pruning steps, and the panels' reads);
//! - bytes the server sent per change per panel (INFO's `total_net_output_bytes`).
//!
//! Run by `bench/redis-scale.sh`, which starts a private redis-server; by hand:
//! `cargo run --release --example redis_scale -- redis+unix:///path/redis.sock 20000`.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use memdeck::memory::redis::{RedisOptions, RedisStore};
use memdeck::memory::{MemPath, MemoryStore, execute};
use memdeck::tui::effects::{subtree, tree};
use serde_json::json;

const PANELS: usize = 5;
const CHANGES: usize = 40;
const HISTORY: usize = 11_000;

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("usage: redis_scale URL FILES");
    let files: usize = args
        .next()
        .and_then(|n| n.parse().ok())
        .expect("usage: redis_scale URL FILES");
    let ns = format!("scale{files}");
    let open = |host: &str| {
        RedisStore::open(RedisOptions {
            url: url.clone(),
            namespace: ns.clone(),
            max_file_bytes: 100 * 1024,
            history_keep: 10_000,
            host: host.to_owned(),
        })
        .expect("the store opens")
    };
    let mut admin = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let writer = open("writer");

    // The namespace: files in folders of 50, then edits until the history holds ~11,000.
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

    listings(&writer, &mut admin);
    let (done_rx, panels) = open_panels(&open);
    changes(&writer, &mut admin, &done_rx, files);
    pruning(&writer, &mut admin, &done_rx, files);
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

/// The model's `view` of the root (two levels: every file) and of one 50-file folder.
fn listings(writer: &RedisStore, admin: &mut redis::Connection) {
    slowlog_reset(admin);
    let t = Instant::now();
    let root = execute(
        writer,
        &json!({"command": "view", "path": "/memories"}),
        "Sam",
    );
    let root_ms = t.elapsed().as_secs_f64() * 1e3;
    let root_block = slowlog_max(admin);
    slowlog_reset(admin);
    let t = Instant::now();
    let sub = execute(
        writer,
        &json!({"command": "view", "path": "/memories/team001"}),
        "Sam",
    );
    let sub_ms = t.elapsed().as_secs_f64() * 1e3;
    let sub_block = slowlog_max(admin);
    assert!(!root.is_error && !sub.is_error);
    println!(
        "view /memories ({} lines): {root_ms:.1} ms, longest server command {root_block} us",
        root.content.lines().count()
    );
    println!("view of a 50-file folder: {sub_ms:.2} ms, longest server command {sub_block} us");
}

type Refreshed = (usize, String, Instant);

/// Five panels: each lists the whole tree once, then follows changes, reading each changed
/// path as the app's panel does; each says when it has.
fn open_panels(
    open: &dyn Fn(&str) -> RedisStore,
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
fn changes(
    writer: &RedisStore,
    admin: &mut redis::Connection,
    done_rx: &mpsc::Receiver<Refreshed>,
    files: usize,
) {
    slowlog_reset(admin);
    let sent_before = net_output(admin);
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
    let sent = net_output(admin) - sent_before;
    let change_block = slowlog_max(admin);
    latencies.sort_by(f64::total_cmp);
    println!(
        "change -> {PANELS} panels: median {:.1} ms, max {:.1} ms over {CHANGES} changes",
        latencies[CHANGES / 2],
        latencies[CHANGES - 1]
    );
    println!(
        "longest server command while changing: {change_block} us; bytes sent per change per \
         panel: {}",
        sent / (CHANGES * PANELS) as u64
    );
}

/// Enough changes for a pruning of the history to become due and go in steps.
fn pruning(
    writer: &RedisStore,
    admin: &mut redis::Connection,
    done_rx: &mpsc::Receiver<Refreshed>,
    files: usize,
) {
    slowlog_reset(admin);
    for i in 0..2_600 {
        let n = i % files;
        let done = execute(
            writer,
            &json!({"command": "insert", "path": format!("{}/f{n:05}.md", folder(n)),
                "insert_line": 0, "insert_text": "x\n"}),
            "John",
        );
        assert!(!done.is_error, "{}", done.content);
        // The panels keep up, so their reads are in the log too.
        if i % 100 == 0 {
            while done_rx.try_recv().is_ok() {}
        }
    }
    println!(
        "longest server command over 2,600 writes with a pruning: {} us",
        slowlog_max(admin)
    );
}

fn slowlog_reset(admin: &mut redis::Connection) {
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("slowlog-log-slower-than")
        .arg(0)
        .query(admin)
        .unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("slowlog-max-len")
        .arg(1_000_000)
        .query(admin)
        .unwrap();
    let _: () = redis::cmd("SLOWLOG").arg("RESET").query(admin).unwrap();
}

/// The longest command the server ran since the reset, in microseconds (the blocking reads
/// the watchers wait in are not counted: their wait holds no one up).
fn slowlog_max(admin: &mut redis::Connection) -> u64 {
    let entries: Vec<redis::Value> = redis::cmd("SLOWLOG")
        .arg("GET")
        .arg(-1)
        .query(admin)
        .unwrap();
    entries
        .iter()
        .filter_map(|e| {
            let redis::Value::Array(fields) = e else {
                return None;
            };
            let micros = match fields.get(2)? {
                redis::Value::Int(n) => *n as u64,
                _ => return None,
            };
            let command = match fields.get(3)? {
                redis::Value::Array(args) => match args.first()? {
                    redis::Value::BulkString(b) => String::from_utf8_lossy(b).to_uppercase(),
                    _ => String::new(),
                },
                _ => String::new(),
            };
            (!matches!(command.as_str(), "XREAD" | "SLOWLOG" | "CONFIG")).then_some(micros)
        })
        .max()
        .unwrap_or(0)
}

fn net_output(admin: &mut redis::Connection) -> u64 {
    let info: String = redis::cmd("INFO").arg("stats").query(admin).unwrap();
    info.lines()
        .find_map(|l| l.trim().strip_prefix("total_net_output_bytes:"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
