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

use std::time::Instant;

use memdeck::memory::execute;
use memdeck::memory::postgres::{PgOptions, PgStore};
use serde_json::json;

#[path = "scale_common.rs"]
mod common;

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
    common::fill(&writer, files);
    listings(&writer);
    let (done_rx, panels) = common::open_panels(&|host| {
        let store = open(host);
        store.watch().unwrap();
        store
    });
    common::timed_changes(&writer, &done_rx, files);
    let took = common::pruning_writes(&writer, &done_rx, files);
    println!(
        "2,600 writes with a pruning of the history: median {:.2} ms, slowest {:.1} ms",
        took[took.len() / 2],
        took[took.len() - 1]
    );
    common::stop(&writer, panels);
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
