//! Memory store benchmarks (targets from issue #2, on the 2-core CI machine):
//! `view /memories` on a store of 1,000 files within 5 ms median; `str_replace` on a 100 KiB
//! file within 2 ms median, fsync, history and all.
#![allow(clippy::pedantic)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use memdeck::memory::{LocalOptions, LocalStore, Retention, execute};
use serde_json::json;

fn store_with_1000_files() -> (tempfile::TempDir, LocalStore) {
    let tmp = tempfile::Builder::new()
        .prefix("memdeck-bench-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("temp dir");
    let mem = tmp.path().join("memories");
    for d in 0..10 {
        let dir = mem.join(format!("team-{d:02}"));
        std::fs::create_dir_all(&dir).expect("dir");
        for f in 0..100 {
            std::fs::write(
                dir.join(format!("note-{f:03}.md")),
                format!("note {d}/{f}\n").repeat(20),
            )
            .expect("file");
        }
    }
    let mut options = LocalOptions::new(&mem);
    // Keep pruning out of the measurement: it runs every 1/4 of the retention.
    options.retention = Retention {
        max_entries: 1_000_000,
        keep_per_path: 5,
    };
    let store = LocalStore::open(&options).expect("store");
    (tmp, store)
}

fn view_root(c: &mut Criterion) {
    let (_tmp, store) = store_with_1000_files();
    let input = json!({"command": "view", "path": "/memories"});
    let listing = execute(&store, &input, "bench");
    assert_eq!(
        listing.content.lines().count(),
        2 + 1010,
        "the store holds 1,000 files in 10 directories"
    );
    c.bench_function("view /memories (1,000 files)", |b| {
        b.iter(|| black_box(execute(&store, black_box(&input), "bench")));
    });
}

fn str_replace_100k(c: &mut Criterion) {
    let (_tmp, store) = store_with_1000_files();
    let body = "The customer wants a phased rollout across forty stores.\n".repeat(1800);
    // Just under the 100 KiB limit, leaving room for the marker to grow.
    let text = format!("MARK-0\n{}", &body[..100 * 1024 - 64]);
    let created = execute(
        &store,
        &json!({"command": "create", "path": "/memories/big.md", "file_text": text}),
        "bench",
    );
    assert!(!created.is_error, "{}", created.content);
    let mut n = 0u64;
    c.bench_function("str_replace on a 100 KiB file (fsync + history)", |b| {
        b.iter(|| {
            // Every edit makes new content, so every edit writes a new history blob.
            let input = json!({"command": "str_replace", "path": "/memories/big.md", "old_str": format!("MARK-{n}\n"), "new_str": format!("MARK-{}\n", n + 1)});
            n += 1;
            let result = execute(&store, &input, "bench");
            assert!(!result.is_error, "{}", result.content);
        });
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5)).sample_size(50);
    targets = view_root, str_replace_100k
}
criterion_main!(benches);
