//! The store on a real PostgreSQL server of the test's own: the conformance suite against the
//! local store, concurrency, a killed server, the watcher catching up, the schema's versions,
//! TLS.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::postgres::PgServer;

#[test]
fn every_command_answers_the_same_on_postgres() {
    let server = PgServer::start();
    let store = server.store("conformance");
    crate::conformance::answers_as_the_local_store(&store);
    // A second namespace in the same database starts empty and answers the same.
    let other = server.store("other-team");
    crate::conformance::answers_as_the_local_store(&other);
}

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use memdeck::memory::postgres::{PgStore, SCHEMA_VERSION};
use memdeck::memory::{ChangeKind, Expect, MemPath, MemoryStore, StoreError, WriteCtx, execute};
use serde_json::json;

use crate::support::cli::memdeck;

fn path(p: &str) -> MemPath {
    MemPath::parse(p).unwrap()
}

/// The arguments that point the CLI at namespace `ns` of `url`.
fn pg_args(url: &str, ns: &str) -> Vec<String> {
    [
        "--memory-backend",
        "postgres",
        "--database-url",
        url,
        "--namespace",
        ns,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Eight clients (each its own connection) inserting into one file at once: every line lands,
/// each once, and the history has one entry per insert.
#[test]
fn eight_writers_on_one_file_lose_nothing() {
    let server = PgServer::start();
    let first = server.store("eight");
    first
        .save(
            &path("/memories/log.md"),
            "",
            Expect::Absent,
            WriteCtx::new("you", "create"),
        )
        .unwrap();
    std::thread::scope(|scope| {
        for w in 0..8 {
            let server = &server;
            scope.spawn(move || {
                let store = server.store("eight");
                for i in 0..25 {
                    let input = json!({"command": "insert", "path": "/memories/log.md",
                        "insert_line": 0, "insert_text": format!("w{w} line {i}")});
                    let result = execute(&store, &input, &format!("W{w}"));
                    assert!(!result.is_error, "{}", result.content);
                }
            });
        }
    });
    let text = first.read(&path("/memories/log.md")).unwrap().text;
    for w in 0..8 {
        for i in 0..25 {
            let line = format!("w{w} line {i}");
            assert_eq!(text.lines().filter(|l| *l == line).count(), 1, "{line}");
        }
    }
    let inserts = first
        .history(Some(&path("/memories/log.md")))
        .unwrap()
        .iter()
        .filter(|e| e.op == "insert")
        .count();
    assert_eq!(inserts, 200);
}

/// Two `memdeck` processes at once on one namespace, each editing the same file through the
/// tool, commands made of many separate processes: nothing lost.
#[test]
fn two_processes_on_one_namespace_lose_nothing() {
    let server = PgServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let args = pg_args(&server.url(), "shared");
    let store = server.store("shared");
    store
        .save(
            &path("/memories/team.md"),
            "",
            Expect::Absent,
            WriteCtx::new("you", "create"),
        )
        .unwrap();
    std::thread::scope(|scope| {
        for who in ["Alice", "John"] {
            let (args, dir) = (&args, tmp.path());
            scope.spawn(move || {
                for i in 0..12 {
                    let input = json!({"command": "insert", "path": "/memories/team.md",
                        "insert_line": 0, "insert_text": format!("{who} {i}")})
                    .to_string();
                    let out = memdeck(dir)
                        .args(args)
                        .args(["memory", "exec", &input, "--actor", who])
                        .output()
                        .unwrap();
                    assert!(
                        out.status.success(),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            });
        }
    });
    let text = store.read(&path("/memories/team.md")).unwrap().text;
    for who in ["Alice", "John"] {
        for i in 0..12 {
            assert!(
                text.lines().any(|l| l == format!("{who} {i}")),
                "{who} {i}: {text}"
            );
        }
    }
    assert_eq!(text.lines().count(), 24);
}

/// The server killed (SIGKILL, every backend with it) while four clients write, then started
/// again: every write a client was told succeeded is there; every file's hash matches its text;
/// the history is complete (numbered without gaps, each file's newest entry giving its current
/// version, every version it names kept).
#[test]
fn a_killed_server_loses_no_answered_write() {
    let mut server = PgServer::start();
    // Opened before the kill: what is tested is the writes, not the opens.
    let stores: Vec<PgStore> = (0..4).map(|_| server.store("crash")).collect();
    let done = AtomicBool::new(false);
    let total = std::sync::atomic::AtomicUsize::new(0);
    let answered: Vec<Vec<(String, String)>> = std::thread::scope(|scope| {
        let writers: Vec<_> = stores
            .iter()
            .enumerate()
            .map(|(w, store)| {
                let (done, total) = (&done, &total);
                scope.spawn(move || {
                    let mut answered = Vec::new();
                    let mut after_restart = 0;
                    let give_up = Instant::now() + Duration::from_secs(60);
                    for i in 0.. {
                        let back = done.load(Ordering::Relaxed);
                        if (back && after_restart >= 10) || Instant::now() > give_up {
                            break;
                        }
                        let p = format!("/memories/w{w}/f{i:04}.md");
                        let text = format!("writer {w} file {i}\n");
                        let ctx = WriteCtx::new("W", "create");
                        match store.save(&path(&p), &text, Expect::Absent, ctx) {
                            Ok(_) => {
                                answered.push((p, text));
                                total.fetch_add(1, Ordering::Relaxed);
                                after_restart += usize::from(back);
                            }
                            // Refused while the server is down (or its first try landed and
                            // the retry found the file there): the next name, after a pause.
                            Err(_) => std::thread::sleep(Duration::from_millis(20)),
                        }
                    }
                    answered
                })
            })
            .collect();
        // Killed in the middle of the writes, once each writer is well under way.
        let deadline = Instant::now() + Duration::from_secs(30);
        while total.load(Ordering::Relaxed) < 80 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        server.kill();
        std::thread::sleep(Duration::from_millis(300));
        server.restart();
        done.store(true, Ordering::Relaxed);
        writers.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let store = server.store("crash");
    for (p, text) in answered.iter().flatten() {
        assert_eq!(&store.read(&path(p)).unwrap().text, text, "{p}");
    }
    let mut db = server.client();
    let bad: i64 = db
        .query_one(
            "SELECT count(*) FROM memdeck_nodes WHERE NOT is_dir AND sha <> encode(sha256(body), 'hex')",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(bad, 0, "files whose hash does not match their text");
    let history = store.history(None).unwrap();
    let seqs: Vec<u64> = history.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=history.len() as u64).collect::<Vec<_>>(),
        "gaps in the history"
    );
    let dump = store.dump().unwrap();
    for (p, text) in &dump.files {
        let newest = history.iter().rev().find(|e| &e.path == p).unwrap();
        assert_eq!(
            newest.new.as_ref().unwrap(),
            &memdeck::memory::Version::of(text.as_bytes()),
            "{p}"
        );
    }
    let missing: i64 = db
        .query_one(
            "SELECT count(*) FROM memdeck_history h WHERE h.new_sha IS NOT NULL AND NOT EXISTS \
             (SELECT 1 FROM memdeck_versions v WHERE v.ns = h.ns AND v.sha = h.new_sha)",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(missing, 0, "versions the history names but no longer keeps");
    // Writes were answered before the kill and after the restart, by every writer.
    assert!(answered.iter().all(|a| a.len() >= 10), "{answered:?}");
}

/// A watcher whose server went away (killed and started again) catches up from the last entry
/// it saw: every change made meanwhile arrives, in order, once.
#[test]
fn the_watcher_catches_up_after_the_server_comes_back() {
    let mut server = PgServer::start();
    let watching = server.store("watched");
    watching.watch().unwrap();
    let mut changes = watching.subscribe();
    let writer = server.store("watched");
    writer
        .save(
            &path("/memories/before.md"),
            "x\n",
            Expect::Absent,
            WriteCtx::new("Alice", "create"),
        )
        .unwrap();
    server.kill();
    server.restart();
    // Written at once, before the watcher's next try to reconnect.
    let ctx = WriteCtx::new("John", "create");
    for i in 0..30 {
        let p = path(&format!("/memories/after/{i:02}.md"));
        let mut tries = 0;
        while let Err(e) = writer.save(&p, "y\n", Expect::Absent, ctx) {
            tries += 1;
            assert!(tries < 50, "{e}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while seen.len() < 31 && Instant::now() < deadline {
        match changes.try_recv() {
            Ok(change) => seen.push(change),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    let paths: Vec<&str> = seen.iter().map(|c| c.path.as_str()).collect();
    let mut want = vec!["/memories/before.md".to_owned()];
    want.extend((0..30).map(|i| format!("/memories/after/{i:02}.md")));
    assert_eq!(paths, want.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(seen.iter().all(|c| c.kind == ChangeKind::Created));
    // The same host name in the tests: the actor is the persona alone.
    assert_eq!(seen[1].actor, "John");
}

/// The tables are created at the first start and migrated from an older schema; a database a
/// newer memdeck migrated is refused, untouched.
#[test]
fn the_schema_is_migrated_and_a_newer_one_refused() {
    let server = PgServer::start();
    let store = server.store("schema");
    let mut db = server.client();
    let versions: Vec<i32> = db
        .query("SELECT version FROM memdeck_schema ORDER BY version", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, (1..=SCHEMA_VERSION).collect::<Vec<_>>());
    drop(store);
    // As a database at version 1 would be: no lease table.
    db.batch_execute("DROP TABLE memdeck_leases; DELETE FROM memdeck_schema WHERE version > 1")
        .unwrap();
    let store = server.store("schema");
    let lease = store
        .acquire("/memories/a.md", "Alice", Duration::from_secs(5))
        .unwrap();
    assert!(matches!(lease, memdeck::memory::Grant::Granted(_)));
    drop(store);
    db.execute(
        "INSERT INTO memdeck_schema (version, applied_ms) VALUES ($1, 0)",
        &[&(SCHEMA_VERSION + 7)],
    )
    .unwrap();
    let refused = PgStore::open(crate::support::postgres::options(&server.url(), "schema"));
    let Err(StoreError::Rejected(text)) = refused else {
        panic!("a newer schema was not refused");
    };
    assert!(text.contains("newer than this memdeck knows"), "{text}");
    let tables: i64 = db
        .query_one("SELECT count(*) FROM memdeck_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(tables, i64::from(SCHEMA_VERSION) + 1);
}

/// TLS over TCP, verified against the authorities the system trusts (`SSL_CERT_FILE` here):
/// with the test's authority it connects; without it the certificate is refused with a clear
/// error; the password never shows.
#[test]
fn tls_is_verified_against_the_system_roots() {
    let tmp = tempfile::tempdir().unwrap();
    let certs = crate::support::tls::Certs::make(tmp.path());
    let server = PgServer::with_tls(&certs.cert, &certs.key);
    let url = server
        .tls_url("localhost")
        .replace("memdeck@", "memdeck:hunter2@");
    let view = json!({"command": "view", "path": "/memories"}).to_string();
    let out = memdeck(tmp.path())
        .args(pg_args(&url, "tls"))
        .args(["memory", "exec", &view])
        .env("SSL_CERT_FILE", &certs.ca)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = memdeck(tmp.path())
        .args(pg_args(&url, "tls"))
        .args(["memory", "exec", &view])
        .env("SSL_CERT_FILE", tmp.path().join("none.pem"))
        .env("SSL_CERT_DIR", tmp.path().join("no-such-dir"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(said.contains("certificate"), "{said}");
    assert!(!said.contains("hunter2"), "{said}");
    assert!(said.contains("<redacted>"), "{said}");
}

/// `memory migrate` from a local store to PostgreSQL, from there to Redis and back to another
/// local directory: the files, the history (who, when, what) and the versions travel, so a
/// restore works at the end; a namespace that is not empty is never overwritten.
#[test]
fn migrate_copies_a_store_to_and_from_postgres() {
    let server = PgServer::start();
    let redis = crate::support::redis::RedisServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let first = tmp.path().join("first");
    let local =
        memdeck::memory::LocalStore::open(&memdeck::memory::LocalOptions::new(&first)).unwrap();
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
            json!({"command": "create", "path": "/memories/old/a.md", "file_text": "old"}),
        ),
        (
            "John",
            json!({"command": "delete", "path": "/memories/old"}),
        ),
    ] {
        assert!(!execute(&local, &input, actor).is_error);
    }
    let history = |store: &dyn MemoryStore| -> Vec<_> {
        store
            .history(None)
            .unwrap()
            .into_iter()
            .map(|e| {
                let actor = e.actor.split('@').next().unwrap().to_owned();
                (
                    e.ts_ms,
                    actor,
                    e.op,
                    e.path,
                    e.new_path,
                    e.old,
                    e.new,
                    e.group.is_some(),
                )
            })
            .collect()
    };
    let want = history(&local);
    drop(local);
    // A second database on the same server, for the copy that comes back from Redis (the
    // namespace is one setting for both shared stores).
    server
        .client()
        .batch_execute("CREATE DATABASE second")
        .unwrap();
    let second = server.url().replace("/postgres?", "/second?");
    let migrate = |db: &str, dir: &std::path::Path, from: &str, to: &str| {
        let out = memdeck(tmp.path())
            .args(pg_args(db, "moved"))
            .args(["--redis-url", &redis.url(), "--memory-dir"])
            .arg(dir)
            .args(["memory", "migrate", "--from", from, "--to", to])
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), said)
    };
    let url = server.url();
    let (ok, said) = migrate(&url, &first, "local", "postgres");
    assert!(ok, "{said}");
    assert!(said.starts_with("copied 2 files"), "{said}");
    let pg = server.store("moved");
    assert_eq!(history(&pg), want);
    assert_eq!(
        pg.read(&path("/memories/acme.md")).unwrap().text,
        "ACME: 45 stores\n"
    );
    // Again into the same namespace: refused, nothing changed.
    let (ok, said) = migrate(&url, &first, "local", "postgres");
    assert!(!ok && said.contains("not empty"), "{said}");
    assert_eq!(history(&pg), want);
    // On to Redis, back to PostgreSQL in the second database, then to a new directory.
    let (ok, said) = migrate(&url, &first, "postgres", "redis");
    assert!(ok, "{said}");
    let (ok, said) = migrate(&second, &first, "redis", "postgres");
    assert!(ok, "{said}");
    let again = crate::support::postgres::store_at(&second, "moved");
    assert_eq!(history(&again), want);
    let last = tmp.path().join("last");
    let (ok, said) = migrate(&second, &last, "postgres", "local");
    assert!(ok, "{said}");
    let back =
        memdeck::memory::LocalStore::open(&memdeck::memory::LocalOptions::new(&last)).unwrap();
    assert_eq!(history(&back), want);
    // The versions came too: the folder deleted at the start comes back.
    let done = memdeck::memory::history::restore_path(
        &again,
        &path("/memories/old"),
        None,
        WriteCtx::new("you", "restore"),
    )
    .unwrap();
    assert_eq!(
        done,
        memdeck::memory::history::Restored::Folder { files: 1 }
    );
    assert_eq!(again.read(&path("/memories/old/a.md")).unwrap().text, "old");
}

/// `doctor` on the PostgreSQL store: reachable, the schema's version, the password hidden; an
/// unreachable server is a failure with the hint.
#[test]
fn doctor_checks_the_postgres_store() {
    let server = PgServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let url = server.url().replace("memdeck@", "memdeck:hunter2@");
    let out = memdeck(tmp.path())
        .args(pg_args(&url, "doc"))
        .arg("doctor")
        .output()
        .unwrap();
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("reachable, schema version"), "{said}");
    assert!(!said.contains("hunter2"), "{said}");
    let gone = format!(
        "postgres://memdeck:hunter2@/postgres?host={}",
        tmp.path().display()
    );
    let out = memdeck(tmp.path())
        .args(pg_args(&gone, "doc"))
        .arg("doctor")
        .output()
        .unwrap();
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("unreachable"), "{said}");
    assert!(said.contains("--database-url"), "{said}");
    assert!(!said.contains("hunter2"), "{said}");
}

/// A server that takes the connection and never answers: the open fails in seconds, saying the
/// store is unreachable.
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
        let url = format!("postgres://memdeck:hunter2@127.0.0.1:{port}/postgres?sslmode=disable");
        let opened = PgStore::open(crate::support::postgres::options(&url, "team"));
        let _ = tx.send(opened.err().map(|e| e.to_string()));
    });
    let error = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the open is still waiting after 20 s");
    let error = error.expect("a silent server was taken for PostgreSQL");
    assert!(error.contains("unreachable"), "{error}");
    assert!(!error.contains("hunter2"), "{error}");
}

/// Every connection of the store's killed by the server (`pg_terminate_backend`, as an
/// administrator or a pooler restart would): the next commands reconnect, no error reaches the
/// caller for reads, and no write is lost or doubled.
#[test]
fn killed_connections_are_replaced_without_a_lost_or_double_write() {
    let server = PgServer::start();
    let store = server.store("kill");
    let file = path("/memories/a.md");
    store
        .save(&file, "1\n", Expect::Absent, WriteCtx::new("you", "create"))
        .unwrap();
    let mut admin = server.client();
    for i in 2..=6 {
        admin
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> \
                 pg_backend_pid() AND backend_type = 'client backend'",
                &[],
            )
            .unwrap();
        let current = store.read(&file).unwrap();
        let ctx = WriteCtx::new("you", "save");
        let text = format!("{}{i}\n", current.text);
        store
            .save(&file, &text, Expect::Version(current.version), ctx)
            .unwrap();
    }
    assert_eq!(store.read(&file).unwrap().text, "1\n2\n3\n4\n5\n6\n");
    assert_eq!(store.history(Some(&file)).unwrap().len(), 6);
}

/// The app on the PostgreSQL store in tmux: another machine's file is in the panel with its
/// machine; the server dies: the app keeps running and says so, a memory command fails
/// clearly; the server comes back: the status clears and what was written meanwhile shows.
#[test]
fn the_app_keeps_running_while_the_database_is_down_and_catches_up() {
    let mut server = PgServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let backend = format!(
        "--memory-backend postgres --database-url '{}' --namespace demo",
        server.url()
    );
    let label = "PostgreSQL postgres://memdeck@/postgres";
    crate::support::outage::app_rides_out_an_outage(&mut server, tmp.path(), &backend, label);
}

/// Once the tables exist, a user allowed only to read and write them (not to create tables)
/// opens the store and works; a user allowed nothing is told what to grant.
#[test]
fn a_user_that_may_only_read_and_write_opens_a_made_store() {
    let server = PgServer::start();
    drop(server.store("team"));
    let mut db = server.client();
    db.batch_execute(
        "CREATE ROLE writer LOGIN; CREATE ROLE nobody LOGIN;
         REVOKE CREATE ON SCHEMA public FROM PUBLIC;
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO writer;",
    )
    .unwrap();
    let as_user = |user: &str| server.url().replace("memdeck@", &format!("{user}@"));
    let store = crate::support::postgres::store_at(&as_user("writer"), "team");
    let input = json!({"command": "create", "path": "/memories/a.md", "file_text": "a\n"});
    let done = execute(&store, &input, "Alice");
    assert!(!done.is_error, "{}", done.content);
    let text = refused_open(&as_user("nobody"));
    assert!(text.contains("may not use memdeck's tables"), "{text}");
}

/// The history is read incrementally (only entries after the newest seen), and read whole again
/// when a pruning removed older ones: it always equals what a fresh client reads.
#[test]
fn the_history_read_in_steps_equals_a_fresh_read_across_prunings() {
    let server = PgServer::start();
    let mut options = crate::support::postgres::options(&server.url(), "steps");
    options.history_keep = 8;
    let store = PgStore::open(options.clone()).unwrap();
    let strip = |h: Vec<memdeck::memory::HistoryEntry>| -> Vec<(u64, String, String)> {
        h.into_iter().map(|e| (e.seq, e.op, e.path)).collect()
    };
    let ctx = WriteCtx::new("Alice", "create");
    for i in 0..40 {
        let p = path(&format!("/memories/f{}.md", i % 3));
        let text = format!("{i}\n");
        match store.read(&p) {
            Ok(file) => store.save(&p, &text, Expect::Version(file.version), ctx),
            Err(_) => store.save(&p, &text, Expect::Absent, ctx),
        }
        .unwrap();
        let fresh = PgStore::open(options.clone()).unwrap();
        assert_eq!(
            strip(store.history(None).unwrap()),
            strip(fresh.history(None).unwrap()),
            "after write {i}"
        );
    }
    // Pruned on the way: fewer entries than writes.
    assert!(store.history(None).unwrap().len() < 40);
}

/// A user with a password (SCRAM): the right one opens the store, a wrong one is refused
/// saying so; neither password is ever shown.
#[test]
fn a_wrong_password_is_refused_clearly_and_never_shown() {
    let server = PgServer::start();
    let mut db = server.client();
    db.batch_execute(
        "CREATE ROLE alice LOGIN PASSWORD 'right-horse-battery';
         GRANT CREATE ON SCHEMA public TO alice;",
    )
    .unwrap();
    // Passwords for alice on the socket; trust stays for the test's own user.
    let hba = server.data().join("pg_hba.conf");
    let rules = std::fs::read_to_string(&hba).unwrap();
    std::fs::write(&hba, format!("local all alice scram-sha-256\n{rules}")).unwrap();
    db.execute("SELECT pg_reload_conf()", &[]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let url = |password: &str| {
        server
            .url()
            .replace("memdeck@", &format!("alice:{password}@"))
    };
    let store = crate::support::postgres::store_at(&url("right-horse-battery"), "team");
    assert!(
        !store.describe().contains("right-horse"),
        "{}",
        store.describe()
    );
    let text = refused_open(&url("wrong-stapler"));
    assert!(text.contains("refused the user name or password"), "{text}");
    assert!(
        !text.contains("wrong-stapler") && text.contains("<redacted>"),
        "{text}"
    );
}

/// Why opening namespace `team` at `url` fails (it must).
fn refused_open(url: &str) -> String {
    match PgStore::open(crate::support::postgres::options(url, "team")) {
        Ok(_) => panic!("the store at {url} opened"),
        Err(e) => e.to_string(),
    }
}
