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

use std::sync::mpsc;
use std::time::Instant;

use memdeck::memory::execute;
use memdeck::memory::redis::{RedisOptions, RedisStore};
use serde_json::json;

#[path = "scale_common.rs"]
mod common;

use common::{CHANGES, PANELS, Refreshed};

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
    common::fill(&writer, files);
    listings(&writer, &mut admin);
    let (done_rx, panels) = common::open_panels(&|host| {
        let store = open(host);
        store.watch().unwrap();
        store
    });
    changes(&writer, &mut admin, &done_rx, files);
    pruning(&writer, &mut admin, &done_rx, files);
    common::stop(&writer, panels);
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

/// Changes by a sixth client, each timed until every panel has read it, with the server's
/// longest command and the bytes it sent meanwhile.
fn changes(
    writer: &RedisStore,
    admin: &mut redis::Connection,
    done_rx: &mpsc::Receiver<Refreshed>,
    files: usize,
) {
    slowlog_reset(admin);
    let sent_before = net_output(admin);
    common::timed_changes(writer, done_rx, files);
    let sent = net_output(admin) - sent_before;
    let change_block = slowlog_max(admin);
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
    common::pruning_writes(writer, done_rx, files);
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
