//! The reference implementation's texts, byte for byte: the vectors of api-spec.md §1.7 (from
//! running the official Python SDK 2.12) and one test per row of the §1.3 table.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::fixture;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use fixture::Fixture;
use serde_json::json;

const DIR_HEADER: &str =
    "Here're the files and directories up to 2 levels deep in /memories, excluding hidden items:";

#[test]
fn captured_vectors_from_the_python_sdk() {
    let f = Fixture::new();
    assert_eq!(
        f.ok(json!({"command": "view", "path": "/memories"})),
        format!("{DIR_HEADER}\n{}\t/memories", f.dir_size(""))
    );
    assert_eq!(
        f.ok(json!({"command": "create", "path": "/memories/notes.md", "file_text": "alpha\nbeta\ngamma\n"})),
        "File created successfully at: /memories/notes.md"
    );
    assert_eq!(
        f.err(json!({"command": "create", "path": "/memories/notes.md", "file_text": "x"})),
        "File /memories/notes.md already exists"
    );
    f.ok(json!({"command": "create", "path": "/memories/proj/a/b/deep.txt", "file_text": "deep"}));
    f.write(".hidden", "hidden");
    f.ok(json!({"command": "create", "path": "/memories/big.txt", "file_text": "x".repeat(2000)}));
    assert_eq!(
        f.ok(json!({"command": "view", "path": "/memories"})),
        format!(
            "{DIR_HEADER}\n{}\t/memories\n2.0K\t/memories/big.txt\n17B\t/memories/notes.md\n{}\t/memories/proj/\n{}\t/memories/proj/a/",
            f.dir_size(""),
            f.dir_size("proj"),
            f.dir_size("proj/a")
        )
    );
    assert_eq!(
        f.ok(json!({"command": "view", "path": "/memories/notes.md"})),
        "Here's the content of /memories/notes.md with line numbers:\n     1\talpha\n     2\tbeta\n     3\tgamma\n     4\t"
    );
    assert_eq!(
        f.ok(json!({"command": "view", "path": "/memories/notes.md", "view_range": [2, -1]})),
        "Here's the content of /memories/notes.md with line numbers:\n     2\tbeta\n     3\tgamma\n     4\t"
    );
    assert_eq!(
        f.ok(json!({"command": "view", "path": "/memories/notes.md", "view_range": [2, 2]})),
        "Here's the content of /memories/notes.md with line numbers:\n     2\tbeta"
    );
    assert_eq!(
        f.ok(json!({"command": "str_replace", "path": "/memories/notes.md", "old_str": "beta", "new_str": "BETA"})),
        "The memory file has been edited. Here is the snippet showing the change (with line numbers):\n     1\talpha\n     2\tBETA\n     3\tgamma\n     4\t"
    );
    assert_eq!(
        f.err(json!({"command": "str_replace", "path": "/memories/notes.md", "old_str": "zzz", "new_str": "y"})),
        "No replacement was performed, old_str `zzz` did not appear verbatim in /memories/notes.md."
    );
    f.ok(json!({"command": "create", "path": "/memories/a.txt", "file_text": "a\nb a\na\n"}));
    assert_eq!(
        f.err(json!({"command": "str_replace", "path": "/memories/a.txt", "old_str": "a", "new_str": "y"})),
        "No replacement was performed. Multiple occurrences of old_str `a` in lines: 1, 2, 3. Please ensure it is unique"
    );
    f.ok(json!({"command": "create", "path": "/memories/four.txt", "file_text": "1\n2\n3\n4\n"}));
    assert_eq!(
        f.err(json!({"command": "insert", "path": "/memories/four.txt", "insert_line": 99, "insert_text": "x"})),
        "Invalid `insert_line` parameter: 99. It should be within the range [0, 4]."
    );
    assert_eq!(
        f.err(json!({"command": "delete", "path": "/memories"})),
        "Cannot delete the /memories directory itself"
    );
    assert_eq!(
        f.err(json!({"command": "rename", "old_path": "/memories/notes.md", "new_path": "/memories/big.txt"})),
        "The destination /memories/big.txt already exists"
    );
    assert_eq!(
        f.err(json!({"command": "view", "path": "/etc/passwd"})),
        "Path must start with /memories, got: /etc/passwd"
    );
    assert_eq!(
        f.err(json!({"command": "view", "path": "/memories/../../etc/passwd"})),
        "Path /memories/../../etc/passwd would escape /memories directory"
    );
}

