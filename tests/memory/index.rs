//! The memory index: what it lists, in which order, within its limits.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use memdeck::memory::index::{IndexOptions, build, parse_paths};
use memdeck::memory::{LocalOptions, LocalStore, execute};
use serde_json::json;

#[test]
fn the_index_ranks_describes_and_stops_at_its_limits() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("memories");
    let store = LocalStore::open(&LocalOptions::new(&root)).unwrap();
    let run = |actor: &str, input: serde_json::Value| {
        assert!(!execute(&store, &input, actor).is_error);
    };
    run(
        "Alice",
        json!({"command": "create", "path": "/memories/acme.md", "file_text": "---\nname: Acme\ndescription: Acme's budget and contacts\ntype: project\n---\n- Budget: $2M\n"}),
    );
    run(
        "Sam",
        json!({"command": "create", "path": "/memories/notes/standup.md", "file_text": "\n## Standup notes\n- ship it\n"}),
    );
    run(
        "John",
        json!({"command": "create", "path": "/memories/globex.md", "file_text": "Globex\n"}),
    );
    run(
        "John",
        json!({"command": "str_replace", "path": "/memories/acme.md", "old_str": "$2M", "new_str": "$3M"}),
    );
    // Dropped in by hand, and a file that is not text.
    std::fs::write(root.join("dropped.md"), "By hand\n").unwrap();
    std::fs::write(root.join("blob.md"), [0xff, 0xfe, 0x00]).unwrap();
    let now = memdeck::clock::now_ms();
    let index = build(&store, IndexOptions::default(), now).unwrap();
    let paths: Vec<&str> = index.entries.iter().map(|e| e.path.as_str()).collect();
    // Written most first (the same hour), then newest; files with no history last.
    assert_eq!(
        paths,
        [
            "/memories/acme.md",
            "/memories/globex.md",
            "/memories/notes/standup.md",
            "/memories/blob.md",
            "/memories/dropped.md"
        ]
    );
    assert!(
        index.text.contains(
            "- `/memories/acme.md` (project; John, just now): Acme's budget and contacts\n"
        )
    );
    assert!(
        index
            .text
            .contains("- `/memories/notes/standup.md` (Sam, just now): Standup notes\n")
    );
    assert!(
        index
            .text
            .contains("- `/memories/dropped.md` (not written through memdeck): By hand\n")
    );
    assert!(
        index
            .text
            .contains("- `/memories/blob.md` (not written through memdeck): (not readable:")
    );
    assert_eq!(
        parse_paths(&index.text).unwrap(),
        (paths.iter().map(|p| p.to_string()).collect(), true)
    );

    // At most two lines: the two first, and the count of the rest.
    let short = build(
        &store,
        IndexOptions {
            max_lines: 2,
            max_bytes: 8192,
        },
        now,
    )
    .unwrap();
    assert_eq!(short.entries.len(), 2);
    assert!(short.text.contains("holds 5 files; the 2 most recently changed and most used are listed here (view /memories for the rest)"), "{}", short.text);
    assert!(!parse_paths(&short.text).unwrap().1);
    // At most so many bytes: as many whole lines as fit.
    let small = build(
        &store,
        IndexOptions {
            max_lines: 100,
            max_bytes: 700,
        },
        now,
    )
    .unwrap();
    assert!(small.text.len() <= 700, "{}", small.text.len());
    assert!(!small.entries.is_empty() && small.entries.len() < 5);
    assert!(!small.complete());
}
