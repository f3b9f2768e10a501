//! The Redis store with a real `redis-server`: clients on "two machines" see each other's
//! changes (with the machine's name), another process's changes arrive too, concurrent writers
//! from many connections and from two processes lose nothing, a server killed in the middle of
//! writes leaves a consistent store, and a watcher that lost its server catches up on what it
//! missed.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::redis as redis_server;

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::redis_cluster::RedisCluster;
use crate::support::redis_sentinel::{RedisSentinel, SERVICE as SENTINEL_SERVICE};
use memdeck::memory::{
    ChangeKind, Expect, MemPath, MemoryChange, MemoryStore, Version, WriteCtx, execute,
};
use redis::Commands;
use redis_server::RedisServer;
use serde_json::json;
use tokio::sync::broadcast;

fn path(p: &str) -> MemPath {
    MemPath::parse(p).unwrap()
}

/// The next change, waiting up to 10 s.
fn next(rx: &mut broadcast::Receiver<MemoryChange>) -> MemoryChange {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match rx.try_recv() {
            Ok(change) => return change,
            Err(broadcast::error::TryRecvError::Empty) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("no change arrived: {e:?}"),
        }
    }
}

#[test]
fn two_machines_see_each_others_changes_with_who_and_where() {
    let server = RedisServer::start();
    let a = server.store("team", "laptop-a");
    let b = server.store("team", "laptop-b");
    a.watch().unwrap();
    let mut seen_by_a = a.subscribe();

    b.save(
        &path("/memories/acme.md"),
        "ACME runs 40 stores.\n",
        Expect::Absent,
        WriteCtx::new("Alice", "create"),
    )
    .unwrap();
    let started = Instant::now();
    let change = next(&mut seen_by_a);
    eprintln!(
        "a change on another client arrived after {:?}",
        started.elapsed()
    );
    assert_eq!(change.path, "/memories/acme.md");
    assert_eq!(change.kind, ChangeKind::Created);
    assert_eq!(change.actor, "Alice@laptop-b");
    assert_eq!(change.version, Some(Version::of(b"ACME runs 40 stores.\n")));
    assert_eq!(
        a.read(&path("/memories/acme.md")).unwrap().text,
        "ACME runs 40 stores.\n"
    );

    // A's own change reaches its subscribers once, without a machine name.
    let result = execute(
        &a,
        &json!({"command": "str_replace", "path": "/memories/acme.md", "old_str": "40", "new_str": "45"}),
        "John",
    );
    assert!(!result.is_error, "{}", result.content);
    let change = next(&mut seen_by_a);
    assert_eq!(
        (change.kind, change.actor.as_str()),
        (ChangeKind::Modified, "John")
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(seen_by_a.try_recv().is_err(), "the own change came twice");

    // Renames and deletes from the other machine.
    b.rename(
        &path("/memories/acme.md"),
        &path("/memories/customers/acme.md"),
        WriteCtx::new("Sam", "rename"),
    )
    .unwrap();
    let change = next(&mut seen_by_a);
    assert_eq!(
        change.kind,
        ChangeKind::Renamed {
            from: "/memories/acme.md".into()
        }
    );
    assert_eq!(change.path, "/memories/customers/acme.md");
    b.delete(&path("/memories/customers"), WriteCtx::new("Sam", "delete"))
        .unwrap();
    let first = next(&mut seen_by_a);
    assert_eq!((first.kind, first.is_dir), (ChangeKind::Deleted, true));
    // The history names the machine too.
    let log = a.history(None).unwrap();
    assert_eq!(log[0].actor, "Alice@laptop-b");
    assert_eq!(log[1].actor, "John");
}

/// On a Redis Cluster, two machines reaching it through different nodes (neither of them,
/// for one namespace, the node that holds its keys) see each other's changes through the
/// watcher, and `memdeck memory exec` works with any node's URL.
#[test]
fn a_cluster_reached_through_any_node_shares_changes_both_ways() {
    let cluster = RedisCluster::start();
    // A namespace whose keys live on the third node, reached through the first two.
    let ns = (0..)
        .map(|i| format!("team{i}"))
        .find(|ns| cluster.owner(&format!("mem:{{{ns}}}:log")) == 2)
        .unwrap();
    let a = cluster.store_at(&cluster.url(0), &ns, "laptop-a");
    let b = cluster.store_at(&cluster.url(1), &ns, "laptop-b");
    a.watch().unwrap();
    b.watch().unwrap();
    let mut seen_by_a = a.subscribe();
    let mut seen_by_b = b.subscribe();
    b.save(
        &path("/memories/acme.md"),
        "ACME runs 40 stores.\n",
        Expect::Absent,
        WriteCtx::new("Alice", "create"),
    )
    .unwrap();
    let change = next(&mut seen_by_a);
    assert_eq!(
        (change.path.as_str(), change.actor.as_str()),
        ("/memories/acme.md", "Alice@laptop-b")
    );
    let result = execute(
        &a,
        &json!({"command": "str_replace", "path": "/memories/acme.md", "old_str": "40", "new_str": "45"}),
        "John",
    );
    assert!(!result.is_error, "{}", result.content);
    // B sees its own create first, then A's edit.
    let own = next(&mut seen_by_b);
    assert_eq!(own.actor, "Alice");
    let change = next(&mut seen_by_b);
    assert_eq!(
        (change.kind, change.actor.as_str()),
        (ChangeKind::Modified, "John@laptop-a")
    );
    // The command line, through the third node's neighbour.
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_memdeck"))
        .current_dir(tmp.path())
        .env_remove("ANTHROPIC_API_KEY")
        .env("XDG_CONFIG_HOME", tmp.path())
        .args(["--memory-backend", "redis", "--redis-url", &cluster.url(1)])
        .args(["--namespace", &ns, "memory", "exec"])
        .arg(r#"{"command":"view","path":"/memories/acme.md"}"#)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("ACME runs 45 stores."),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Insert a unique line into /memories/log.md every 10 ms until told to stop; returns the
/// lines answered as done and the failures' texts.
fn keep_writing(
    store: Arc<dyn MemoryStore + Send + Sync>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<(Vec<String>, Vec<String>)> {
    let file = json!({"command": "create", "path": "/memories/log.md", "file_text": "start\n"});
    assert!(!execute(store.as_ref(), &file, "Alice").is_error);
    std::thread::spawn(move || {
        let (mut done, mut failed) = (Vec::new(), Vec::new());
        let mut i = 0;
        while !stop.load(std::sync::atomic::Ordering::SeqCst) {
            let line = format!("w{i}");
            let input = json!({"command": "insert", "path": "/memories/log.md",
                "insert_line": 0, "insert_text": format!("{line}\n")});
            let result = execute(store.as_ref(), &input, "Alice");
            if result.is_error {
                failed.push(result.content);
            } else {
                done.push(line);
            }
            i += 1;
            std::thread::sleep(Duration::from_millis(10));
        }
        (done, failed)
    })
}

/// After a failover: every write answered as done is in the file as `reader` (a store opened
/// after the failover, so it reaches the new primary) reads it, exactly once; no line is there
/// twice; every failure said "unreachable" (never a refusal); writes went on after the
/// failover, and the store that wrote still works.
fn check_no_answered_write_lost(
    store: &dyn MemoryStore,
    reader: &dyn MemoryStore,
    (done, failed): (Vec<String>, Vec<String>),
) {
    eprintln!(
        "{} writes answered as done, {} failed",
        done.len(),
        failed.len()
    );
    for why in &failed {
        assert!(why.contains("unreachable"), "a failed write said: {why}");
    }
    let text = reader.read(&path("/memories/log.md")).unwrap().text;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for line in text.lines() {
        *counts.entry(line).or_default() += 1;
    }
    for line in &done {
        assert_eq!(
            counts.get(line.as_str()),
            Some(&1),
            "{line} answered as done: {text}"
        );
    }
    assert!(
        counts.values().all(|&n| n == 1),
        "a line is there twice: {text}"
    );
    assert!(done.len() > 20, "{} writes done", done.len());
    let after = execute(
        store,
        &json!({"command": "view", "path": "/memories/log.md"}),
        "Alice",
    );
    assert!(!after.is_error, "{}", after.content);
}

/// A cluster primary killed in the middle of writes: its replica owns the slot within seconds
/// and no write answered as done is lost or doubled.
#[test]
fn a_primary_killed_mid_writes_fails_over_and_loses_no_answered_write() {
    let mut cluster = RedisCluster::with_replicas(1);
    let ns = "failover";
    let owner = cluster.owner(&format!("mem:{{{ns}}}:log"));
    let store = Arc::new(cluster.store_at(&cluster.urls(), ns, "laptop-a"));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = keep_writing(store.clone(), stop.clone());
    std::thread::sleep(Duration::from_millis(800));
    cluster.kill(owner);
    let took = cluster.wait_for_new_owner(&format!("mem:{{{ns}}}:log"), owner);
    eprintln!("a replica owned the slot after {took:?}");
    std::thread::sleep(Duration::from_secs(2));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let reader = cluster.store_at(&cluster.urls(), ns, "checker");
    check_no_answered_write_lost(store.as_ref(), &reader, writer.join().unwrap());
}

/// A planned switch on a cluster (`CLUSTER FAILOVER` on the primary's replica) while writing:
/// the replica takes over once it has everything the primary answered, the store follows the
/// slot to it, and no write answered as done is lost or doubled.
#[test]
fn a_planned_cluster_failover_loses_no_answered_write() {
    let cluster = RedisCluster::with_replicas(1);
    let ns = "planned";
    let key = format!("mem:{{{ns}}}:log");
    let owner = cluster.owner(&key);
    let replica = cluster.replica_of(owner);
    let store = Arc::new(cluster.store_at(&cluster.url(owner), ns, "laptop-a"));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = keep_writing(store.clone(), stop.clone());
    std::thread::sleep(Duration::from_millis(500));
    // A manual failover gives up after 5 s when the two cannot agree (a replica still settling
    // right after the cluster formed): asked again then, as an operator would.
    let began = Instant::now();
    for attempt in 1..=3 {
        let asked: Option<String> = cluster.ask(
            cluster.ports[replica],
            redis::cmd("CLUSTER").arg("FAILOVER"),
        );
        assert_eq!(asked.as_deref(), Some("OK"));
        let deadline = Instant::now() + Duration::from_secs(8);
        while cluster.owner_now(&key) != Some(replica) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if cluster.owner_now(&key) == Some(replica) {
            break;
        }
        assert!(attempt < 3, "the replica never took over");
    }
    eprintln!("the replica owned the slot after {:?}", began.elapsed());
    std::thread::sleep(Duration::from_secs(1));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let (done, failed) = writer.join().unwrap();
    assert!(
        failed.is_empty(),
        "a planned switch failed writes: {failed:?}"
    );
    let reader = cluster.store_at(&cluster.url(replica), ns, "checker");
    check_no_answered_write_lost(store.as_ref(), &reader, (done, failed));
}

/// Sentinel: the primary killed in the middle of writes; the sentinels promote the replica;
/// the store asks them again on its next connection (a write refused by a demoted primary is
/// sent to the new one), and no write answered as done is lost or doubled.
#[test]
fn sentinel_promotes_the_replica_and_the_store_follows() {
    let mut set = RedisSentinel::start();
    let store = Arc::new(set.store("failover", "laptop-a"));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = keep_writing(store.clone(), stop.clone());
    std::thread::sleep(Duration::from_millis(800));
    let old = set.primary_port().unwrap();
    set.kill_data(old);
    let started = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(30);
    while set.primary_port().is_none_or(|p| p == old) {
        assert!(
            Instant::now() < deadline,
            "the sentinels promoted no replica"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!(
        "the sentinels named a new primary after {:?}",
        started.elapsed()
    );
    std::thread::sleep(Duration::from_secs(2));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let reader = set.store("failover", "checker");
    check_no_answered_write_lost(store.as_ref(), &reader, writer.join().unwrap());
}

/// A planned switch (`SENTINEL FAILOVER`) while writing. Without waiting for a replica's
/// confirmation, writes answered as done just before the switch were lost (the replica had not
/// received them when it was promoted): this test failed so. Each write on a Sentinel link now
/// waits (`WAIT 1`) until a replica has it; no write answered as done is lost or doubled.
#[test]
fn a_planned_sentinel_switch_loses_no_answered_write() {
    let set = RedisSentinel::start();
    let store = Arc::new(set.store("switch", "laptop-a"));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = keep_writing(store.clone(), stop.clone());
    std::thread::sleep(Duration::from_millis(500));
    let old = set.primary_port().unwrap();
    let mut sentinel = redis::Client::open(format!("redis://127.0.0.1:{}", set.sentinel_ports[0]))
        .unwrap()
        .get_connection()
        .unwrap();
    let _: () = redis::cmd("SENTINEL")
        .arg("FAILOVER")
        .arg(SENTINEL_SERVICE)
        .query(&mut sentinel)
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while set.primary_port().is_none_or(|p| p == old) || !set.is_replica(old) {
        assert!(Instant::now() < deadline, "the switch never happened");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Writes go on against the demoted primary's connection for a while.
    std::thread::sleep(Duration::from_secs(2));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let reader = set.store("switch", "checker");
    check_no_answered_write_lost(store.as_ref(), &reader, writer.join().unwrap());
}

/// A replica that stops confirming writes (it died): the edit that waited for it in vain is
/// not answered from that connection; the save is sent once more on a new one (asking the
/// sentinels again), which finds the edit already there (the primary is alive) and answers
/// done — the line is there once, not twice — and with no replica attached now, writes go on
/// without waiting.
#[test]
fn a_dead_replica_costs_a_retry_and_doubles_nothing() {
    let mut set = RedisSentinel::start();
    let store = set.store("confirm", "laptop-a");
    let first = json!({"command": "create", "path": "/memories/a.md", "file_text": "one\n"});
    assert!(!execute(&store, &first, "Alice").is_error);
    let replica = set.data_ports[1];
    set.kill_data(replica);
    let edit = json!({"command": "insert", "path": "/memories/a.md", "insert_line": 1,
        "insert_text": "two"});
    let result = execute(&store, &edit, "Alice");
    assert!(!result.is_error, "{}", result.content);
    assert_eq!(
        store.read(&path("/memories/a.md")).unwrap().text,
        "one\ntwo\n"
    );
    let save = json!({"command": "create", "path": "/memories/c.md", "file_text": "three\n"});
    let result = execute(&store, &save, "Alice");
    assert!(!result.is_error, "{}", result.content);
    assert_eq!(store.read(&path("/memories/c.md")).unwrap().text, "three\n");
}

/// A port that accepts connections and never answers (another service, a TLS port named with
/// `redis://`): opening the store fails within seconds, saying the store is unreachable,
/// instead of waiting forever for the first reply.
#[test]
fn a_server_that_never_answers_fails_the_open_in_seconds() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let opened =
            memdeck::memory::redis::RedisStore::open(memdeck::memory::redis::RedisOptions {
                url: format!("redis://127.0.0.1:{port}"),
                namespace: "team".into(),
                max_file_bytes: 1024,
                history_keep: 100,
                host: "laptop".into(),
            });
        let _ = tx.send(opened.err().map(|e| e.to_string()));
    });
    let error = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the open is still waiting after 20 s");
    let error = error.expect("a silent server was taken for Redis");
    assert!(error.contains("unreachable"), "{error}");
}

/// `memdeck` against the test's server.
fn memdeck(server: &RedisServer, namespace: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_memdeck"));
    command
        .current_dir(server.dir.path())
        .args(["--memory-backend", "redis", "--redis-url", &server.url()])
        .args(["--namespace", namespace])
        .env("XDG_CONFIG_HOME", server.dir.path())
        .env_remove("MEMDECK_CONFIG");
    command
}

#[test]
fn another_process_changes_arrive_and_two_processes_lose_no_write() {
    let server = RedisServer::start();
    let here = server.store("shared", "this-machine");
    here.watch().unwrap();
    let mut changes = here.subscribe();
    let out = memdeck(&server, "shared")
        .args(["memory", "exec", "--actor", "John"])
        .arg(r#"{"command":"create","path":"/memories/log.md","file_text":""}"#)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let change = next(&mut changes);
    assert_eq!(change.path, "/memories/log.md");
    assert!(change.actor.starts_with("John@"), "{}", change.actor);

    // Two processes, each inserting 25 lines at the top of the same file, as fast as they can.
    let script = |who: &str| {
        format!(
            "for i in $(seq 1 25); do {bin} --memory-backend redis --redis-url {url} \
             --namespace shared memory exec --actor {who} \
             '{{\"command\":\"insert\",\"path\":\"/memories/log.md\",\"insert_line\":0,\"insert_text\":\"{who} '$i'\"}}' \
             >/dev/null || exit 1; done",
            bin = env!("CARGO_BIN_EXE_memdeck"),
            url = server.url(),
        )
    };
    let one = Command::new("sh")
        .arg("-c")
        .arg(script("Alice"))
        .spawn()
        .unwrap();
    let two = Command::new("sh")
        .arg("-c")
        .arg(script("Sam"))
        .spawn()
        .unwrap();
    for mut child in [one, two] {
        assert!(child.wait().unwrap().success());
    }
    let text = here.read(&path("/memories/log.md")).unwrap().text;
    for who in ["Alice", "Sam"] {
        for i in 1..=25 {
            assert!(
                text.lines().any(|l| l == format!("{who} {i}")),
                "{who} {i} was lost:\n{text}"
            );
        }
    }
    assert_eq!(text.lines().count(), 50);
    // Every accepted write is one history entry.
    let inserts = here
        .history(Some(&path("/memories/log.md")))
        .unwrap()
        .iter()
        .filter(|e| e.op == "insert")
        .count();
    assert_eq!(inserts, 50);
}

#[test]
fn many_connections_writing_one_file_lose_nothing() {
    let server = RedisServer::start();
    let setup = server.store("busy", "setup");
    let file = path("/memories/counter.md");
    setup
        .save(&file, "", Expect::Absent, WriteCtx::new("you", "create"))
        .unwrap();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = server.store("busy", &format!("machine-{t}"));
            let file = file.clone();
            std::thread::spawn(move || {
                for i in 0..20 {
                    let line = format!("t{t} {i}\n");
                    store
                        .modify(&file, WriteCtx::new("Alice", "insert"), &mut |text| {
                            Ok(format!("{text}{line}"))
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let text = setup.read(&file).unwrap().text;
    assert_eq!(text.lines().count(), 160, "{text}");
    let mut conn = server.conn();
    let seq: u64 = conn.get("mem:{busy}:seq").unwrap();
    assert_eq!(seq, 161, "one history entry per accepted write");
}

/// Whatever happened, the store's keys agree: every file's text has the hash its metadata says,
/// every history entry's versions are kept, every entry was counted.
fn assert_consistent(server: &RedisServer, ns: &str) {
    let mut conn = server.conn();
    let content: BTreeMap<String, String> = conn.hgetall(format!("mem:{{{ns}}}:content")).unwrap();
    let meta: BTreeMap<String, String> = conn.hgetall(format!("mem:{{{ns}}}:meta")).unwrap();
    let blobs: BTreeMap<String, String> = conn.hgetall(format!("mem:{{{ns}}}:blobs")).unwrap();
    assert_eq!(
        content.keys().collect::<Vec<_>>(),
        meta.keys().collect::<Vec<_>>()
    );
    for (p, text) in &content {
        let m: serde_json::Value = serde_json::from_str(&meta[p]).unwrap();
        assert_eq!(m["sha"], Version::of(text.as_bytes()).as_str(), "{p}");
        assert_eq!(m["size"], text.len(), "{p}");
    }
    let entries: u64 = redis::cmd("XLEN")
        .arg(format!("mem:{{{ns}}}:log"))
        .query(&mut conn)
        .unwrap();
    let seq: Option<u64> = conn.get(format!("mem:{{{ns}}}:seq")).unwrap();
    assert_eq!(entries, seq.unwrap_or(0));
    let store = server.store(ns, "checker");
    for entry in store.history(None).unwrap() {
        for v in entry.old.iter().chain(&entry.new) {
            assert!(
                blobs.contains_key(v.as_str()),
                "version {v} of {} is lost",
                entry.path
            );
        }
    }
}

#[test]
fn a_server_killed_mid_write_leaves_a_consistent_store_and_clients_reconnect() {
    let mut server = RedisServer::durable();
    let store = Arc::new(server.store("crash", "writer"));
    let file = path("/memories/notes.md");
    store
        .save(&file, "", Expect::Absent, WriteCtx::new("you", "create"))
        .unwrap();
    let writer = {
        let store = store.clone();
        let file = file.clone();
        std::thread::spawn(move || {
            let mut accepted = 0;
            let mut failed = 0;
            for i in 0..400 {
                let result = store.modify(&file, WriteCtx::new("Alice", "insert"), &mut |t| {
                    Ok(format!("{t}line {i}\n"))
                });
                match result {
                    Ok(_) => accepted += 1,
                    Err(e) => {
                        assert!(
                            e.to_string().contains("is unreachable"),
                            "a failure that does not say what happened: {e}"
                        );
                        failed += 1;
                    }
                }
            }
            (accepted, failed)
        })
    };
    std::thread::sleep(Duration::from_millis(60));
    server.kill();
    std::thread::sleep(Duration::from_millis(200));
    server.restart();
    let (accepted, failed) = writer.join().unwrap();
    assert!(failed > 0, "the kill did not interrupt any write");
    assert!(accepted > 0);
    assert_consistent(&server, "crash");
    // The same store object works again once the server is back.
    store
        .modify(&file, WriteCtx::new("Alice", "insert"), &mut |t| {
            Ok(format!("{t}after\n"))
        })
        .unwrap();
    let text = store.read(&file).unwrap().text;
    assert!(text.ends_with("after\n"));
    // Nothing half-written: each line once, in order.
    let numbers: Vec<u32> = text
        .lines()
        .filter_map(|l| l.strip_prefix("line ")?.parse().ok())
        .collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
    assert_consistent(&server, "crash");
}

#[test]
fn a_watcher_that_lost_its_server_catches_up_on_every_missed_change() {
    let mut server = RedisServer::durable();
    let watching = server.store("catchup", "laptop-a");
    watching.watch().unwrap();
    let mut changes = watching.subscribe();
    server.kill();
    // While the server is down, the store says so.
    let down = watching.read(&path("/memories/x.md"));
    assert!(
        down.as_ref()
            .is_err_and(|e| e.to_string().contains("unreachable")),
        "{down:?}"
    );
    server.restart();
    let writer = server.store("catchup", "laptop-b");
    for i in 0..20 {
        writer
            .save(
                &path(&format!("/memories/f{i}.md")),
                "x",
                Expect::Absent,
                WriteCtx::new("Sam", "create"),
            )
            .unwrap();
    }
    let got: Vec<String> = (0..20).map(|_| next(&mut changes).path).collect();
    let want: Vec<String> = (0..20).map(|i| format!("/memories/f{i}.md")).collect();
    assert_eq!(got, want);
    // And the reader works again.
    assert!(watching.read(&path("/memories/f3.md")).is_ok());
}

/// The server's count of connections it has accepted.
fn connections_received(admin: &mut redis::Connection) -> u64 {
    let info: String = redis::cmd("INFO").arg("stats").query(admin).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("total_connections_received:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Opening the store on one server costs one connection: the one that asked whether the
/// server is a cluster node goes on carrying the commands.
#[test]
fn opening_the_store_costs_one_connection() {
    let server = RedisServer::start();
    let mut admin = server.conn();
    let before = connections_received(&mut admin);
    let store = server.store("one", "laptop-a");
    assert!(store.read(&path("/memories/none.md")).is_err());
    assert_eq!(connections_received(&mut admin) - before, 1);
}

/// A server that takes the watcher's connection but fails its read at once (here the stream's
/// key holds a string; a cluster's MOVED or a loading replica do the same) is retried with a
/// growing pause: no reconnecting ten times a second, and the status stays on the trouble
/// instead of flapping back to "reachable" at every connect.
#[test]
fn a_read_that_fails_at_once_backs_off_and_the_trouble_stays_shown() {
    let server = RedisServer::start();
    let store = server.store("flap", "laptop-a");
    store.watch().unwrap();
    let mut status = store.status().unwrap();
    let mut admin = server.conn();
    let _: () = redis::cmd("DEL")
        .arg("mem:{flap}:log")
        .query(&mut admin)
        .unwrap();
    let _: () = redis::cmd("SET")
        .arg("mem:{flap}:log")
        .arg("not a stream")
        .query(&mut admin)
        .unwrap();
    // The watcher's blocking read ends within 2 s; the next one fails.
    let deadline = Instant::now() + Duration::from_secs(10);
    while status.borrow_and_update().is_none() {
        assert!(Instant::now() < deadline, "the trouble never showed");
        std::thread::sleep(Duration::from_millis(20));
    }
    let before = connections_received(&mut admin);
    std::thread::sleep(Duration::from_secs(3));
    let after = connections_received(&mut admin);
    // With the pause doubling from 100 ms, about five; reconnecting at once after each
    // connect made about thirty.
    assert!(after - before <= 8, "{} connections in 3 s", after - before);
    assert!(
        !status.has_changed().unwrap() && status.borrow().is_some(),
        "the status went back to reachable while every read failed"
    );
    // Once the stream is a stream again, the watcher recovers by itself.
    let _: () = redis::cmd("DEL")
        .arg("mem:{flap}:log")
        .query(&mut admin)
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while status.borrow_and_update().is_some() {
        assert!(Instant::now() < deadline, "the watcher never recovered");
        std::thread::sleep(Duration::from_millis(20));
    }
}

use crate::support::outage;

/// The app on the shared store: another machine's file appears in the panel with its machine;
/// the server dies: the app keeps running and says so in the status bar, a memory command fails
/// clearly; the server comes back: the status clears and what was written meanwhile shows.
#[test]
fn the_app_keeps_running_while_the_server_is_down_and_catches_up() {
    let mut server = RedisServer::durable();
    let dir = server.dir.path().to_owned();
    let backend = format!(
        "--memory-backend redis --redis-url {} --namespace demo",
        server.url()
    );
    outage::app_rides_out_an_outage(&mut server, &dir, &backend, "Redis redis+unix://");
}

/// The app on a Redis Cluster whose primary for the team's namespace dies: the status bar
/// says the shared memory is unreachable while the replica takes over, then clears by itself,
/// and another machine's change made after the failover shows in the panel.
#[test]
fn the_app_on_a_cluster_rides_out_a_failover() {
    let mut cluster = RedisCluster::with_replicas(1);
    let ns = "demo";
    let owner = cluster.owner(&format!("mem:{{{ns}}}:log"));
    // The app and the other machine reach the cluster through a node that is not the owner.
    let via = cluster.url((owner + 1) % 3);
    let other = cluster.store_at(&cluster.urls(), ns, "johns-laptop");
    other
        .save(
            &path("/memories/before.md"),
            "from John\n",
            Expect::Absent,
            WriteCtx::new("John", "create"),
        )
        .unwrap();
    let backend = format!("--memory-backend redis --redis-url {via} --namespace {ns}");
    let (tmux, shown) = outage::app_on(cluster.dir.path(), &backend);
    assert!(shown.contains("Redis Cluster"), "{shown}");

    cluster.kill(owner);
    tmux.wait_for("the status bar to say the store is down", |s| {
        s.contains("shared memory unreachable")
    });
    cluster.wait_for_new_owner(&format!("mem:{{{ns}}}:log"), owner);
    // The other machine writes once the cluster is whole again.
    let deadline = Instant::now() + Duration::from_secs(30);
    while other
        .save(
            &path("/memories/after.md"),
            "after the failover\n",
            Expect::Absent,
            WriteCtx::new("John", "create"),
        )
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "the other machine never wrote again"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let shown = tmux.wait_for("the recovery", |s| {
        s.contains("after.md") && !s.contains("shared memory unreachable")
    });
    assert!(shown.contains("before.md"), "{shown}");
    tmux.keys(&["C-q"]);
    tmux.wait_for("the exit", |s| s.contains("memdeck exited 0"));
}

/// `memory migrate`: a local store with its history copied to Redis and back; the copies hold
/// the same files (empty directories included, hidden names left out), the same history (who, when, what)
/// and the same versions, so restores work; a store that is not empty is never overwritten.
#[test]
fn migrate_copies_a_store_with_its_history_both_ways() {
    let server = RedisServer::start();
    let dir = server.dir.path().join("memories");
    let local =
        memdeck::memory::LocalStore::open(&memdeck::memory::LocalOptions::new(&dir)).unwrap();
    for (actor, input) in [
        (
            "Alice",
            json!({"command": "create", "path": "/memories/acme.md", "file_text": "ACME: 40 stores\n"}),
        ),
        (
            "John",
            json!({"command": "str_replace", "path": "/memories/acme.md", "old_str": "40", "new_str": "45"}),
        ),
        (
            "Sam",
            json!({"command": "create", "path": "/memories/notes/plan.md", "file_text": "plan ✓\n"}),
        ),
        (
            "Alice",
            json!({"command": "create", "path": "/memories/old.md", "file_text": "old"}),
        ),
        (
            "Alice",
            json!({"command": "rename", "old_path": "/memories/old.md", "new_path": "/memories/archive/old.md"}),
        ),
        (
            "John",
            json!({"command": "delete", "path": "/memories/archive/old.md"}),
        ),
    ] {
        let r = execute(&local, &input, actor);
        assert!(!r.is_error, "{input}: {}", r.content);
    }
    std::fs::create_dir(dir.join("empty")).unwrap();
    // Hidden names are memdeck's own (an editor's swap file here): never copied.
    std::fs::write(dir.join(".notes.md.swp"), "swap").unwrap();
    let local_history = local.history(None).unwrap();
    drop(local);

    let migrate = |memory_dir: &std::path::Path, from: &str, to: &str| {
        memdeck(&server, "moved")
            .arg("--memory-dir")
            .arg(memory_dir)
            .args(["memory", "migrate", "--from", from, "--to", to])
            .output()
            .unwrap()
    };
    let out = migrate(&dir, "file", "redis");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.starts_with("copied 2 files, 3 directories, 6 history entries"),
        "{said}"
    );

    let shared = server.store("moved", "elsewhere");
    let strip = |h: Vec<memdeck::memory::HistoryEntry>| -> Vec<_> {
        h.into_iter()
            .map(|e| (e.ts_ms, e.actor, e.op, e.path, e.new_path, e.old, e.new))
            .collect()
    };
    let own_host = memdeck::memory::redis::hostname();
    let shared_history: Vec<_> = strip(shared.history(None).unwrap())
        .into_iter()
        .map(|mut e| {
            // Seen from another machine, the copy's actors carry the migrating machine's name.
            e.1 = e.1.trim_end_matches(&format!("@{own_host}")).to_owned();
            e
        })
        .collect();
    assert_eq!(shared_history, strip(local_history.clone()));
    assert_eq!(
        shared.read(&path("/memories/acme.md")).unwrap().text,
        "ACME: 45 stores\n"
    );
    let mut copied: Vec<String> = server.conn().hkeys("mem:{moved}:content").unwrap();
    copied.sort();
    assert_eq!(copied, ["/memories/acme.md", "/memories/notes/plan.md"]);
    assert!(matches!(
        shared.node(&path("/memories/empty")).unwrap(),
        Some((memdeck::memory::NodeKind::Dir, _))
    ));
    // An old version and a deleted file come back from the copied versions.
    shared
        .restore(
            &path("/memories/acme.md"),
            None,
            WriteCtx::new("you", "restore"),
        )
        .unwrap();
    assert_eq!(
        shared.read(&path("/memories/acme.md")).unwrap().text,
        "ACME: 40 stores\n"
    );
    shared
        .restore(
            &path("/memories/archive/old.md"),
            None,
            WriteCtx::new("you", "restore"),
        )
        .unwrap();

    // Into a store that is not empty: refused, nothing touched.
    let again = migrate(&dir, "local", "redis");
    assert_eq!(again.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&again.stderr)
            .contains("is not empty; migrate into an empty namespace"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    // And back, into a new directory.
    let back_dir = server.dir.path().join("back");
    let out = migrate(&back_dir, "redis", "local");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let back =
        memdeck::memory::LocalStore::open(&memdeck::memory::LocalOptions::new(&back_dir)).unwrap();
    assert_eq!(
        back.read(&path("/memories/acme.md")).unwrap().text,
        "ACME: 40 stores\n"
    );
    assert_eq!(
        back.read(&path("/memories/archive/old.md")).unwrap().text,
        "old"
    );
    assert_eq!(
        back.history(None).unwrap().len(),
        shared.history(None).unwrap().len()
    );
    assert!(back_dir.join("empty").is_dir());
    let plan = std::fs::metadata(back_dir.join("notes/plan.md")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(plan.permissions().mode() & 0o777, 0o600);
}

/// Connections killed by the server (`CLIENT KILL`, as a failover or a proxy would) cost the
/// store nothing: reads and saves go on on a new connection, each save applied once.
#[test]
fn killed_connections_are_replaced_without_an_error_or_a_double_write() {
    let server = RedisServer::start();
    let store = server.store("kill", "laptop");
    let file = path("/memories/a.md");
    store
        .save(&file, "1\n", Expect::Absent, WriteCtx::new("you", "create"))
        .unwrap();
    let mut admin = server.conn();
    for i in 2..=6 {
        let _: redis::Value = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("TYPE")
            .arg("normal")
            .arg("SKIPME")
            .arg("yes")
            .query(&mut admin)
            .unwrap();
        let current = store.read(&file).unwrap();
        store
            .save(
                &file,
                &format!("{}{i}\n", current.text),
                Expect::Version(current.version),
                WriteCtx::new("you", "save"),
            )
            .unwrap();
    }
    assert_eq!(store.read(&file).unwrap().text, "1\n2\n3\n4\n5\n6\n");
    assert_eq!(store.history(Some(&file)).unwrap().len(), 6);
}

#[test]
fn doctor_checks_the_shared_store() {
    let mut server = RedisServer::start();
    let out = memdeck(&server, "team")
        .args(["--provider", "demo", "doctor"])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        report.contains("namespace team: reachable, 0 history entries"),
        "{report}"
    );
    server.kill();
    let out = memdeck(&server, "team")
        .args(["--provider", "demo", "doctor"])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(report.contains("is unreachable"), "{report}");
    assert!(report.contains("check --redis-url"), "{report}");
}

/// A server that speaks only TLS, with a certificate from a test authority: memdeck talks to it
/// with `rediss://` when the authority is trusted (`SSL_CERT_FILE`), refuses it otherwise;
/// passwords in Redis URLs never show.
#[test]
fn tls_to_redis_verifies_the_server_and_passwords_never_show() {
    let tmp = tempfile::Builder::new()
        .prefix("memdeck-redis-tls-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let dir = tmp.path();
    let certs = crate::support::tls::Certs::make(dir);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new("redis-server")
        .current_dir(dir)
        .args([
            "--port",
            "0",
            "--tls-port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .arg("--tls-cert-file")
        .arg(&certs.cert)
        .arg("--tls-key-file")
        .arg(&certs.key)
        .arg("--tls-ca-cert-file")
        .arg(&certs.ca)
        .args(["--tls-auth-clients", "no"])
        .args(["--save", "", "--appendonly", "no", "--loglevel", "warning"])
        .arg("--dir")
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "redis-server with TLS did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let url = format!("rediss://localhost:{port}");
    let run = |ca: Option<&std::path::Path>, url: &str, args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_memdeck"));
        command
            .current_dir(dir)
            .env("XDG_CONFIG_HOME", dir)
            .env_remove("MEMDECK_CONFIG")
            .env_remove("SSL_CERT_FILE")
            .env_remove("SSL_CERT_DIR")
            .args([
                "--memory-backend",
                "redis",
                "--redis-url",
                url,
                "--namespace",
                "tls",
            ])
            .args(args);
        if let Some(ca) = ca {
            command.env("SSL_CERT_FILE", ca);
        }
        command.output().unwrap()
    };
    let ca = certs.ca.clone();
    let created = run(
        Some(&ca),
        &url,
        &[
            "memory",
            "exec",
            "--actor",
            "Alice",
            r#"{"command":"create","path":"/memories/tls.md","file_text":"over TLS\n"}"#,
        ],
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let viewed = run(
        Some(&ca),
        &url,
        &[
            "memory",
            "exec",
            r#"{"command":"view","path":"/memories/tls.md"}"#,
        ],
    );
    assert!(String::from_utf8_lossy(&viewed.stdout).contains("over TLS"));
    // The test authority is not trusted: no connection.
    let untrusted = run(None, &url, &["memory", "log"]);
    assert_eq!(untrusted.status.code(), Some(1));
    let said = String::from_utf8_lossy(&untrusted.stderr).into_owned();
    assert!(said.contains("is unreachable"), "{said}");
    let _ = server.kill();
    let _ = server.wait();

    let config = run(None, "rediss://alice:hunter2@db.example:6380", &["config"]);
    let shown = String::from_utf8_lossy(&config.stdout).into_owned();
    assert!(
        shown.contains("rediss://alice:<redacted>@db.example:6380"),
        "{shown}"
    );
    assert!(!shown.contains("hunter2"), "{shown}");
}

/// The README's `ACL SETUSER acme …` line (the one for clusters, with `+cluster|slots`, or the
/// other), and it as a command with the password `team-secret-9`.
fn readme_acl(cluster: bool) -> (String, redis::Cmd) {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let line = readme
        .lines()
        .flat_map(|l| l.split('`'))
        .find(|part| {
            part.starts_with("ACL SETUSER acme") && part.contains("+cluster|slots") == cluster
        })
        .expect("the README shows an ACL SETUSER line")
        .to_owned();
    let mut words = line
        .split_whitespace()
        .map(|w| w.replace(">PASSWORD", ">team-secret-9"));
    let mut acl = redis::cmd(&words.next().unwrap());
    for w in words {
        acl.arg(w);
    }
    (line, acl)
}

/// The README's ACL for a team, set on a real server: that user can do everything memdeck does
/// in its own namespace (commands, history, the watcher's blocking reads), is refused another
/// team's with a message that says why, and a wrong password is said to be one. The password
/// never shows.
#[test]
fn a_team_acl_user_works_in_its_namespace_and_nowhere_else() {
    let server = RedisServer::start();
    let (_, acl) = readme_acl(false);
    let _: () = acl.query(&mut server.conn()).unwrap();

    let url = |pass: &str| format!("{}?user=acme&pass={pass}", server.url());
    let open = |namespace: &str, pass: &str| {
        let mut options = server.options(namespace, "laptop-1");
        options.url = url(pass);
        memdeck::memory::redis::RedisStore::open(options)
    };
    let ours = open("acme", "team-secret-9").unwrap();
    ours.watch().unwrap();
    let mut rx = ours.subscribe();
    let other_machine = open("acme", "team-secret-9").unwrap();
    let notes = json!({"command": "create", "path": "/memories/notes.md", "file_text": "hi\n"});
    let done = execute(&other_machine, &notes, "John");
    assert!(!done.is_error, "{}", done.content);
    assert_eq!(next(&mut rx).path, "/memories/notes.md");
    for input in [
        json!({"command": "str_replace", "path": "/memories/notes.md", "old_str": "hi", "new_str": "hello"}),
        json!({"command": "view", "path": "/memories"}),
        json!({"command": "rename", "old_path": "/memories/notes.md", "new_path": "/memories/n.md"}),
        json!({"command": "delete", "path": "/memories/n.md"}),
    ] {
        let done = execute(&ours, &input, "Alice");
        assert!(!done.is_error, "{input}: {}", done.content);
    }
    assert_eq!(ours.history(None).unwrap().len(), 4);

    let refused = open("globex", "team-secret-9")
        .err()
        .expect("another team's namespace");
    let message = refused.to_string();
    assert!(
        message.contains("may not use namespace globex"),
        "{message}"
    );
    assert!(message.contains("the keys mem:{globex}:* and"), "{message}");
    assert!(!message.contains("  "), "{message}");
    assert!(!message.contains("team-secret-9"), "{message}");

    let wrong = open("acme", "not-it").err().expect("a wrong password");
    let message = wrong.to_string();
    assert!(
        message.contains("refused the user name or password"),
        "{message}"
    );
    assert!(!message.contains("not-it"), "{message}");
}

/// A server whose `maxmemory` is reached (with `noeviction`, as the README asks) refuses the
/// write that would not fit, with a message that says so; nothing is half-written or evicted,
/// and reads still work.
#[test]
fn a_full_server_refuses_writes_clearly_and_loses_nothing() {
    let server = RedisServer::start();
    let store = server.store("full", "laptop-1");
    let mut admin = server.conn();
    let info: String = redis::cmd("INFO").arg("memory").query(&mut admin).unwrap();
    let used: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg(used + 3 * 1024 * 1024)
        .arg("maxmemory-policy")
        .arg("noeviction")
        .query(&mut admin)
        .unwrap();
    let mut written = Vec::new();
    let refusal = loop {
        let i = written.len();
        assert!(i < 200, "the server never filled up");
        let text = format!("{i}\n{}\n", "x".repeat(90 * 1024));
        let input =
            json!({"command": "create", "path": format!("/memories/f{i}.md"), "file_text": text});
        let done = execute(&store, &input, "Alice");
        if done.is_error {
            break done.content;
        }
        written.push(text);
    };
    assert!(
        refusal.contains("the shared memory store is full"),
        "{refusal}"
    );
    assert!(
        refusal.contains("Redis reached its maxmemory limit, so nothing was written"),
        "{refusal}"
    );
    assert!(!refusal.contains("  "), "{refusal}");
    assert!(written.len() >= 3, "{} files fitted", written.len());
    for (i, text) in written.iter().enumerate() {
        assert_eq!(
            &store
                .read(&path(&format!("/memories/f{i}.md")))
                .unwrap()
                .text,
            text
        );
    }
    let refused = path(&format!("/memories/f{}.md", written.len()));
    assert!(store.read(&refused).is_err());
    assert_eq!(store.history(None).unwrap().len(), written.len());
    assert_consistent(&server, "full");
    let view = execute(
        &store,
        &json!({"command": "view", "path": "/memories/f0.md"}),
        "Sam",
    );
    assert!(!view.is_error, "{}", view.content);
}

/// Renaming and deleting a directory of 500 files is one step for every other client: a reader
/// polling the keys meanwhile sees all 500 under the old name or all under the new one.
#[test]
fn a_big_directory_moves_and_goes_in_one_step() {
    let server = RedisServer::start();
    let store = server.store("bulk", "laptop-1");
    for i in 0..500 {
        store
            .save(
                &path(&format!("/memories/big/sub{}/f{i}.md", i % 7)),
                &format!("{i}\n"),
                Expect::Absent,
                WriteCtx::new("Alice", "create"),
            )
            .unwrap();
    }
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let done = done.clone();
        let mut conn = server.conn();
        std::thread::spawn(move || {
            let mut looks = 0;
            let mut seen = std::collections::BTreeSet::new();
            while !done.load(std::sync::atomic::Ordering::SeqCst) || looks == 0 {
                let paths: Vec<String> = conn.hkeys("mem:{bulk}:meta").unwrap();
                let old = paths
                    .iter()
                    .filter(|p| p.starts_with("/memories/big/"))
                    .count();
                let new = paths
                    .iter()
                    .filter(|p| p.starts_with("/memories/moved/"))
                    .count();
                seen.insert((old, new));
                looks += 1;
            }
            seen
        })
    };
    store
        .rename(
            &path("/memories/big"),
            &path("/memories/moved"),
            WriteCtx::new("Alice", "rename"),
        )
        .unwrap();
    store
        .delete(&path("/memories/moved"), WriteCtx::new("Alice", "delete"))
        .unwrap();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = watcher.join().unwrap();
    for state in &seen {
        assert!(
            [(500, 0), (0, 500), (0, 0)].contains(state),
            "another client saw a half-done step: {seen:?}"
        );
    }
    assert_consistent(&server, "bulk");
}

/// A server that stalls for less than memdeck's response timeout (3 s) only delays a write; one
/// that stalls past the write's two tries (one retry on a fresh connection) fails it clearly, and
/// the next write after the stall works.
#[test]
fn a_stalled_server_delays_or_fails_a_write_cleanly() {
    let server = RedisServer::start();
    let store = server.store("stall", "laptop-1");
    let file = path("/memories/notes.md");
    let write = |text: &str| store.save(&file, text, Expect::Any, WriteCtx::new("Alice", "save"));
    write("before\n").unwrap();
    let mut admin = server.conn();
    let pause = |ms: u64, admin: &mut redis::Connection| {
        let _: () = redis::cmd("CLIENT")
            .arg("PAUSE")
            .arg(ms)
            .arg("WRITE")
            .query(admin)
            .unwrap();
    };
    pause(1500, &mut admin);
    let started = Instant::now();
    write("during a short stall\n").unwrap();
    assert!(started.elapsed() >= Duration::from_millis(1000));

    pause(10_000, &mut admin);
    let failed = write("during a long stall\n").unwrap_err().to_string();
    assert!(failed.contains("is unreachable"), "{failed}");
    let _: () = redis::cmd("CLIENT")
        .arg("UNPAUSE")
        .query(&mut admin)
        .unwrap();
    // The write that timed out may still run once the server resumes (it was sent); either way
    // the store holds one whole version and the history agrees with it.
    std::thread::sleep(Duration::from_millis(200));
    write("after\n").unwrap();
    assert_eq!(store.read(&file).unwrap().text, "after\n");
    assert_consistent(&server, "stall");
}

/// Keys planted in a shared namespace by anyone with write access (hidden from the tools,
/// which never make such paths) never make memdeck write outside a migration's destination,
/// and never break or escape `view`: they are skipped and reported, the rest is listed.
#[test]
fn planted_keys_are_refused_by_migrate_and_skipped_by_view() {
    let server = RedisServer::start();
    let store = server.store("planted", "test-host");
    let made = execute(
        &store,
        &json!({"command": "create", "path": "/memories/good.md", "file_text": "good\n"}),
        "Alice",
    );
    assert!(!made.is_error, "{}", made.content);
    let outside = tempfile::tempdir().unwrap();
    let absolute = outside.path().join("pwned.md");
    let planted_files = [
        "/memories/../escape.md".to_owned(),
        format!("/memories/{}", absolute.display()),
        "/memories/evil\u{1b}]0;pwned\u{7}.md".to_owned(),
        "/memories/a/../../up.md".to_owned(),
        "/memories/broken.md".to_owned(),
    ];
    let mut conn = server.conn();
    for key in &planted_files {
        let meta = if key.ends_with("broken.md") {
            "not json".to_owned()
        } else {
            r#"{"sha":"00","size":3}"#.to_owned()
        };
        let _: () = conn.hset("mem:{planted}:content", key, "bad").unwrap();
        let _: () = conn.hset("mem:{planted}:meta", key, meta).unwrap();
    }
    let _: () = conn
        .hset("mem:{planted}:dirs", "/memories/../outdir", "1")
        .unwrap();
    // A client opening the namespace now finds its index does not count them, and indexes them.
    let store = server.store("planted", "test-host");

    // `view` lists the good file, skips the rest, and says so without raw control characters.
    let view = execute(
        &store,
        &json!({"command": "view", "path": "/memories"}),
        "Sam",
    );
    assert!(!view.is_error, "{}", view.content);
    assert!(
        view.content.contains("/memories/good.md"),
        "{}",
        view.content
    );
    assert!(!view.content.contains('\u{1b}'), "{}", view.content);
    let listed: Vec<&str> = view.content.lines().filter(|l| l.contains('\t')).collect();
    assert_eq!(listed.len(), 3, "{}", view.content);
    // A bad name in a listed folder is reported, escaped; keys below no listed folder (`..`
    // segments, an absolute path) are in no folder's index range, so never reached at all.
    assert!(
        view.content.contains(
            "not shown, not valid memory paths: /memories/evil\\u{001B}]0;pwned\\u{0007}.md"
        ),
        "the skipped entries are reported: {}",
        view.content
    );
    assert!(!view.content.contains("outdir"), "{}", view.content);

    // Migrating to a local directory writes only inside it, and reports what it left out.
    let dest = server.dir.path().join("copy");
    let out = memdeck(&server, "planted")
        .arg("--memory-dir")
        .arg(&dest)
        .args(["memory", "migrate", "--from", "redis", "--to", "local"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("left out"), "{err}");
    assert!(!err.contains('\u{1b}'), "{err}");
    assert!(!absolute.exists(), "migrate wrote {}", absolute.display());
    for escaped in ["escape.md", "up.md", "outdir"] {
        assert!(!server.dir.path().join(escaped).exists(), "{escaped}");
    }
    let mut copied: Vec<String> = std::fs::read_dir(&dest)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.'))
        .collect();
    copied.sort();
    assert_eq!(copied, ["broken.md", "good.md"]);

    // A history entry planted with such a path is no change for a watching client.
    let watcher = server.store("planted", "watching");
    watcher.watch().unwrap();
    let mut changes = watcher.subscribe();
    let _: () = redis::cmd("XADD")
        .arg("mem:{planted}:log")
        .arg("*")
        .arg(&[
            ("seq", "900"),
            ("ts", "1"),
            ("actor", "mallory"),
            ("host", "x"),
            ("cid", "x"),
            ("op", "create"),
            ("path", "/memories/../evil\u{1b}[2J.md"),
            ("to", ""),
            ("old", ""),
            ("new", "00"),
            ("dir", "0"),
        ])
        .query(&mut conn)
        .unwrap();
    let made = execute(
        &store,
        &json!({"command": "create", "path": "/memories/after.md", "file_text": "x\n"}),
        "Alice",
    );
    assert!(!made.is_error, "{}", made.content);
    assert_eq!(next(&mut changes).path, "/memories/after.md");
}

/// A namespace an older memdeck wrote (files, folders, history and versions, but no index or
/// counts) is laid out when a store opens it: everything lists and reads as before, the
/// history is whole, versions nothing names go; a namespace a newer memdeck laid out is refused
/// with what to do; one emptied under a running client is laid out again at its next command.
#[test]
fn older_namespaces_are_upgraded_and_newer_ones_refused() {
    let server = RedisServer::start();
    let mut conn = server.conn();
    let sha = |t: &str| Version::of(t.as_bytes()).as_str().to_owned();
    let (v1, v2) = ("first\n", "second\n");
    let meta = format!(
        r#"{{"sha":"{}","size":7,"ts":1,"actor":"Alice","host":"old"}}"#,
        sha(v2)
    );
    let _: () = conn
        .hset("mem:{old}:content", "/memories/team/a.md", v2)
        .unwrap();
    let _: () = conn
        .hset("mem:{old}:meta", "/memories/team/a.md", &meta)
        .unwrap();
    let _: () = conn.hset("mem:{old}:dirs", "/memories/team", "1").unwrap();
    for (text, old) in [(v1, String::new()), (v2, sha(v1))] {
        let _: () = conn.hset("mem:{old}:blobs", sha(text), text).unwrap();
        let _: String = redis::cmd("XADD")
            .arg("mem:{old}:log")
            .arg("*")
            .arg(&[
                ("seq", if old.is_empty() { "1" } else { "2" }),
                ("ts", "1"),
                ("actor", "Alice"),
                ("host", "old"),
                ("cid", "x"),
                ("op", "create"),
                ("path", "/memories/team/a.md"),
                ("to", ""),
                ("old", &old),
                ("new", &sha(text)),
                ("dir", "0"),
                ("grp", ""),
            ])
            .query(&mut conn)
            .unwrap();
    }
    let _: () = conn.set("mem:{old}:seq", 2).unwrap();
    let _: () = conn
        .hset("mem:{old}:blobs", sha("orphan\n"), "orphan\n")
        .unwrap();

    let store = server.store("old", "test-host");
    let view = execute(
        &store,
        &json!({"command": "view", "path": "/memories"}),
        "Sam",
    );
    assert!(
        view.content.contains("7B\t/memories/team/a.md"),
        "{}",
        view.content
    );
    assert!(
        view.content.contains("\t/memories/team/\n"),
        "{}",
        view.content
    );
    assert_eq!(store.history(None).unwrap().len(), 2);
    let a = path("/memories/team/a.md");
    assert_eq!(
        store
            .version_text(&a, &Version::of(v1.as_bytes()))
            .unwrap()
            .as_deref(),
        Some(v1)
    );
    assert!(
        store
            .version_text(&a, &Version::of(b"orphan\n"))
            .unwrap()
            .is_none(),
        "a version nothing names is dropped"
    );
    let layout: String = conn.hget("mem:{old}:state", "layout").unwrap();
    assert_eq!(layout, "2");
    let done = execute(
        &store,
        &json!({"command": "create", "path": "/memories/team/b.md", "file_text": "b\n"}),
        "Sam",
    );
    assert!(!done.is_error, "{}", done.content);

    // Emptied under the running client: its next write lays the namespace out again.
    let _: () = redis::cmd("FLUSHALL").query(&mut conn).unwrap();
    let done = execute(
        &store,
        &json!({"command": "create", "path": "/memories/again.md", "file_text": "c\n"}),
        "Sam",
    );
    assert!(!done.is_error, "{}", done.content);
    let listed = store.list(&MemPath::root(), 2).unwrap().entries;
    assert_eq!(listed.len(), 1, "{listed:?}");

    // Laid out by a newer memdeck: refused, with what to do.
    let _: () = conn.hset("mem:{old}:state", "layout", "3").unwrap();
    let layout: String = conn.hget("mem:{old}:state", "layout").unwrap();
    assert_eq!(layout, "3");
    let err = memdeck::memory::redis::RedisStore::open(server.options("old", "h"))
        .err()
        .expect("a newer layout is refused")
        .to_string();
    assert!(err.contains("layout 3, this one uses 2"), "{err}");
    assert!(err.contains("same memdeck version"), "{err}");
    let refused = execute(
        &store,
        &json!({"command": "view", "path": "/memories"}),
        "Sam",
    );
    assert!(
        refused.is_error && refused.content.contains("layout 3"),
        "{}",
        refused.content
    );
}

/// What a managed Redis service gives a team: a cluster that speaks TLS only (to clients and
/// between nodes), a private authority, and a per-team ACL user (the README's line for
/// clusters, set on every node). The README's commands work through a node that does not hold
/// the namespace: migrate a local store in, write, read, the history, doctor; another team's
/// namespace is refused with why; the password never shows.
#[test]
fn a_tls_cluster_with_a_team_acl_user_runs_the_readme_commands() {
    let tmp = tempfile::Builder::new()
        .prefix("memdeck-managed-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let dir = tmp.path();
    let certs = crate::support::tls::Certs::make(dir);
    let cluster = RedisCluster::with_tls(&certs);
    let (line, mut acl) = readme_acl(true);
    for &port in &cluster.ports {
        let done: Option<String> = cluster.ask(port, &mut acl);
        assert_eq!(done.as_deref(), Some("OK"), "{line}");
    }
    let owner = cluster.owner("mem:{acme}:log");
    let other = (owner + 1) % cluster.ports.len();
    let url = |pass: &str| format!("rediss://acme:{pass}@127.0.0.1:{}", cluster.ports[other]);
    let run = |url: &str, namespace: &str, args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_memdeck"))
            .current_dir(dir)
            .env("XDG_CONFIG_HOME", dir)
            .env_remove("MEMDECK_CONFIG")
            .env_remove("MEMDECK_REDIS_URL")
            .env("SSL_CERT_FILE", &certs.ca)
            .env("MEMDECK_LOG_FILE", dir.join("memdeck.log"))
            .args(["--memory-dir", "memories", "--memory-backend", "redis"])
            .args(["--redis-url", url])
            .args(["--namespace", namespace])
            .args(args)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !text.contains("team-secret-9"),
            "the password showed: {text}"
        );
        (out.status.success(), text)
    };
    let good = url("team-secret-9");
    std::fs::create_dir_all(dir.join("memories/customers")).unwrap();
    std::fs::write(dir.join("memories/customers/acme.md"), "# ACME\n- 40 TB\n").unwrap();

    let (ok, said) = run(
        &good,
        "acme",
        &["memory", "migrate", "--from", "local", "--to", "redis"],
    );
    assert!(ok, "{said}");
    let (ok, said) = run(
        &good,
        "acme",
        &[
            "memory",
            "exec",
            "--actor",
            "John",
            r#"{"command":"str_replace","path":"/memories/customers/acme.md","old_str":"40 TB","new_str":"45 TB"}"#,
        ],
    );
    assert!(ok, "{said}");
    let (ok, said) = run(
        &good,
        "acme",
        &["memory", "exec", r#"{"command":"view","path":"/memories"}"#],
    );
    assert!(ok && said.contains("/memories/customers/acme.md"), "{said}");
    let (ok, said) = run(&good, "acme", &["memory", "log"]);
    assert!(
        ok && said.contains("John") && said.contains("acme.md"),
        "{said}"
    );
    let (_, said) = run(&good, "acme", &["doctor"]);
    assert!(said.contains("Redis Cluster"), "{said}");
    assert!(said.contains("<redacted>"), "{said}");

    // Another team's namespace, and a wrong password: refused, each saying why.
    let (ok, said) = run(&good, "globex", &["memory", "log"]);
    assert!(!ok && said.contains("mem:{globex}:*"), "{said}");
    let (ok, said) = run(&url("wrong"), "acme", &["memory", "log"]);
    assert!(
        !ok && said.contains("refused the user name or password"),
        "{said}"
    );
}
