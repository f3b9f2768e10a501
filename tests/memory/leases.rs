//! Coordination on both backends (the local directory and a real Redis): leases (granted once,
//! fencing tokens that grow, expiry, compare-and-delete release, a late write with an old token
//! refused, a holder killed while holding), the task board's claims under real contention, and
//! expiring memories.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::cli::memdeck;
use crate::support::postgres::PgServer;
use crate::support::redis::RedisServer;

use memdeck::memory::board::{self, NewTask, Status};
use memdeck::memory::{
    Expect, Grant, LeaseEvent, LocalOptions, LocalStore, MemPath, MemoryStore, StoreError,
    WriteCtx, execute, expiry,
};
use serde_json::json;

fn p(path: &str) -> MemPath {
    MemPath::parse(path).unwrap()
}

fn granted(
    store: &dyn MemoryStore,
    subject: &str,
    holder: &str,
    ttl: Duration,
) -> memdeck::memory::Lease {
    match store.acquire(subject, holder, ttl).unwrap() {
        Grant::Granted(lease) => lease,
        Grant::Held(other) => panic!("{subject} held by {}", other.holder),
    }
}

/// Two handles on one store (two clients), and how a child process reaches it.
struct Pair {
    a: Arc<dyn MemoryStore>,
    b: Arc<dyn MemoryStore>,
    args: Vec<String>,
    _tmp: tempfile::TempDir,
    /// The server the pair's store lives on, stopped when the pair is dropped.
    _server: Option<Box<dyn std::any::Any>>,
}

fn local_pair() -> Pair {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("memories");
    let open = || -> Arc<dyn MemoryStore> {
        let store = LocalStore::open(&LocalOptions::new(&dir)).unwrap();
        store.watch().unwrap();
        Arc::new(store)
    };
    let (a, b) = (open(), open());
    Pair {
        a,
        b,
        args: vec!["--memory-dir".into(), dir.display().to_string()],
        _tmp: tmp,
        _server: None,
    }
}

/// Two clients `a` and `b` of a store on a server (each watching it), the CLI's `args` to reach
/// it, and the server, kept until the pair is dropped.
fn shared_pair(
    (a, b): (Arc<dyn MemoryStore>, Arc<dyn MemoryStore>),
    args: [&str; 6],
    server: Box<dyn std::any::Any>,
) -> Pair {
    Pair {
        a,
        b,
        args: args.map(str::to_owned).to_vec(),
        _tmp: tempfile::tempdir().unwrap(),
        _server: Some(server),
    }
}

fn redis_pair(namespace: &str) -> Pair {
    let server = RedisServer::start();
    let open = |host: &str| -> Arc<dyn MemoryStore> {
        let store = server.store(namespace, host);
        store.watch().unwrap();
        Arc::new(store)
    };
    let clients = (open("laptop-a"), open("laptop-b"));
    let url = server.url();
    let args = [
        "--memory-backend",
        "redis",
        "--redis-url",
        &url,
        "--namespace",
        namespace,
    ];
    shared_pair(clients, args, Box::new(server))
}

fn pg_pair(namespace: &str) -> Pair {
    let server = PgServer::start();
    let open = |host: &str| -> Arc<dyn MemoryStore> {
        let mut options = crate::support::postgres::options(&server.url(), namespace);
        options.host = host.to_owned();
        let store = memdeck::memory::postgres::PgStore::open(options).unwrap();
        store.watch().unwrap();
        Arc::new(store)
    };
    let clients = (open("laptop-a"), open("laptop-b"));
    let url = server.url();
    let args = [
        "--memory-backend",
        "postgres",
        "--database-url",
        &url,
        "--namespace",
        namespace,
    ];
    shared_pair(clients, args, Box::new(server))
}

/// Every check on the local store, on Redis and on PostgreSQL.
fn both(check: fn(&Pair)) {
    check(&local_pair());
    check(&redis_pair("leases"));
    check(&pg_pair("leases"));
}