#[test]
fn view_of_a_missing_path() {
    let f = Fixture::new();
    assert_eq!(
        f.err(json!({"command": "view", "path": "/memories/nope.md"})),
        "The path /memories/nope.md does not exist. Please provide a valid path."
    );
    // A path through a file does not exist either.
    f.write("a.md", "x");
    assert_eq!(
        f.err(json!({"command": "view", "path": "/memories/a.md/b"})),
        "The path /memories/a.md/b does not exist. Please provide a valid path."
    );
}

#[test]
fn view_of_too_many_lines() {
    let f = Fixture::with(|o| o.max_file_bytes = 4 << 20);
    f.write("long.txt", &"\n".repeat(999_999));
    assert_eq!(
        f.err(json!({"command": "view", "path": "/memories/long.txt"})),
        "File /memories/long.txt exceeds maximum line limit of 999,999 lines."
    );
    f.write("ok.txt", &"\n".repeat(999_998));
    assert!(
        !f.exec(json!({"command": "view", "path": "/memories/ok.txt"}))
            .is_error
    );
}

#[test]
fn view_range_edges_follow_python_slicing() {
    let f = Fixture::new();
    f.write("n.md", "a\nb\nc\nd");
    let header = "Here's the content of /memories/n.md with line numbers:\n";
    let view = |range: serde_json::Value| {
        f.ok(json!({"command": "view", "path": "/memories/n.md", "view_range": range}))
    };
    assert_eq!(view(json!([10, 20])), header);
    assert_eq!(view(json!([3, 1])), header);
    assert_eq!(view(json!([0, 1])), format!("{header}     1\ta"));
    assert_eq!(view(json!([2, -2])), format!("{header}     2\tb"));
    assert_eq!(
        view(json!([3, 99])),
        format!("{header}     3\tc\n     4\td")
    );
    // view_range is ignored for directories.
    assert!(
        f.ok(json!({"command": "view", "path": "/memories", "view_range": [1, 1]}))
            .contains("/memories/n.md")
    );
}

#[test]
fn view_lists_two_levels_sorted_and_skips_hidden_and_links() {
    let f = Fixture::new();
    f.write("b/x.md", "1");
    f.write("a.md", "22");
    f.write("b/c/d/e.md", "deep");
    f.write("b/.secret", "s");
    f.write("Z.md", "z");
    std::os::unix::fs::symlink(&f.sentinel, f.mem.join("link")).unwrap();
    std::os::unix::fs::symlink(f.sentinel.join("secret.txt"), f.mem.join("file-link")).unwrap();
    let out = f.ok(json!({"command": "view", "path": "/memories"}));
    let rows: Vec<&str> = out
        .lines()
        .skip(2)
        .map(|l| l.split('\t').nth(1).unwrap())
        .collect();
    assert_eq!(
        rows,
        [
            "/memories/Z.md",
            "/memories/a.md",
            "/memories/b/",
            "/memories/b/c/",
            "/memories/b/x.md"
        ]
    );
    assert!(out.contains("2B\t/memories/a.md"));
    // A sub-directory lists from itself, echoing the path as given.
    let sub = f.ok(json!({"command": "view", "path": "/memories/b"}));
    assert!(sub.starts_with("Here're the files and directories up to 2 levels deep in /memories/b, excluding hidden items:\n"));
    assert!(sub.contains("\t/memories/b/c/d/") && !sub.contains("e.md"));
    // The root spelled with a trailing slash never produces `//`.
    assert!(
        !f.ok(json!({"command": "view", "path": "/memories/"}))
            .contains("//")
    );
}

