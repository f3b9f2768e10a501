//! A turn's receipt and its undo, on both backends: every kind of write is matched to its
//! history entry (exact versions, a diff), undoing a turn puts the store back as it was before
//! the turn, and a path someone changed after the turn is left alone and named.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use std::collections::BTreeMap;

use crate::support::redis::RedisServer;

use memdeck::memory::receipt::{self, Did};
use memdeck::memory::{LocalOptions, LocalStore, MemPath, MemoryStore, execute};
use serde_json::{Value, json};

/// Every file and its text.
fn files(store: &dyn MemoryStore) -> BTreeMap<String, String> {
    store
        .list(&MemPath::root(), 8)
        .unwrap()
        .entries
        .into_iter()
        .filter_map(|e| {
            let path = format!("/memories/{}", e.relative);
            let file = store.read(&MemPath::parse(&path).ok()?).ok()?;
            Some((path, file.text))
        })
        .collect()
}

/// Run a turn's calls as Alice; the receipt's changes.
fn turn(store: &dyn MemoryStore, calls: &[Value]) -> Vec<receipt::Change> {
    calls
        .iter()
        .filter_map(|input| {
            let result = execute(store, input, "Alice");
            assert!(!result.is_error, "{input}: {}", result.content);
            receipt::record(store, "Alice", input)
        })
        .collect()
}

fn check(store: &dyn MemoryStore) {
    let before_turn = |store: &dyn MemoryStore| {
        for input in [
            json!({"command": "create", "path": "/memories/acme.md", "file_text": "# Acme\n- Budget: $1M\n"}),
            json!({"command": "create", "path": "/memories/old/notes.md", "file_text": "old\n"}),
            json!({"command": "create", "path": "/memories/old/more.md", "file_text": "more\n"}),
            json!({"command": "create", "path": "/memories/draft.md", "file_text": "draft\n"}),
        ] {
            assert!(!execute(store, &input, "John").is_error);
        }
    };
    before_turn(store);
    let before = files(store);
    let changes = turn(
        store,
        &[
            json!({"command": "view", "path": "/memories/acme.md"}),
            json!({"command": "str_replace", "path": "/memories/acme.md", "old_str": "$1M", "new_str": "$2M"}),
            json!({"command": "insert", "path": "/memories/acme.md", "insert_line": 2, "insert_text": "- Deadline: June"}),
            json!({"command": "create", "path": "/memories/globex.md", "file_text": "# Globex\n"}),
            json!({"command": "rename", "old_path": "/memories/draft.md", "new_path": "/memories/plan.md"}),
            json!({"command": "delete", "path": "/memories/old"}),
        ],
    );
    let summary: Vec<String> = changes.iter().map(|c| c.title()).collect();
    assert_eq!(
        summary,
        [
            "edited /memories/acme.md",
            "edited /memories/acme.md",
            "created /memories/globex.md",
            "renamed /memories/draft.md → /memories/plan.md",
            "deleted folder /memories/old",
        ]
    );
    assert_eq!(changes[0].did, Did::Edited);
    assert!(changes[0].diff.contains(&('-', "- Budget: $1M".to_owned())));
    assert!(changes[0].diff.contains(&('+', "- Budget: $2M".to_owned())));
    assert!(
        changes[1]
            .diff
            .contains(&('+', "- Deadline: June".to_owned()))
    );
    assert_eq!(changes[2].diff, [('+', "# Globex".to_owned())]);

    let undone = receipt::undo(store, &changes, "you");
    assert_eq!(undone.left, Vec::<String>::new());
    assert_eq!(undone.undone, 5);
    assert_eq!(files(store), before, "{}", store.describe());

    // Again, but John edits Globex's file after the turn: it stays, and is named.
    let changes = turn(
        store,
        &[
            json!({"command": "create", "path": "/memories/globex.md", "file_text": "# Globex\n"}),
            json!({"command": "str_replace", "path": "/memories/acme.md", "old_str": "$1M", "new_str": "$3M"}),
        ],
    );
    let johns = json!({"command": "insert", "path": "/memories/globex.md", "insert_line": 1, "insert_text": "- CTO: Dana"});
    assert!(!execute(store, &johns, "John").is_error);
    let undone = receipt::undo(store, &changes, "you");
    assert_eq!(undone.undone, 1);
    assert_eq!(undone.left, ["/memories/globex.md (changed since)"]);
    assert_eq!(
        undone.summary(2),
        "undid 1 of 2 changes; left as they are now: /memories/globex.md (changed since)"
    );
    let now = files(store);
    assert_eq!(now["/memories/acme.md"], before["/memories/acme.md"]);
    assert_eq!(now["/memories/globex.md"], "# Globex\n- CTO: Dana\n");
}

#[test]
fn receipts_name_every_write_and_undo_puts_the_store_back_on_both_backends() {
    let tmp = tempfile::tempdir().unwrap();
    let local = LocalStore::open(&LocalOptions::new(tmp.path().join("memories"))).unwrap();
    check(&local);
    let server = RedisServer::start();
    let redis = server.store("receipts", "test-host");
    check(&redis);
}