#[test]
fn a_lease_is_granted_once_and_its_token_fences_late_writes() {
    both(|pair| {
        let (a, b) = (pair.a.as_ref(), pair.b.as_ref());
        let path = "/memories/customers/acme.md";
        a.save(
            &p(path),
            "v1\n",
            Expect::Any,
            WriteCtx::new("Alice", "create"),
        )
        .unwrap();
        let alice = granted(a, path, "Alice", Duration::from_millis(600));
        // John, on the other client, is told who holds it.
        match b.acquire(path, "John", Duration::from_secs(5)).unwrap() {
            Grant::Held(held) => {
                assert_eq!(held.holder, "Alice");
                assert_eq!(held.token, alice.token);
                assert!(held.expires_ms > memdeck::clock::now_ms());
            }
            Grant::Granted(_) => panic!("granted twice"),
        }
        assert_eq!(a.leases().unwrap().len(), 1);
        assert_eq!(b.leases().unwrap()[0].holder, "Alice");
        // A write without the lease is refused, naming the holder; through the tool too.
        let err = b
            .save(
                &p(path),
                "john\n",
                Expect::Any,
                WriteCtx::new("John", "create"),
            )
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Leased { ref holder, .. } if holder == "Alice"),
            "{err}"
        );
        let result = execute(
            b,
            &json!({"command": "str_replace", "path": path, "old_str": "v1", "new_str": "john"}),
            "John",
        );
        assert!(result.is_error);
        assert!(
            result.content.contains("is being edited by Alice"),
            "{}",
            result.content
        );
        // The folder holding it cannot be deleted or moved either.
        let err = b
            .delete(&p("/memories/customers"), WriteCtx::new("John", "delete"))
            .unwrap_err();
        assert!(matches!(err, StoreError::Leased { .. }), "{err}");
        let err = b
            .rename(
                &p(path),
                &p("/memories/x.md"),
                WriteCtx::new("John", "rename"),
            )
            .unwrap_err();
        assert!(matches!(err, StoreError::Leased { .. }), "{err}");
        // Alice's own write carries her lease.
        a.save(
            &p(path),
            "v2\n",
            Expect::Any,
            WriteCtx::new("Alice", "edit").fenced(Some(&alice)),
        )
        .unwrap();
        // Alice stalls past her lease; John takes the file; her late write is refused.
        std::thread::sleep(Duration::from_millis(700));
        let john = granted(b, path, "John", Duration::from_secs(5));
        assert!(john.token > alice.token, "tokens grow");
        assert!(!a.release(&alice).unwrap(), "an old token releases nothing");
        let late = a.save(
            &p(path),
            "late\n",
            Expect::Any,
            WriteCtx::new("Alice", "edit").fenced(Some(&alice)),
        );
        assert!(matches!(late, Err(StoreError::Leased { .. })), "{late:?}");
        b.save(
            &p(path),
            "john\n",
            Expect::Any,
            WriteCtx::new("John", "edit").fenced(Some(&john)),
        )
        .unwrap();
        assert!(b.release(&john).unwrap());
        // Free again, but Alice's token is older than the newest grant: still refused.
        let late = a.save(
            &p(path),
            "late\n",
            Expect::Any,
            WriteCtx::new("Alice", "edit").fenced(Some(&alice)),
        );
        assert!(matches!(late, Err(StoreError::Fenced { .. })), "{late:?}");
        assert_eq!(a.read(&p(path)).unwrap().text, "john\n");
        // Anyone may write a free file.
        a.save(
            &p(path),
            "free\n",
            Expect::Any,
            WriteCtx::new("Sam", "edit"),
        )
        .unwrap();
        let renewed = granted(a, path, "Sam", Duration::from_millis(200));
        let longer = a.renew(&renewed, Duration::from_secs(5)).unwrap().unwrap();
        assert!(longer.expires_ms > renewed.expires_ms);
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            matches!(
                b.acquire(path, "John", Duration::from_secs(1)).unwrap(),
                Grant::Held(_)
            ),
            "renewed"
        );
        assert!(a.release(&longer).unwrap());
        assert!(a.leases().unwrap().is_empty());
    });
}