#[test]
fn create_makes_parents_with_owner_only_modes() {
    let f = Fixture::new();
    assert_eq!(
        f.ok(json!({"command": "create", "path": "/memories/x/y/z.md", "file_text": "hi"})),
        "File created successfully at: /memories/x/y/z.md"
    );
    assert_eq!(f.read("x/y/z.md"), "hi");
    let mode = |p: &str| fs::metadata(f.mem.join(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("x/y/z.md"), 0o600);
    assert_eq!(mode("x/y"), 0o700);
    // A file in the way of a parent directory is a clear error and nothing is created.
    f.write("plain.md", "p");
    let e =
        f.err(json!({"command": "create", "path": "/memories/plain.md/in.md", "file_text": "x"}));
    assert!(e.contains("/memories/plain.md is a file"), "{e}");
}

#[test]
fn str_replace_rows() {
    let f = Fixture::new();
    assert_eq!(
        f.err(json!({"command": "str_replace", "path": "/memories/none.md", "old_str": "a", "new_str": "b"})),
        "The path /memories/none.md does not exist. Please provide a valid path."
    );
    fs::create_dir(f.mem.join("dir")).unwrap();
    assert_eq!(
        f.err(json!({"command": "str_replace", "path": "/memories/dir", "old_str": "a", "new_str": "b"})),
        "The path /memories/dir is not a file."
    );
    // Multi-line old_str, `$` kept literal, snippet around the change.
    f.write("m.md", "1\n2\n3\nstart\nend\n6\n7\n8\n");
    assert_eq!(
        f.ok(json!({"command": "str_replace", "path": "/memories/m.md", "old_str": "start\nend", "new_str": "$1 $&"})),
        "The memory file has been edited. Here is the snippet showing the change (with line numbers):\n     2\t2\n     3\t3\n     4\t$1 $&\n     5\t6\n     6\t7"
    );
    assert_eq!(f.read("m.md"), "1\n2\n3\n$1 $&\n6\n7\n8\n");
    // Two occurrences on one line are still two; overlapping matches are listed like the reference.
    f.write("o.md", "xx yy xx\naaa\n");
    assert_eq!(
        f.err(json!({"command": "str_replace", "path": "/memories/o.md", "old_str": "xx", "new_str": "z"})),
        "No replacement was performed. Multiple occurrences of old_str `xx` in lines: 1, 1. Please ensure it is unique"
    );
    assert!(!f.exec(json!({"command": "str_replace", "path": "/memories/o.md", "old_str": "aa", "new_str": "b"})).is_error);
    assert_eq!(f.read("o.md"), "xx yy xx\nba\n");
    // An empty old_str matches everywhere.
    assert!(f.err(json!({"command": "str_replace", "path": "/memories/o.md", "old_str": "", "new_str": "b"})).starts_with("No replacement was performed. Multiple occurrences of old_str `` in lines: 1, 1,"));
    // new_str may be left out: old_str is deleted.
    f.ok(json!({"command": "str_replace", "path": "/memories/o.md", "old_str": "yy "}));
    assert_eq!(f.read("o.md"), "xx xx\nba\n");
}

#[test]
fn str_replace_keeps_mode_and_line_endings() {
    let f = Fixture::new();
    f.write("crlf.md", "one\r\ntwo\r\n");
    fs::set_permissions(f.mem.join("crlf.md"), fs::Permissions::from_mode(0o644)).unwrap();
    f.ok(json!({"command": "str_replace", "path": "/memories/crlf.md", "old_str": "two", "new_str": "2"}));
    assert_eq!(f.read("crlf.md"), "one\r\n2\r\n");
    assert_eq!(
        fs::metadata(f.mem.join("crlf.md"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o644
    );
    f.write("nonl.md", "no newline");
    f.ok(json!({"command": "str_replace", "path": "/memories/nonl.md", "old_str": "no", "new_str": "still no"}));
    assert_eq!(f.read("nonl.md"), "still no newline");
}

#[test]
fn insert_rows() {
    let f = Fixture::new();
    f.write("i.md", "a\nb\n");
    assert_eq!(
        f.ok(json!({"command": "insert", "path": "/memories/i.md", "insert_line": 0, "insert_text": "top\n"})),
        "The file /memories/i.md has been edited."
    );
    f.ok(json!({"command": "insert", "path": "/memories/i.md", "insert_line": 3, "insert_text": "end"}));
    assert_eq!(f.read("i.md"), "top\na\nb\nend\n");
    assert_eq!(
        f.err(json!({"command": "insert", "path": "/memories/gone.md", "insert_line": 0, "insert_text": "x"})),
        "The path /memories/gone.md does not exist. Please provide a valid path."
    );
    assert_eq!(
        f.err(json!({"command": "insert", "path": "/memories/i.md", "insert_line": -1, "insert_text": "x"})),
        "Invalid `insert_line` parameter: -1. It should be within the range [0, 4]."
    );
    fs::create_dir(f.mem.join("d")).unwrap();
    assert_eq!(
        f.err(json!({"command": "insert", "path": "/memories/d", "insert_line": 0, "insert_text": "x"})),
        "The path /memories/d is not a file."
    );
}

#[test]
fn delete_rows() {
    let f = Fixture::new();
    f.write("t/a.md", "a");
    f.write("t/u/b.md", "b");
    f.write("keep.md", "k");
    assert_eq!(
        f.ok(json!({"command": "delete", "path": "/memories/t"})),
        "Successfully deleted /memories/t"
    );
    assert!(!f.mem.join("t").exists());
    assert_eq!(
        f.ok(json!({"command": "delete", "path": "/memories/keep.md"})),
        "Successfully deleted /memories/keep.md"
    );
    assert_eq!(
        f.err(json!({"command": "delete", "path": "/memories/keep.md"})),
        "The path /memories/keep.md does not exist"
    );
    for root in ["/memories", "/memories/"] {
        assert_eq!(
            f.err(json!({"command": "delete", "path": root})),
            "Cannot delete the /memories directory itself"
        );
    }
}

#[test]
fn rename_rows() {
    let f = Fixture::new();
    f.write("a.md", "a");
    assert_eq!(
        f.ok(json!({"command": "rename", "old_path": "/memories/a.md", "new_path": "/memories/new/dir/b.md"})),
        "Successfully renamed /memories/a.md to /memories/new/dir/b.md"
    );
    assert_eq!(f.read("new/dir/b.md"), "a");
    assert_eq!(
        f.err(
            json!({"command": "rename", "old_path": "/memories/a.md", "new_path": "/memories/c.md"})
        ),
        "The path /memories/a.md does not exist"
    );
    assert_eq!(
        f.err(json!({"command": "rename", "old_path": "/memories", "new_path": "/memories/x"})),
        "Cannot rename the /memories directory itself"
    );
    // The destination is reported before a missing source, as the reference does.
    f.write("exists.md", "e");
    assert_eq!(
        f.err(json!({"command": "rename", "old_path": "/memories/missing.md", "new_path": "/memories/exists.md"})),
        "The destination /memories/exists.md already exists"
    );
    // Into its own subtree.
    let e = f.err(json!({"command": "rename", "old_path": "/memories/new", "new_path": "/memories/new/dir/inner"}));
    assert!(e.contains("into its own subdirectory"), "{e}");
    assert!(f.mem.join("new/dir/b.md").exists());
}

#[test]
fn unsupported_file_types_use_the_reference_text() {
    let f = Fixture::new();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        f.mem.join("fifo"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    assert_eq!(
        f.err(json!({"command": "view", "path": "/memories/fifo"})),
        "Unsupported file type for /memories/fifo"
    );
}

#[test]
fn bad_input_names_the_field() {
    let f = Fixture::new();
    assert_eq!(
        f.err(json!({"command": "create", "path": "/memories/a.md"})),
        "Missing required field `file_text` for the `create` command"
    );
    assert_eq!(
        f.err(json!({"command": "rename", "old_path": "/memories/a.md", "new_path": 3})),
        "Field `new_path` must be a string, got a number"
    );
    assert!(
        f.err(json!({"command": "remember"}))
            .starts_with("Unknown command: remember.")
    );
}

#[test]
fn limits_and_unreadable_files() {
    let f = Fixture::new();
    let big = "x".repeat(100 * 1024 + 1);
    let e = f.err(json!({"command": "create", "path": "/memories/big.md", "file_text": big}));
    assert!(e.contains("102401 bytes") && e.contains("100K"), "{e}");
    assert!(!f.mem.join("big.md").exists());
    // Files a person dropped in are listed, and view explains why it will not show them.
    fs::write(f.mem.join("huge.log"), vec![b'y'; 300 * 1024]).unwrap();
    fs::write(
        f.mem.join("pic.png"),
        [0x89, b'P', b'N', b'G', 0xff, 0xfe, 0],
    )
    .unwrap();
    let listing = f.ok(json!({"command": "view", "path": "/memories"}));
    assert!(
        listing.contains("300K\t/memories/huge.log") && listing.contains("7B\t/memories/pic.png")
    );
    let e = f.err(json!({"command": "view", "path": "/memories/huge.log"}));
    assert!(e.contains("larger than the 100K limit"), "{e}");
    let e = f.err(json!({"command": "view", "path": "/memories/pic.png"}));
    assert!(e.contains("not valid UTF-8"), "{e}");
    // An edit that would grow a file past the limit writes nothing.
    f.write("grow.md", &format!("MARK{}", "z".repeat(100 * 1024 - 6)));
    let e = f.err(json!({"command": "str_replace", "path": "/memories/grow.md", "old_str": "MARK", "new_str": "MARK-LONGER"}));
    assert!(
        e.contains("nothing was written"),
        "{}",
        &e[..e.len().min(300)]
    );
    assert_eq!(f.read("grow.md").len(), 100 * 1024 - 2);
}