/// Consolidation proposes the same plan on both backends, applies it only over the versions
/// it was made from, and its last run is undone whole.
#[test]
fn consolidation_runs_and_undoes_the_same_on_both_backends() {
    use memdeck::memory::consolidate;
    let tmp = tempfile::tempdir().unwrap();
    let local = LocalStore::open(&LocalOptions::new(tmp.path().join("memories"))).unwrap();
    let server = RedisServer::start();
    let redis = server.store("consolidate", "test-host");
    let mut results = Vec::new();
    for store in [&local as &dyn MemoryStore, &redis as &dyn MemoryStore] {
        for input in [
            json!({"command": "create", "path": "/memories/acme.md", "file_text": "- Budget: $1M\n- Stores: 40\n- Budget: $2M\n"}),
            json!({"command": "create", "path": "/memories/crm/acme.md", "file_text": "- Stores: 40\n- CTO: Dana\n"}),
            json!({"command": "create", "path": "/memories/notes.md", "file_text": "- fine as it is\n"}),
        ] {
            assert!(!execute(store, &input, "Alice").is_error);
        }
        let before = files(store);
        let plan = consolidate::propose(store).unwrap();
        assert_eq!(plan.summary(), "1 file tidied, 1 merged away");
        // Someone edits the duplicate after the plan was made: nothing is written.
        let stale = plan.clone();
        assert!(!execute(store, &json!({"command": "insert", "path": "/memories/crm/acme.md", "insert_line": 0, "insert_text": "- New: yes"}), "John").is_error);
        let touched = files(store);
        let (done, stopped) = consolidate::apply(store, &stale);
        assert!(done.is_empty());
        assert_eq!(
            stopped.as_deref(),
            Some("/memories/crm/acme.md changed since the plan was made; nothing was written")
        );
        assert_eq!(files(store), touched);
        assert!(consolidate::last_run(store).unwrap().is_empty());
        let fresh = consolidate::propose(store).unwrap();
        let (done, stopped) = consolidate::apply(store, &fresh);
        assert_eq!((done.len(), stopped), (2, None));
        // One operation in the history: the store's entry heading the two files'.
        let history = store.history(None).unwrap();
        let ours: Vec<_> = history
            .iter()
            .filter(|e| e.actor == "consolidation")
            .collect();
        assert_eq!(ours.len(), 3);
        assert_eq!(
            (ours[0].path.as_str(), ours[0].group),
            ("/memories", Some(ours[0].seq))
        );
        assert!(ours[1..].iter().all(|e| e.group == Some(ours[0].seq)));
        let ops = memdeck::memory::history::operations(&history);
        assert_eq!(ops.filter(|o| o[0].actor == "consolidation").count(), 1);
        let after = files(store);
        assert_eq!(
            after["/memories/acme.md"],
            "- Stores: 40\n- Budget: $2M\n- New: yes\n- CTO: Dana\n"
        );
        assert!(!after.contains_key("/memories/crm/acme.md"));
        let run = consolidate::last_run(store).unwrap();
        assert_eq!(run.len(), 2);
        // Undone as one too, and only when nothing changed since.
        assert_eq!(
            consolidate::undo(store, &run, "you").unwrap(),
            "undid the consolidation: 2 files as they were"
        );
        let restored = files(store);
        let mut expected = before;
        expected.insert(
            "/memories/crm/acme.md".into(),
            "- New: yes\n- Stores: 40\n- CTO: Dana\n".into(),
        );
        assert_eq!(restored, expected, "{}", store.describe());
        assert!(
            consolidate::undo(store, &run, "you")
                .unwrap_err()
                .contains("nothing was undone")
        );
        results.push(after);
    }
    assert_eq!(results[0], results[1]);
}

/// Merging two files that state one fact differently: the fact of the file changed last
/// stands, whichever of the two the merge keeps.
#[test]
fn a_merge_keeps_the_newer_file_s_facts() {
    use memdeck::memory::consolidate;
    for target_is_newer in [true, false] {
        let tmp = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&LocalOptions::new(tmp.path().join("memories"))).unwrap();
        let write = |path: &str, text: &str| {
            let input = json!({"command": "create", "path": path, "file_text": text});
            assert!(!execute(&store, &input, "Alice").is_error);
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        let target = ("/memories/contoso.md", "- Budget: $900K\n- Stage: pilot\n");
        let other = (
            "/memories/crm/Contoso.md",
            "- Budget: $750K\n- CTO: Imani\n",
        );
        let (first, second) = if target_is_newer {
            (other, target)
        } else {
            (target, other)
        };
        write(first.0, first.1);
        write(second.0, second.1);
        let plan = consolidate::propose(&store).unwrap();
        let merged = plan
            .steps
            .iter()
            .find(|s| s.path == "/memories/contoso.md")
            .and_then(|s| s.new_text.clone())
            .unwrap();
        let budget = if target_is_newer { "$900K" } else { "$750K" };
        assert!(merged.contains(&format!("- Budget: {budget}")), "{merged}");
        assert_eq!(merged.matches("- Budget:").count(), 1, "{merged}");
        assert!(merged.contains("- CTO: Imani") && merged.contains("- Stage: pilot"));
    }
}