#[test]
fn grants_and_releases_reach_the_other_client() {
    both(|pair| {
        let mut events = pair.b.lease_events();
        let lease = granted(
            pair.a.as_ref(),
            "/memories/x.md",
            "Alice",
            Duration::from_secs(5),
        );
        assert!(pair.a.release(&lease).unwrap());
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut seen = Vec::new();
        while seen.len() < 2 && Instant::now() < deadline {
            match events.try_recv() {
                Ok(LeaseEvent::Granted(l)) => {
                    seen.push(format!("granted {} {}", l.subject, l.holder))
                }
                Ok(LeaseEvent::Released { subject, .. }) => {
                    seen.push(format!("released {subject}"))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        assert_eq!(
            seen,
            ["granted /memories/x.md Alice", "released /memories/x.md"]
        );
    });
}

/// `memdeck memory lease` holding `subject` for `ttl`, once it says it holds it.
fn holder(args: &[String], subject: &str, ttl: &str) -> Child {
    let tmp = std::env::temp_dir();
    let mut child = memdeck(&tmp)
        .args(args)
        .args(["memory", "lease", subject, "--ttl", ttl, "--as", "Zed"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("leased "), "{line}");
    child
}

#[test]
fn a_holder_killed_while_holding_frees_the_file_when_its_lease_runs_out() {
    both(|pair| {
        let store = pair.a.as_ref();
        let path = "/memories/held.md";
        let mut child = holder(&pair.args, path, "2s");
        let held = store.leases().unwrap();
        assert_eq!(held.len(), 1, "{held:?}");
        assert_eq!(held[0].holder, "Zed");
        Command::new("kill")
            .args(["-KILL", &child.id().to_string()])
            .status()
            .unwrap();
        child.wait().unwrap();
        // Killed: nothing released it, so it is still held until it runs out.
        assert!(matches!(
            store
                .acquire(path, "Alice", Duration::from_secs(5))
                .unwrap(),
            Grant::Held(_)
        ));
        let deadline = Instant::now() + Duration::from_secs(6);
        let lease = loop {
            if let Grant::Granted(lease) = store
                .acquire(path, "Alice", Duration::from_secs(5))
                .unwrap()
            {
                break lease;
            }
            assert!(
                Instant::now() < deadline,
                "the killed holder's lease never ran out"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        assert_eq!(lease.holder, "Alice");
        store.release(&lease).unwrap();
    });
}

#[test]
fn an_interrupted_holder_gives_the_file_back_and_waiters_hear_it() {
    both(|pair| {
        let path = "/memories/waited.md";
        let mut events = pair.b.lease_events();
        let mut child = holder(&pair.args, path, "30s");
        Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(child.wait().unwrap().success());
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match events.try_recv() {
                Ok(LeaseEvent::Released { subject, .. }) if subject == path => break,
                Ok(_) => {}
                Err(_) => {
                    assert!(
                        Instant::now() < deadline,
                        "no release reached the other client"
                    );
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
        assert!(pair.b.leases().unwrap().is_empty());
    });
}

#[test]
fn eight_claimers_on_a_hundred_tasks_claim_each_once() {
    both(|pair| {
        let started = Instant::now();
        for i in 0..100 {
            board::add(
                pair.a.as_ref(),
                &NewTask {
                    title: &format!("task {i:03}"),
                    ..NewTask::default()
                },
                "Alice",
            )
            .unwrap();
        }
        let ids: Vec<String> = board::list(pair.a.as_ref())
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(ids.len(), 100);
        let barrier = Arc::new(std::sync::Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|w| {
                let store = if w % 2 == 0 {
                    pair.a.clone()
                } else {
                    pair.b.clone()
                };
                let mut order = ids.clone();
                order.rotate_left(w * 13);
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    let who = format!("worker{w}");
                    let mut won = Vec::new();
                    for id in order {
                        match board::claim(store.as_ref(), &id, &who, board::CLAIM_TTL) {
                            Ok(_) => won.push(id),
                            Err(StoreError::Rejected(why)) => {
                                assert!(why.contains("already claimed"), "{why}")
                            }
                            Err(e) => panic!("{e}"),
                        }
                    }
                    (who, won)
                })
            })
            .collect();
        let mut winners = std::collections::BTreeMap::new();
        for h in handles {
            let (who, won) = h.join().unwrap();
            for id in won {
                assert!(
                    winners.insert(id.clone(), who.clone()).is_none(),
                    "{id} claimed twice"
                );
            }
        }
        assert_eq!(winners.len(), 100, "every task claimed");
        for task in board::list(pair.a.as_ref()).unwrap() {
            match &task.status {
                Status::Claimed { by, .. } => assert_eq!(Some(by), winners.get(&task.id)),
                other => panic!("{}: {other}", task.id),
            }
            let claims = pair
                .a
                .history(Some(&task.path))
                .unwrap()
                .iter()
                .filter(|e| e.op == "claim")
                .count();
            assert_eq!(claims, 1, "{} has one claim in its history", task.id);
        }
        eprintln!(
            "{}: 8 claimers x 100 tasks in {:?}",
            pair.a.describe(),
            started.elapsed()
        );
    });
}

#[test]
fn models_claiming_one_task_through_the_tool_get_it_once() {
    both(|pair| {
        for round in 0..10 {
            let task = board::add(
                pair.a.as_ref(),
                &NewTask {
                    title: &format!("Review {round}"),
                    ..NewTask::default()
                },
                "Alice",
            )
            .unwrap();
            let barrier = Arc::new(std::sync::Barrier::new(4));
            let handles: Vec<_> = ["John", "Sam", "Ana", "Li"]
                .into_iter()
                .enumerate()
                .map(|(i, who)| {
                    let store = if i % 2 == 0 { pair.a.clone() } else { pair.b.clone() };
                    let path = task.path.to_string();
                    let barrier = barrier.clone();
                    std::thread::spawn(move || {
                        barrier.wait();
                        let input = json!({"command": "str_replace", "path": path, "old_str": "status: open", "new_str": format!("status: claimed by {who}")});
                        (who, execute(store.as_ref(), &input, who))
                    })
                })
                .collect();
            let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            let winners: Vec<&str> = results
                .iter()
                .filter(|(_, r)| !r.is_error)
                .map(|(w, _)| *w)
                .collect();
            assert_eq!(winners.len(), 1, "{results:?}");
            let text = pair.a.read(&task.path).unwrap().text;
            assert!(
                text.contains(&format!("status: claimed by {} until ", winners[0])),
                "{text}"
            );
        }
    });
}

#[test]
fn expired_memories_leave_and_come_back() {
    both(|pair| {
        let store = pair.a.as_ref();
        let ctx = WriteCtx::new("Alice", "create");
        let old = "/memories/offer.md";
        store
            .save(
                &p(old),
                "---\nname: offer\nexpires: 2020-01-01\n---\n10% off\n",
                Expect::Absent,
                ctx,
            )
            .unwrap();
        store
            .save(
                &p("/memories/keep.md"),
                "---\nexpires: 2999-01-01\n---\nx\n",
                Expect::Absent,
                ctx,
            )
            .unwrap();
        store
            .save(&p("/memories/plain.md"), "plain\n", Expect::Absent, ctx)
            .unwrap();
        // A session note: stamped with the writer's session when written through the tool.
        let session = "test-session-1";
        let lease = granted(
            store,
            &expiry::session_subject(session),
            "Alice",
            Duration::from_secs(30),
        );
        let result = memdeck::memory::tool::run_as(
            store,
            &memdeck::memory::ToolCommand::Create {
                path: "/memories/scratch.md".into(),
                file_text: "---\nexpires: session\n---\nthinking\n".into(),
            },
            memdeck::memory::tool::Caller {
                actor: "Alice",
                fence: None,
                session: Some(session),
            },
        );
        assert!(!result.is_error, "{}", result.content);
        assert!(
            store
                .read(&p("/memories/scratch.md"))
                .unwrap()
                .text
                .contains("expires: session test-session-1")
        );
        let live = expiry::live_sessions(store).unwrap();
        let gone = expiry::sweep(store, memdeck::clock::now_ms(), &live).unwrap();
        assert_eq!(gone, [old]);
        assert!(store.node(&p(old)).unwrap().is_none());
        assert!(
            store.node(&p("/memories/scratch.md")).unwrap().is_some(),
            "its session is alive"
        );
        // In the history, as one operation; and it can come back: restored after its time, it
        // stays.
        assert!(
            store
                .history(Some(&p(old)))
                .unwrap()
                .iter()
                .any(|e| e.op == "expire")
        );
        memdeck::memory::history::restore_path(
            store,
            &p(old),
            None,
            WriteCtx::new("you", "restore"),
        )
        .unwrap();
        let live = expiry::live_sessions(store).unwrap();
        assert!(
            expiry::sweep(store, memdeck::clock::now_ms(), &live)
                .unwrap()
                .is_empty()
        );
        assert!(store.node(&p(old)).unwrap().is_some());
        // The session ends: its note goes.
        store.release(&lease).unwrap();
        let live = expiry::live_sessions(store).unwrap();
        assert_eq!(
            expiry::sweep(store, memdeck::clock::now_ms(), &live).unwrap(),
            ["/memories/scratch.md"]
        );
        // An unreadable expiry is refused where the model writes it.
        let bad = execute(
            store,
            &json!({"command": "create", "path": "/memories/bad.md", "file_text": "---\nexpires: someday\n---\nx\n"}),
            "Alice",
        );
        assert!(
            bad.is_error && bad.content.contains("is not a time"),
            "{}",
            bad.content
        );
    });
}

#[test]
fn the_sweep_reads_only_files_that_may_expire_on_redis() {
    let pair = redis_pair("expiring");
    let store = pair.a.as_ref();
    let ctx = WriteCtx::new("Alice", "create");
    // More than one page of the server's scan.
    for i in 0..1200 {
        store
            .save(
                &p(&format!("/memories/notes/n{i:04}.md")),
                "plain\n",
                Expect::Absent,
                ctx,
            )
            .unwrap();
    }
    store
        .save(
            &p("/memories/a.md"),
            "---\nexpires: 2020-01-01\n---\nx\n",
            Expect::Absent,
            ctx,
        )
        .unwrap();
    store
        .save(
            &p("/memories/deep/b.md"),
            "---\r\nname: b\r\nexpires: session x\r\n---\r\n",
            Expect::Absent,
            ctx,
        )
        .unwrap();
    store
        .save(
            &p("/memories/c.md"),
            "text that mentions\nexpires: soon\n",
            Expect::Absent,
            ctx,
        )
        .unwrap();
    let mut found: Vec<String> = store
        .expiring()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    found.sort();
    assert_eq!(found, ["/memories/a.md", "/memories/deep/b.md"]);
    let live = expiry::live_sessions(store).unwrap();
    let gone = expiry::sweep(store, memdeck::clock::now_ms(), &live).unwrap();
    assert_eq!(gone.len(), 2, "{gone:?}");
}
