//! Coordination costs (issue 19), on the local store and on Redis:
//!
//! - claim: one uncontended claim of a task on the board (a checked read-modify-write of its
//!   file, history and all), median and 99th percentile over 200;
//! - lease: one acquire plus its release;
//! - notify: a release by one client until another client's `lease_events` has it (local: the
//!   watcher following lease-events.jsonl; Redis: the events stream);
//! - sweep: the expiry sweep of 2,000 files, 10 of which carry an expiry (none due);
//! - contention: 8 threads (4 clients) claiming the same 100 tasks, each in its own order: the
//!   wall time, how many claims won (must be 100) and how many were refused.
//!
//! Run by `bench/coordination.sh` (which starts a private redis-server); by hand:
//! `cargo run --release --example coordination -- [redis+unix:///path/redis.sock]`.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use memdeck::memory::board::{self, NewTask};
use memdeck::memory::redis::{RedisOptions, RedisStore};
use memdeck::memory::{Grant, LeaseEvent, LocalOptions, LocalStore, MemoryStore};

fn main() {
    let redis_url = std::env::args().nth(1);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("memories");
    let open_local = || -> Arc<dyn MemoryStore> {
        let store = LocalStore::open(&LocalOptions::new(&dir)).unwrap();
        store.watch().unwrap();
        Arc::new(store)
    };
    report("local", &open_local);
    if let Some(url) = redis_url {
        let n = std::sync::atomic::AtomicU32::new(0);
        let open_redis = || -> Arc<dyn MemoryStore> {
            let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let store = RedisStore::open(RedisOptions {
                url: url.clone(),
                namespace: "coordination".into(),
                max_file_bytes: 100 * 1024,
                history_keep: 10_000,
                host: format!("client-{i}"),
            })
            .unwrap();
            store.watch().unwrap();
            Arc::new(store)
        };
        report("redis", &open_redis);
    }
}

fn report(name: &str, open: &dyn Fn() -> Arc<dyn MemoryStore>) {
    let a = open();
    let b = open();
    // Uncontended claims.
    let mut claims = Vec::new();
    for i in 0..200 {
        let title = format!("{name} solo {i}");
        let task = board::add(
            a.as_ref(),
            &NewTask {
                title: &title,
                ..NewTask::default()
            },
            "bench",
        )
        .unwrap();
        let start = Instant::now();
        board::claim(a.as_ref(), &task.id, "bench", board::CLAIM_TTL).unwrap();
        claims.push(start.elapsed());
    }
    // Lease acquire + release.
    let mut leases = Vec::new();
    for i in 0..200 {
        let start = Instant::now();
        let Grant::Granted(lease) = a
            .acquire(
                &format!("/memories/l{i}.md"),
                "bench",
                Duration::from_secs(30),
            )
            .unwrap()
        else {
            panic!("held")
        };
        a.release(&lease).unwrap();
        leases.push(start.elapsed());
    }
    // Release -> the other client hears it.
    let mut notify = Vec::new();
    let mut events = b.lease_events();
    for i in 0..50 {
        let subject = format!("/memories/n{i}.md");
        let Grant::Granted(lease) = a
            .acquire(&subject, "bench", Duration::from_secs(30))
            .unwrap()
        else {
            panic!("held")
        };
        std::thread::sleep(Duration::from_millis(20));
        while events.try_recv().is_ok() {}
        let start = Instant::now();
        a.release(&lease).unwrap();
        loop {
            match events.try_recv() {
                Ok(LeaseEvent::Released { subject: s, .. }) if s == subject => break,
                Ok(_) => {}
                Err(_) => {
                    assert!(start.elapsed() < Duration::from_secs(5), "no release heard");
                    std::thread::sleep(Duration::from_micros(200));
                }
            }
        }
        notify.push(start.elapsed());
    }
    // 8 claimers x 100 tasks.
    let mut ids = Vec::new();
    for i in 0..100 {
        let title = format!("{name} contended {i:03}");
        ids.push(
            board::add(
                a.as_ref(),
                &NewTask {
                    title: &title,
                    ..NewTask::default()
                },
                "bench",
            )
            .unwrap()
            .id,
        );
    }
    let clients: Vec<Arc<dyn MemoryStore>> = vec![a.clone(), b.clone(), open(), open()];
    let barrier = Arc::new(Barrier::new(8));
    let start = Instant::now();
    let handles: Vec<_> = (0..8)
        .map(|w| {
            let store = clients[w % 4].clone();
            let mut order = ids.clone();
            order.rotate_left(w * 13);
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let (mut won, mut refused) = (0, 0);
                for id in order {
                    match board::claim(store.as_ref(), &id, &format!("w{w}"), board::CLAIM_TTL) {
                        Ok(_) => won += 1,
                        Err(_) => refused += 1,
                    }
                }
                (won, refused)
            })
        })
        .collect();
    let (won, refused) = handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .fold((0, 0), |(w, r), (a, b)| (w + a, r + b));
    let wall = start.elapsed();
    // The expiry sweep over 2,000 files, 10 of which may expire (none due).
    for i in 0..2000 {
        let text = if i % 200 == 0 {
            "---\nexpires: 2999-01-01\n---\nlater\n"
        } else {
            "plain note\n"
        };
        let path =
            memdeck::memory::MemPath::parse(&format!("/memories/sweep/{name}-{i:04}.md")).unwrap();
        a.save(
            &path,
            text,
            memdeck::memory::Expect::Any,
            memdeck::memory::WriteCtx::new("bench", "create"),
        )
        .unwrap();
    }
    let mut sweeps = Vec::new();
    for _ in 0..10 {
        let live = memdeck::memory::expiry::live_sessions(a.as_ref()).unwrap();
        let start = Instant::now();
        let gone =
            memdeck::memory::expiry::sweep(a.as_ref(), memdeck::clock::now_ms(), &live).unwrap();
        sweeps.push(start.elapsed());
        assert!(gone.is_empty());
    }
    println!(
        "{name:>5}: expiry sweep of 2,000 files {}",
        stats(&mut sweeps)
    );
    println!(
        "{name:>5}: claim {} · lease+release {} · release heard by another client {} · 8 claimers x 100 tasks: {won} won, {refused} refused, {:.0} ms ({:.0} claims/s)",
        stats(&mut claims),
        stats(&mut leases),
        stats(&mut notify),
        wall.as_secs_f64() * 1000.0,
        800.0 / wall.as_secs_f64()
    );
    assert_eq!(won, 100, "every task claimed exactly once");
}

/// "median 1.2 ms, p99 3.4 ms".
fn stats(samples: &mut [Duration]) -> String {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    format!(
        "median {:.2} ms, p99 {:.2} ms",
        at(0.5).as_secs_f64() * 1000.0,
        at(0.99).as_secs_f64() * 1000.0
    )
}
