//! One conformance suite, two backends: every memory command (successes and each error row of
//! the reference table) run against the local directory store and against the Redis store on a
//! real `redis-server`; the model must get the same texts, the same error flags, and the
//! history must record the same changes.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::redis as redis_server;

use crate::support::redis_cluster::RedisCluster;
use crate::support::redis_sentinel::RedisSentinel;
use memdeck::memory::{
    Expect, LocalOptions, LocalStore, MemPath, MemoryStore, Retention, ToolResult, WriteCtx,
    execute, redis::RedisStore,
};
use redis_server::RedisServer;
use serde_json::{Value, json};

/// Directory sizes differ between filesystems (and Redis lists 4096): compare them as "DIR".
fn normalize(text: &str) -> String {
    text.lines()
        .map(|line| match line.split_once('\t') {
            Some((size, path))
                if path.starts_with("/memories")
                    && (path.ends_with('/') || path == "/memories")
                    && size.chars().next().is_some_and(|c| c.is_ascii_digit()) =>
            {
                format!("DIR\t{path}")
            }
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every command of the suite, in order.
fn suite() -> Vec<Value> {
    let notes = "/memories/notes.md";
    vec![
        json!({"command": "view", "path": "/memories"}),
        json!({"command": "create", "path": notes, "file_text": "alpha\nbeta\ngamma\n"}),
        json!({"command": "create", "path": notes, "file_text": "x"}),
        json!({"command": "create", "path": "/memories/proj/a/b/deep.txt", "file_text": "deep"}),
        json!({"command": "create", "path": "/memories/big.txt", "file_text": "x".repeat(2000)}),
        json!({"command": "create", "path": "/memories/.hidden.md", "file_text": "hidden"}),
        json!({"command": "create", "path": "/memories/proj/.cache/c.md", "file_text": "c"}),
        json!({"command": "view", "path": "/memories"}),
        json!({"command": "view", "path": "/memories/proj"}),
        json!({"command": "view", "path": notes}),
        json!({"command": "view", "path": notes, "view_range": [2, -1]}),
        json!({"command": "view", "path": notes, "view_range": [2, 2]}),
        json!({"command": "view", "path": notes, "view_range": [0, 1]}),
        json!({"command": "view", "path": notes, "view_range": [3, 2]}),
        json!({"command": "view", "path": notes, "view_range": [9, 10]}),
        json!({"command": "view", "path": "/memories/missing.md"}),
        json!({"command": "view", "path": "/memories/notes.md/inside"}),
        json!({"command": "str_replace", "path": notes, "old_str": "beta", "new_str": "BETA"}),
        json!({"command": "str_replace", "path": notes, "old_str": "zzz", "new_str": "y"}),
        json!({"command": "str_replace", "path": notes, "old_str": "a", "new_str": "y"}),
        json!({"command": "str_replace", "path": "/memories/missing.md", "old_str": "a", "new_str": "b"}),
        json!({"command": "str_replace", "path": "/memories/proj", "old_str": "a", "new_str": "b"}),
        json!({"command": "insert", "path": notes, "insert_line": 0, "insert_text": "top"}),
        json!({"command": "insert", "path": notes, "insert_line": 2, "insert_text": "middle\n"}),
        json!({"command": "insert", "path": notes, "insert_line": 99, "insert_text": "far"}),
        json!({"command": "insert", "path": "/memories/missing.md", "insert_line": 0, "insert_text": "x"}),
        json!({"command": "view", "path": notes}),
        json!({"command": "create", "path": "/memories/notes.md/inside", "file_text": "x"}),
        json!({"command": "create", "path": "/memories/proj", "file_text": "x"}),
        json!({"command": "create", "path": "/memories/uni.md", "file_text": "café ✓ 日本\r\nline two\r\n"}),
        json!({"command": "str_replace", "path": "/memories/uni.md", "old_str": "日本", "new_str": "東京"}),
        json!({"command": "view", "path": "/memories/uni.md"}),
        json!({"command": "rename", "old_path": notes, "new_path": "/memories/archive/2026/notes.md"}),
        json!({"command": "rename", "old_path": notes, "new_path": "/memories/x.md"}),
        json!({"command": "rename", "old_path": "/memories/big.txt", "new_path": "/memories/uni.md"}),
        json!({"command": "rename", "old_path": "/memories/proj", "new_path": "/memories/proj/sub"}),
        json!({"command": "rename", "old_path": "/memories/proj", "new_path": "/memories/project"}),
        json!({"command": "rename", "old_path": "/memories/big.txt", "new_path": "/memories/uni.md/x"}),
        json!({"command": "rename", "old_path": "/memories", "new_path": "/memories/x"}),
        json!({"command": "view", "path": "/memories"}),
        json!({"command": "view", "path": "/memories/project/a/b/deep.txt"}),
        json!({"command": "delete", "path": "/memories/big.txt"}),
        json!({"command": "delete", "path": "/memories/big.txt"}),
        json!({"command": "delete", "path": "/memories/project"}),
        json!({"command": "delete", "path": "/memories"}),
        json!({"command": "delete", "path": "/memories/uni.md/x"}),
        json!({"command": "view", "path": "/memories"}),
        json!({"command": "create", "path": "/memories/too-big.md", "file_text": "x".repeat(101 * 1024)}),
        json!({"command": "create", "path": "/memories/../etc/passwd", "file_text": "x"}),
        json!({"command": "create", "path": "/memories/a.md"}),
        json!({"command": "view", "path": "/memories/archive"}),
    ]
}

fn run(store: &dyn MemoryStore) -> Vec<ToolResult> {
    suite()
        .iter()
        .map(|input| execute(store, input, "Alice"))
        .collect()
}

/// What the history says happened, without times and sequence numbers.
fn history(store: &dyn MemoryStore) -> Vec<(String, String, Option<String>, bool, bool)> {
    store
        .history(None)
        .unwrap()
        .into_iter()
        .map(|e| (e.op, e.path, e.new_path, e.old.is_some(), e.new.is_some()))
        .collect()
}

#[test]
fn every_command_answers_the_same_on_both_backends() {
    let server = RedisServer::start();
    let redis = server.store("conformance", "test-host");
    answers_as_the_local_store(&redis);
}

/// On Valkey (what many managed services run now): the same answers, and folders bigger than a
/// page list whole.
#[test]
fn every_command_answers_the_same_on_valkey() {
    let Some(server) = RedisServer::valkey() else {
        return;
    };
    let store = server.store("conformance", "test-host");
    answers_as_the_local_store(&store);
    let ctx = WriteCtx::new("Alice", "create");
    for i in 0..1_200 {
        let path = MemPath::parse(&format!("/memories/crowd/f{i:04}.md")).unwrap();
        store.save(&path, "x\n", Expect::Absent, ctx).unwrap();
    }
    let listed = store
        .list(&MemPath::parse("/memories/crowd").unwrap(), 1)
        .unwrap();
    assert_eq!(listed.entries.len(), 1_200);
}

/// Through one node of a three-primary Redis Cluster, for namespaces whose slot is on that
/// node and on each other node (so every command also follows MOVED), the suite answers as
/// the local store does, and a store seeded with every node does too.
#[test]
fn every_command_answers_the_same_through_one_cluster_node() {
    let cluster = RedisCluster::start();
    let mut owners = std::collections::BTreeSet::new();
    for i in 0.. {
        let ns = format!("team{i}");
        let owner = cluster.owner(&format!("mem:{{{ns}}}:log"));
        if !owners.insert(owner) {
            continue;
        }
        let store = cluster.store_at(&cluster.url(0), &ns, "test-host");
        assert!(
            store.describe().starts_with("Redis Cluster "),
            "{}",
            store.describe()
        );
        answers_as_the_local_store(&store);
        if owners.len() == 3 {
            break;
        }
    }
    let seeded = cluster.store_at(&cluster.urls(), "seeded", "test-host");
    answers_as_the_local_store(&seeded);
}

/// Through Sentinel (`redis+sentinel://` naming three sentinels), the store finds the primary
/// and the suite answers as the local store does.
#[test]
fn every_command_answers_the_same_through_sentinel() {
    let set = RedisSentinel::start();
    let store = set.store("conformance", "test-host");
    assert!(
        store.describe().starts_with("Redis (Sentinel) "),
        "{}",
        store.describe()
    );
    answers_as_the_local_store(&store);
}

/// Run the suite on `redis` and on a fresh local store: the same results, history, versions
/// and restores.
pub(crate) fn answers_as_the_local_store(redis: &dyn MemoryStore) {
    let tmp = tempfile::Builder::new()
        .prefix("memdeck-conformance-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let local = LocalStore::open(&LocalOptions::new(tmp.path().join("memories"))).unwrap();
    let expected = run(&local);
    let got = run(redis);
    for ((input, want), have) in suite().iter().zip(&expected).zip(&got) {
        assert_eq!(
            (normalize(&have.content), have.is_error),
            (normalize(&want.content), want.is_error),
            "{input}"
        );
    }
    assert_eq!(history(redis), history(&local));
    // The same versions, so the same restores.
    let uni = MemPath::parse("/memories/uni.md").unwrap();
    let versions = |s: &dyn MemoryStore| -> Vec<String> {
        s.history(Some(&uni))
            .unwrap()
            .iter()
            .filter_map(|e| e.new.as_ref().map(|v| v.as_str().to_owned()))
            .collect()
    };
    assert_eq!(versions(redis), versions(&local));
    for store in [&local as &dyn MemoryStore, redis] {
        store
            .restore(&uni, None, WriteCtx::new("you", "restore"))
            .unwrap();
        assert_eq!(
            store.read(&uni).unwrap().text,
            "café ✓ 日本\r\nline two\r\n"
        );
    }
}

#[test]
fn the_panels_compare_and_set_refuses_a_stale_save() {
    let server = RedisServer::start();
    let store = server.store("cas", "test-host");
    let path = MemPath::parse("/memories/plan.md").unwrap();
    let ctx = WriteCtx::new("you", "save");
    let v1 = store.save(&path, "v1\n", Expect::Absent, ctx).unwrap();
    let v2 = store
        .save(&path, "v2\n", Expect::Version(v1.clone()), ctx)
        .unwrap();
    let stale = store.save(&path, "mine\n", Expect::Version(v1), ctx);
    assert!(
        matches!(&stale, Err(memdeck::memory::StoreError::Conflict { current: Some(c), .. }) if *c == v2),
        "{stale:?}"
    );
    assert_eq!(store.read(&path).unwrap().text, "v2\n");
}

/// A local store and a Redis namespace `ns` whose histories keep `keep` entries (and the
/// directory and server they live in).
fn stores_keeping(
    keep: usize,
    ns: &str,
) -> (tempfile::TempDir, LocalStore, RedisServer, RedisStore) {
    let tmp = tempfile::Builder::new()
        .prefix("memdeck-retention-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let mut options = LocalOptions::new(tmp.path().join("memories"));
    options.retention = Retention {
        max_entries: keep,
        ..Retention::default()
    };
    let local = LocalStore::open(&options).unwrap();
    let server = RedisServer::start();
    let mut redis_options = server.options(ns, "test-host");
    redis_options.history_keep = keep as u64;
    let redis = RedisStore::open(redis_options).unwrap();
    (tmp, local, server, redis)
}

/// The history's retention is the same setting with the same rule on both backends: after a
/// long run of changes over a few files they keep exactly the same entries (the newest ones,
/// and each path's newest few however old), and every version those entries name still reads.
#[test]
fn both_backends_keep_the_same_history_under_one_retention() {
    let keep = 12;
    let (_tmp, local, server, redis) = stores_keeping(keep, "retention");
    let stored = || -> usize {
        redis::cmd("HLEN")
            .arg("mem:{retention}:blobs")
            .query(&mut server.conn())
            .unwrap()
    };
    keeps_the_local_stores_history(keep, &local, &redis, &stored);
}

/// The same on PostgreSQL: the history's retention in SQL keeps what the local store keeps.
#[test]
fn postgres_keeps_the_same_history_under_one_retention() {
    let keep = 12;
    let (_tmp, local, _server, _redis) = stores_keeping(keep, "unused");
    let server = crate::support::postgres::PgServer::start();
    let mut options = crate::support::postgres::options(&server.url(), "retention");
    options.history_keep = keep as u64;
    let pg = memdeck::memory::postgres::PgStore::open(options).unwrap();
    let stored = || -> usize {
        let n: i64 = server
            .client()
            .query_one(
                "SELECT count(*) FROM memdeck_versions WHERE ns = 'retention'",
                &[],
            )
            .unwrap()
            .get(0);
        n as usize
    };
    keeps_the_local_stores_history(keep, &local, &pg, &stored);
}

/// Run a long series of changes on `local` and on `redis` (a shared store keeping `keep`
/// entries): both keep the same entries, operations whole, every version they name, and the
/// shared store no version besides (`stored` counts the versions it holds).
fn keeps_the_local_stores_history(
    keep: usize,
    local: &LocalStore,
    redis: &dyn MemoryStore,
    stored: &dyn Fn() -> usize,
) {
    let mut steps = vec![
        // A folder deleted, then a file of the same name changed often: the delete's own entry
        // is its path's only one, its file's entry is old among many for that path.
        json!({"command": "create", "path": "/memories/tmp/x.md", "file_text": "x0\n"}),
        json!({"command": "delete", "path": "/memories/tmp"}),
        json!({"command": "create", "path": "/memories/tmp/x.md", "file_text": "x0\n"}),
    ];
    for i in 0..8 {
        steps.push(
            json!({"command": "str_replace", "path": "/memories/tmp/x.md",
            "old_str": format!("x{i}\n"), "new_str": format!("x{}\n", i + 1)}),
        );
    }
    steps.extend([
        json!({"command": "create", "path": "/memories/old.md", "file_text": "old\n"}),
        json!({"command": "create", "path": "/memories/team/a.md", "file_text": "a0\n"}),
        json!({"command": "create", "path": "/memories/team/b.md", "file_text": "b0\n"}),
    ]);
    for i in 0..30 {
        // The team's directory is renamed to crew/ at step 20.
        let dir = if i > 20 { "crew" } else { "team" };
        steps.push(
            json!({"command": "str_replace", "path": format!("/memories/{dir}/a.md"),
            "old_str": format!("a{i}\n"), "new_str": format!("a{}\n", i + 1)}),
        );
        if i % 7 == 3 {
            steps.push(
                json!({"command": "insert", "path": format!("/memories/{dir}/b.md"),
                "insert_line": 0, "insert_text": format!("b{i}\n")}),
            );
        }
        if i == 20 {
            steps.push(json!({"command": "rename", "old_path": "/memories/team",
                "new_path": "/memories/crew"}));
        }
    }
    steps.push(json!({"command": "delete", "path": "/memories/crew/b.md"}));
    for store in [local as &dyn MemoryStore, redis] {
        for step in &steps {
            let done = execute(store, step, "Alice");
            assert!(!done.is_error, "{step}: {}", done.content);
        }
    }
    let kept = history(redis);
    assert_eq!(kept, history(local));
    // A folder's operation is kept whole: the delete of tmp/ keeps its file's entry although
    // newer changes to that file outnumber it, because the folder's own entry is kept.
    for store in [local as &dyn MemoryStore, redis] {
        let entries = store.history(None).unwrap();
        let ops: Vec<(String, usize)> = memdeck::memory::history::operations(&entries)
            .filter(|op| op[0].group.is_some())
            .map(|op| (op[0].op.clone(), op.len()))
            .collect();
        assert!(ops.contains(&("delete".to_owned(), 2)), "{ops:?}");
        assert!(
            ops.iter()
                .all(|(op, n)| *n == if op == "delete" { 2 } else { 3 }),
            "{ops:?}"
        );
    }
    // Pruned: about `keep` entries plus a quarter, and old.md's only entry survived as its
    // newest.
    // The folder delete and rename also record the folder's own entry.
    let total = steps.len() + 3;
    assert!(kept.len() < total, "nothing was pruned: {}", kept.len());
    let paths: std::collections::HashSet<&String> = kept.iter().map(|e| &e.1).collect();
    assert!(
        kept.len() <= keep + keep / 4 + Retention::default().keep_per_path * paths.len(),
        "{} entries kept",
        kept.len()
    );
    assert!(kept.iter().any(|e| e.1 == "/memories/old.md"));
    for store in [local as &dyn MemoryStore, redis] {
        for entry in store.history(None).unwrap() {
            for version in [&entry.old, &entry.new].into_iter().flatten() {
                let path = MemPath::parse(&entry.path).unwrap();
                assert!(
                    store.version_text(&path, version).unwrap().is_some(),
                    "{} {} lost version {}",
                    entry.op,
                    entry.path,
                    version.short()
                );
            }
        }
    }
    // Redis keeps no version that neither an entry nor a file names.
    let mut named: std::collections::HashSet<String> = redis
        .history(None)
        .unwrap()
        .into_iter()
        .flat_map(|e| [e.old, e.new])
        .flatten()
        .map(|v| v.as_str().to_owned())
        .collect();
    for file in ["/memories/old.md", "/memories/crew/a.md"] {
        let text = redis.read(&MemPath::parse(file).unwrap()).unwrap().text;
        named.insert(
            memdeck::memory::Version::of(text.as_bytes())
                .as_str()
                .to_owned(),
        );
    }
    assert_eq!(stored(), named.len());
}

/// A folder deleted whole comes back with every file it held, at the versions the delete
/// removed, on both backends (`u` in the panel and `memdeck memory restore` use this); a file
/// recreated since is left as it is.
#[test]
fn a_deleted_folder_comes_back_whole_on_every_backend() {
    use memdeck::memory::history::{Restored, restore_path};
    let server = RedisServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let local = LocalStore::open(&LocalOptions::new(tmp.path().join("memories"))).unwrap();
    let redis = server.store("folder", "test-host");
    let pg_server = crate::support::postgres::PgServer::start();
    let pg = pg_server.store("folder");
    for store in [&local as &dyn MemoryStore, &redis as &dyn MemoryStore, &pg] {
        let write = |input: Value| assert!(!execute(store, &input, "Alice").is_error);
        write(json!({"command": "create", "path": "/memories/team/a.md", "file_text": "a1\n"}));
        write(
            json!({"command": "str_replace", "path": "/memories/team/a.md", "old_str": "a1", "new_str": "a2"}),
        );
        write(json!({"command": "create", "path": "/memories/team/sub/b.md", "file_text": "b\n"}));
        write(json!({"command": "create", "path": "/memories/team/c.md", "file_text": "c\n"}));
        write(json!({"command": "delete", "path": "/memories/team"}));
        write(json!({"command": "create", "path": "/memories/team/c.md", "file_text": "new c\n"}));
        let folder = MemPath::parse("/memories/team").unwrap();
        let done = restore_path(store, &folder, None, WriteCtx::new("you", "restore")).unwrap();
        assert_eq!(done, Restored::Folder { files: 2 });
        let read = |p: &str| store.read(&MemPath::parse(p).unwrap()).unwrap().text;
        assert_eq!(read("/memories/team/a.md"), "a2\n");
        assert_eq!(read("/memories/team/sub/b.md"), "b\n");
        assert_eq!(read("/memories/team/c.md"), "new c\n");
        // The delete and the restore are each one operation in the history: the folder's entry,
        // then its files', all marked with the folder entry's number.
        let history = store.history(None).unwrap();
        let ops: Vec<&[memdeck::memory::HistoryEntry]> =
            memdeck::memory::history::operations(&history).collect();
        let summary = |op: &[memdeck::memory::HistoryEntry]| {
            let head = &op[0];
            assert!(op.iter().all(|e| e.group == Some(head.seq)), "{op:?}");
            let mut files: Vec<String> = op[1..].iter().map(|e| e.path.clone()).collect();
            files.sort_unstable();
            (
                head.op.clone(),
                head.actor.clone(),
                head.path.clone(),
                files,
            )
        };
        let n = ops.len();
        let (op, actor, path, files) = summary(ops[n - 3]);
        assert_eq!(
            (op.as_str(), actor.as_str(), path.as_str(), files.join(" ")),
            (
                "delete",
                "Alice",
                "/memories/team",
                "/memories/team/a.md /memories/team/c.md /memories/team/sub/b.md".to_owned()
            )
        );
        assert_eq!(ops[n - 2].len(), 1, "the new c.md is a change on its own");
        let (op, actor, path, files) = summary(ops[n - 1]);
        assert_eq!(
            (op.as_str(), actor.as_str(), path.as_str(), files.join(" ")),
            (
                "restore",
                "you",
                "/memories/team",
                "/memories/team/a.md /memories/team/sub/b.md".to_owned()
            )
        );
        // Nothing left to bring back: the folder is whole again, and says so.
        let again = restore_path(store, &folder, None, WriteCtx::new("you", "restore"));
        assert_eq!(again.unwrap(), Restored::Folder { files: 0 });
        // A folder's rename is one operation too.
        let moved = MemPath::parse("/memories/crew").unwrap();
        store
            .rename(&folder, &moved, WriteCtx::new("Sam", "rename"))
            .unwrap();
        let history = store.history(None).unwrap();
        let last = memdeck::memory::history::operations(&history)
            .last()
            .unwrap();
        assert_eq!((last[0].op.as_str(), last.len()), ("rename", 4), "{last:?}");
        // A path that never was a folder: the store's own answer.
        let never = MemPath::parse("/memories/never").unwrap();
        assert!(matches!(
            restore_path(store, &never, None, WriteCtx::new("you", "restore")),
            Err(memdeck::memory::StoreError::NoVersion(_))
        ));
    }
}

/// Names that differ only in letter case are one file on macOS and Windows disks: a new name
/// that an existing one equals but for case is refused on both backends (by the tool, the
/// panel's save and restore), with the same text; a rename may change its own name's case.
#[test]
fn case_twins_are_refused_on_every_backend() {
    let server = RedisServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let local = LocalStore::open(&LocalOptions::new(tmp.path().join("memories"))).unwrap();
    let redis = server.store("twins", "test-host");
    let pg_server = crate::support::postgres::PgServer::start();
    let pg = pg_server.store("twins");
    let twin = "only in letter case from";
    // (input, Some(rule) when refused naming it / None when accepted)
    let table: Vec<(Value, Option<&str>)> = vec![
        (
            json!({"command": "create", "path": "/memories/notes.md", "file_text": "n\n"}),
            None,
        ),
        (
            json!({"command": "create", "path": "/memories/team/plan.md", "file_text": "p\n"}),
            None,
        ),
        (
            json!({"command": "create", "path": "/memories/\u{e9}mile.md", "file_text": "e\n"}),
            None,
        ),
        (
            json!({"command": "create", "path": "/memories/a.md", "file_text": "a\n"}),
            None,
        ),
        (
            json!({"command": "create", "path": "/memories/Notes.md", "file_text": "x"}),
            Some(twin),
        ),
        (
            json!({"command": "create", "path": "/memories/NOTES.MD", "file_text": "x"}),
            Some(twin),
        ),
        (
            json!({"command": "create", "path": "/memories/TEAM/x.md", "file_text": "x"}),
            Some(twin),
        ),
        (
            json!({"command": "create", "path": "/memories/team/Plan.md", "file_text": "x"}),
            Some(twin),
        ),
        (
            json!({"command": "create", "path": "/memories/Team/New/x.md", "file_text": "x"}),
            Some(twin),
        ),
        (
            json!({"command": "create", "path": "/memories/\u{c9}mile.md", "file_text": "x"}),
            Some(twin),
        ),
        (
            json!({"command": "create", "path": "/memories/notes.md", "file_text": "x"}),
            Some("already exists"),
        ),
        (
            json!({"command": "rename", "old_path": "/memories/a.md", "new_path": "/memories/NOTES.md"}),
            Some(twin),
        ),
        (
            json!({"command": "rename", "old_path": "/memories/a.md", "new_path": "/memories/Team/a.md"}),
            Some(twin),
        ),
        (
            json!({"command": "create", "path": "/memories/team/plan.md/x", "file_text": "x"}),
            Some(""),
        ),
        (
            json!({"command": "str_replace", "path": "/memories/notes.md", "old_str": "n", "new_str": "N"}),
            None,
        ),
        (
            json!({"command": "create", "path": "/memories/team/notes-2.md", "file_text": "x"}),
            None,
        ),
        (
            json!({"command": "rename", "old_path": "/memories/a.md", "new_path": "/memories/A.md"}),
            None,
        ),
        (
            json!({"command": "rename", "old_path": "/memories/team", "new_path": "/memories/Team"}),
            None,
        ),
        (
            json!({"command": "view", "path": "/memories/Team/plan.md"}),
            None,
        ),
    ];
    let mut answers = Vec::new();
    for store in [&local as &dyn MemoryStore, &redis as &dyn MemoryStore, &pg] {
        let mut these = Vec::new();
        for (input, refused) in &table {
            let before = store.list(&MemPath::root(), 8).unwrap().entries.len();
            let result = execute(store, input, "Alice");
            match refused {
                Some(rule) => {
                    assert!(result.is_error, "{input} was accepted");
                    assert!(result.content.contains(rule), "{input}: {}", result.content);
                    let after = store.list(&MemPath::root(), 8).unwrap().entries.len();
                    assert_eq!(after, before, "{input} changed the store");
                }
                None => assert!(!result.is_error, "{input}: {}", result.content),
            }
            these.push(normalize(&result.content));
        }
        // The panel's save and a restore bring no twin either.
        let ctx = WriteCtx::new("you", "save");
        let shout = MemPath::parse("/memories/NOTES.md").unwrap();
        let saved = store.save(&shout, "x", Expect::Absent, ctx);
        assert!(format!("{saved:?}").contains("CaseTwin"), "{saved:?}");
        let notes = MemPath::parse("/memories/notes.md").unwrap();
        store.delete(&notes, ctx).unwrap();
        store.save(&shout, "shout\n", Expect::Absent, ctx).unwrap();
        let restored = store.restore(&notes, None, WriteCtx::new("you", "restore"));
        assert!(format!("{restored:?}").contains("CaseTwin"), "{restored:?}");
        assert!(matches!(store.node(&notes), Ok(None)));
        answers.push(these);
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0], answers[2]);
}

/// Big folders list the same on both backends: more children than one of Redis's pages holds
/// (500), in folders and subfolders, with hidden names and both kinds mixed, listed from the
/// root, from a folder, and at depths 1, 2 and 8 (the panel's tree).
#[test]
fn big_folders_list_the_same_on_every_backend() {
    let server = RedisServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let local = LocalStore::open(&LocalOptions::new(tmp.path().join("memories"))).unwrap();
    let redis = server.store("big", "test-host");
    let pg_server = crate::support::postgres::PgServer::start();
    let pg = pg_server.store("big");
    let ctx = WriteCtx::new("Alice", "create");
    let mut paths = Vec::new();
    for i in 0..1_100 {
        paths.push(format!("/memories/crowd/f{i:04}.md"));
    }
    for i in 0..30 {
        paths.push(format!("/memories/crowd/sub{i:02}/a.md"));
        paths.push(format!("/memories/crowd/sub{i:02}/deep/b.md"));
    }
    paths.extend(
        [
            "/memories/a.md",
            "/memories/a/z.md",
            "/memories/a.b/y.md",
            "/memories/crowd.md",
        ]
        .map(str::to_owned),
    );
    for store in [&local as &dyn MemoryStore, &redis, &pg] {
        for (i, p) in paths.iter().enumerate() {
            let text = format!("{}\n", "x".repeat(i % 7));
            store
                .save(&MemPath::parse(p).unwrap(), &text, Expect::Absent, ctx)
                .unwrap();
        }
    }
    for (dir, depth) in [
        ("/memories", 1),
        ("/memories", 2),
        ("/memories", 8),
        ("/memories/crowd", 2),
        ("/memories/crowd/sub07", 8),
    ] {
        let dir = MemPath::parse(dir).unwrap();
        let want = local.list(&dir, depth).unwrap().entries;
        for shared in [&redis as &dyn MemoryStore, &pg] {
            let got = shared.list(&dir, depth).unwrap().entries;
            let files = |l: &[memdeck::memory::Entry]| {
                l.iter()
                    .map(|e| (e.relative.clone(), e.kind, e.size))
                    .filter(|e| e.1 == memdeck::memory::NodeKind::File)
                    .collect::<Vec<_>>()
            };
            let names = |l: &[memdeck::memory::Entry]| {
                l.iter().map(|e| e.relative.clone()).collect::<Vec<_>>()
            };
            assert_eq!(names(&got), names(&want), "{dir} at depth {depth}");
            assert_eq!(files(&got), files(&want), "{dir} at depth {depth}");
        }
    }
    assert_eq!(
        redis
            .list(&MemPath::parse("/memories").unwrap(), 8)
            .unwrap()
            .entries
            .len(),
        paths.len() + 1 + 30 * 2 + 2,
        "every file and folder"
    );
}

/// Retention in bounded steps: with a history big enough that one pruning has more to look at
/// than a step takes (and a folder's delete bigger than a step, kept whole or dropped whole),
/// Redis ends with exactly the history the local store keeps, and every version it names.
#[test]
fn pruning_in_steps_keeps_what_the_local_store_keeps() {
    let keep = 1_000;
    let (_tmp, local, _server, redis) = stores_keeping(keep, "steps");
    for store in [&local as &dyn MemoryStore, &redis] {
        let write = |input: Value| {
            let done = execute(store, &input, "Alice");
            assert!(!done.is_error, "{input}: {}", done.content);
        };
        // A folder of more files than a step looks at, made and deleted seven times: the first
        // deletes become prunable once each path has five newer entries.
        for round in 0..7 {
            for i in 0..205 {
                write(
                    json!({"command": "create", "path": format!("/memories/big/f{i}.md"),
                    "file_text": format!("{round}\n")}),
                );
            }
            write(json!({"command": "delete", "path": "/memories/big"}));
        }
    }
    let kept = history(&redis);
    assert_eq!(kept.len(), history(&local).len());
    assert_eq!(kept, history(&local));
    assert!(kept.len() < 7 * 411, "nothing was pruned: {}", kept.len());
    let ops = memdeck::memory::history::operations(&redis.history(None).unwrap())
        .filter(|op| op[0].group.is_some())
        .map(|op| op.len())
        .collect::<Vec<_>>();
    assert!(ops.len() < 7, "no folder delete was pruned: {ops:?}");
    assert!(
        ops.iter().all(|&n| n == 206),
        "a folder delete was cut: {ops:?}"
    );
    for entry in redis.history(None).unwrap() {
        for version in [&entry.old, &entry.new].into_iter().flatten() {
            let path = MemPath::parse(&entry.path).unwrap();
            assert!(redis.version_text(&path, version).unwrap().is_some());
        }
    }
}
