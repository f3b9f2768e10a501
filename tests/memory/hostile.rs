//! Every row of the hostile-input table (reliability.md §1.5) against every command that takes a
//! path: each must fail with an error that names the rule, and neither the sentinel directory
//! beside the store nor the store itself may change.
//!
//! [`CASES`] below is the table of every hostile case the project tests, here and in the other
//! test files, with what each tries; a test checks that the table and the tests agree. The path
//! rows' counts print with `HOSTILE_COUNTS=1 cargo test --test hostile -- --nocapture`.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::fixture;

use std::fs;
use std::os::unix::fs::symlink;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use fixture::{Fixture, tree};
use serde_json::{Value, json};

/// One hostile case: where it is tested and what it tries. Every input tried must hold (be
/// refused with a named rule, or change nothing outside what was asked) for the test to pass.
struct Case {
    area: &'static str,
    case: &'static str,
    /// `area/file::test function`, below `tests/` (the file without `.rs`).
    test: &'static str,
    tried: &'static str,
}

const fn case(
    area: &'static str,
    case: &'static str,
    test: &'static str,
    tried: &'static str,
) -> Case {
    Case {
        area,
        case,
        test,
        tried,
    }
}

/// Every hostile case, by area.
#[rustfmt::skip]
const CASES: &[Case] = &[
    case("paths", "`..` anywhere, even when harmless", "memory/hostile::row01_02_06_dot_dot_is_refused_even_when_harmless", "8 paths × 7 commands = 56 calls"),
    case("paths", "percent-encoding is refused, never decoded", "memory/hostile::row03_percent_encoding_is_refused_not_decoded", "4 paths, 28 calls"),
    case("paths", "outside the /memories prefix, absolute and look-alike prefixes", "memory/hostile::row04_05_paths_outside_the_prefix", "11 paths, 77 calls"),
    case("paths", "control and format characters", "memory/hostile::row13_14_control_characters", "8 paths, 56 calls"),
    case("paths", "over-long paths and names, too deep", "memory/hostile::row15_lengths_and_depth", "4 paths, 28 calls"),
    case("paths", "Windows-reserved names, trailing dots and spaces, `\\` and `:`", "memory/hostile::row16_windows_style_names", "12 paths, 84 calls"),
    case("paths", "non-NFC, slash and dot look-alikes, fullwidth letters, bidi and zero-width, case twins", "memory/hostile::row17_unicode_tricks", "18 paths, 126 calls, 3 twin creates"),
    case("paths", "case twins on every backend (tool, panel save, restore)", "memory/conformance::case_twins_are_refused_on_every_backend", "19 commands × 3 backends, 2 store calls each"),
    case("paths", "hidden names are reserved", "memory/hostile::row19_hidden_names_are_reserved", "5 paths, 35 calls"),
    case("paths", "root aliases and empty segments", "memory/hostile::row23_24_root_aliases_and_empty_segments", "5 paths, 35 calls"),
    case("paths", "editor leftovers (`~`, `.swp`, `#…#`)", "memory/hostile::row27_editor_leftovers", "3 paths, 21 calls"),
    case("links", "a symlinked directory is never followed", "memory/hostile::row07_08_symlinked_directory_is_never_followed", "3 paths, 21 calls, 2 views"),
    case("links", "a symlinked file: refused, delete removes only the link", "memory/hostile::row09_symlinked_file_is_refused_and_delete_removes_only_the_link", "5 commands, 1 delete"),
    case("links", "a directory delete never follows links inside it", "memory/hostile::row10_deleting_a_directory_never_follows_links_inside_it", "1 delete"),
    case("links", "a directory swapped for a symlink during writes", "memory/hostile::row11_directory_swapped_for_a_symlink_during_writes", "writes racing a flipping link"),
    case("links", "hard links are refused", "memory/hostile::row12_hard_links_are_refused", "3 commands"),
    case("special files", "FIFOs, sockets and device links never block", "memory/hostile::row20_fifos_sockets_and_device_links_never_block", "4 files × 4 commands = 16 calls"),
    case("special files", "a FIFO in place of the config file", "cli/config::a_fifo_in_place_of_a_config_file_is_refused_without_blocking", "memdeck.toml and .env"),
    case("sizes", "oversized content and a 200 MB dropped-in file", "memory/hostile::row21_22_oversized_content_and_dropped_in_files", "2 creates, 1 view"),
    case("names on disk", "invalid UTF-8 and control characters in names are listed escaped", "memory/hostile::row28_invalid_utf8_names_are_listed_escaped", "2 names"),
    case("names on disk", "doctor names non-UTF-8 and escape-holding names, escaped", "cli/doctor::leftovers_in_the_memory_directory", "7 kinds of leftover"),
    case("names on disk", "an unreadable folder is marked; the rest is listed", "cli/commands::an_unreadable_folder_is_marked_and_the_rest_listed", "view and doctor, as an unprivileged user"),
    case("concurrency", "two renames to one destination", "memory/hostile::row26_two_renames_to_one_destination", "20 races"),
    case("concurrency", "8 tabs, 2 processes and an editor on one file", "memory/processes::tabs_processes_and_an_editor_never_lose_an_update", "8 × 25 edits + 2 processes + editor saves"),
    case("concurrency", "8 connections writing one Redis file", "memory/redis::many_connections_writing_one_file_lose_nothing", "8 × 20 inserts"),
    case("concurrency", "8 connections writing one PostgreSQL file", "memory/postgres::eight_writers_on_one_file_lose_nothing", "8 × 25 inserts"),
    case("concurrency", "another program edits the file during memdeck's writes", "memory/history::outside_edits_during_writes_are_never_lost", "150 outside appends during a write loop"),
    case("crashes", "SIGKILL mid-write leaves whole files only", "memory/processes::sigkill_mid_write_leaves_whole_files_only", "25 kills"),
    case("crashes", "intents of a killed writer are settled against the disk", "memory/history::intents_left_by_a_killed_writer_are_settled_against_the_disk", "writes that landed and writes that did not"),
    case("crashes", "a failed write leaves no history entry (file size limit)", "cli/commands::a_failed_write_leaves_no_history_entry", "create, str_replace, insert under ulimit -f"),
    case("crashes", "the Redis server killed mid-write", "memory/redis::a_server_killed_mid_write_leaves_a_consistent_store_and_clients_reconnect", "400 writes across a kill"),
    case("crashes", "the PostgreSQL server killed mid-writes", "memory/postgres::a_killed_server_loses_no_answered_write", "4 writers across a SIGKILL of every server process"),
    case("crashes", "PostgreSQL connections terminated by the server", "memory/postgres::killed_connections_are_replaced_without_a_lost_or_double_write", "5 terminations"),
    case("deletes", "a directory delete spares what no memory path can name", "memory/hostile::deleting_a_directory_spares_what_no_memory_path_can_name", "5 unnameable entries, 2 restorable files"),
    case("shared store", "snapshots: files that are not memories, a path planted in a snapshot file", "memory/snapshots::what_is_not_a_memory_is_reported_never_a_reason_to_stop", "3 dropped-in files, 1 planted path, save/restore/reset"),
    case("shared store", "planted Redis keys: migrate refuses, view skips", "memory/redis::planted_keys_are_refused_by_migrate_and_skipped_by_view", "5 planted files, 1 planted folder"),
    case("secrets", "secrets in every shape the hostile test found", "memory/hostile::secrets_are_refused_in_every_shape_the_hostile_test_found", "12 shapes"),
    case("secrets", "a secret the model tries to remember", "cli/ask::a_secret_the_model_tries_to_remember_is_refused", "one turn against the mock API"),
    case("secrets", "a key echoed back in a server header", "cli/ask::a_key_echoed_by_the_server_is_never_shown", "stderr, journal, export"),
    case("secrets", "config syntax errors never echo a secret", "cli/config::errors_say_where_and_what_is_allowed", "6 lines holding secrets"),
    case("secrets", "Bedrock trace logging never writes AWS credentials", "provider/bedrock::trace_logging_never_writes_aws_credentials", "MEMDECK_LOG=trace"),
    case("secrets", "Redis passwords never show (TLS, URLs with `@`)", "memory/redis::tls_to_redis_verifies_the_server_and_passwords_never_show", "status, errors, doctor"),
    case("secrets", "PostgreSQL passwords never show (URLs, TLS errors, doctor)", "memory/postgres::tls_is_verified_against_the_system_roots", "errors, doctor"),
    case("terminal", "printed text never drives the terminal", "cli/commands::printed_text_never_drives_the_terminal", "exec, log, export, sessions, doctor"),
    case("terminal", "ask prints control sequences visibly", "cli/ask::ask_prints_control_sequences_visibly", "title, clear, OSC 52, hyperlink"),
    case("terminal", "Markdown export never carries raw HTML from paths and names", "app/export::paths_are_never_raw_html_in_markdown", "paths, persona names, notes"),
];

/// The table names real tests, and every test in this file is in the table.
#[test]
fn the_table_of_hostile_cases_names_every_test() {
    let here = env!("CARGO_MANIFEST_DIR");
    for c in CASES {
        let (file, test) = c.test.split_once("::").unwrap();
        let source = fs::read_to_string(format!("{here}/tests/{file}.rs")).unwrap();
        assert!(
            source.contains(&format!("fn {test}(")),
            "{} ({}: {}) names a test that does not exist",
            c.test,
            c.area,
            c.case
        );
        assert!(!c.tried.is_empty());
    }
    let this = fs::read_to_string(format!("{here}/tests/memory/hostile.rs")).unwrap();
    for block in this.split("#[test]\n").skip(1) {
        let name = block
            .trim_start_matches("fn ")
            .split('(')
            .next()
            .unwrap()
            .to_owned();
        if name == "the_table_of_hostile_cases_names_every_test" {
            continue;
        }
        assert!(
            CASES
                .iter()
                .any(|c| c.test == format!("memory/hostile::{name}")),
            "memory/hostile::{name} is not in the table"
        );
    }
}

/// Every way a command can take `path`.
fn commands_with(path: &str) -> Vec<Value> {
    vec![
        json!({"command": "view", "path": path}),
        json!({"command": "create", "path": path, "file_text": "x"}),
        json!({"command": "str_replace", "path": path, "old_str": "a", "new_str": "b"}),
        json!({"command": "insert", "path": path, "insert_line": 0, "insert_text": "x"}),
        json!({"command": "delete", "path": path}),
        json!({"command": "rename", "old_path": path, "new_path": "/memories/target.md"}),
        json!({"command": "rename", "old_path": "/memories/seed.md", "new_path": path}),
    ]
}

fn seeded() -> Fixture {
    let f = Fixture::new();
    f.write("seed.md", "a\n");
    f.write("sub/keep.md", "keep\n");
    f
}

/// Run every command on every input; each must fail naming one of `rules`, changing nothing.
fn assert_refused(f: &Fixture, inputs: &[&str], rules: &[&str]) {
    let store_before = tree(&f.mem);
    let outside_before = tree(&f.sentinel);
    for input in inputs {
        for call in commands_with(input) {
            let result = f.exec(call.clone());
            assert!(result.is_error, "{call} was accepted: {}", result.content);
            assert!(
                rules.iter().any(|rule| result.content.contains(rule)),
                "{call} failed without naming a rule {rules:?}: {}",
                result.content
            );
            assert!(!result.content.contains('\0') && !result.content.contains('\u{1b}'));
        }
    }
    assert_eq!(tree(&f.mem), store_before, "the store changed");
    assert_eq!(tree(&f.sentinel), outside_before, "the sentinel changed");
    if std::env::var_os("HOSTILE_COUNTS").is_some() {
        let calls = inputs.len() * commands_with("").len();
        eprintln!("COUNT {} paths, {calls} calls refused", inputs.len());
    }
}

const ESCAPE: &str = "would escape /memories directory";
const PREFIX: &str = "Path must start with /memories";

#[test]
fn row01_02_06_dot_dot_is_refused_even_when_harmless() {
    assert_refused(
        &seeded(),
        &[
            "/memories/../../../etc/passwd",
            "/memories/a/../../x.md",
            "/memories/a/../b.md",
            "/memories/../memories2/x.md",
            "/memories/../memories_backup/secret.txt",
            "/memories/sub/..",
            "/memories/../outside/secret.txt",
            "/memories/../.memories-history/log.jsonl",
        ],
        &[ESCAPE],
    );
}

#[test]
fn row03_percent_encoding_is_refused_not_decoded() {
    assert_refused(
        &seeded(),
        &[
            "/memories/%2e%2e/%2e%2e/etc/passwd",
            "/memories/%2e%2e%2fx",
            "/memories/%252e%252e",
            "/memories/..%2f",
        ],
        &["percent"],
    );
}

#[test]
fn row04_05_paths_outside_the_prefix() {
    let f = seeded();
    assert_refused(
        &f,
        &[
            "/etc/passwd",
            "memories/x.md",
            "~/x.md",
            "//memories/x",
            "/memories_evil/x.md",
            "/memoriesX",
            "/memoriessub",
            "/memοries/x.md",
            "",
            "/",
        ],
        &[PREFIX],
    );
    assert!(f.mem.join("sub/keep.md").exists());
    assert_refused(&f, &["file:///memories/x"], &[PREFIX, "colons"]);
}

#[test]
fn row13_14_control_characters() {
    assert_refused(
        &seeded(),
        &[
            "/memories/a\u{0}b.md",
            "/memories/a\nb.md",
            "/memories/x\n4.0K\t/memories/fake.md",
            "/memories/a\rb.md",
            "/memories/a\tb.md",
            "/memories/\u{1b}[2J.md",
            "/memories/a\u{7f}.md",
            "/memories/a\u{2028}b.md",
        ],
        &["control or format character"],
    );
}

#[test]
fn row15_lengths_and_depth() {
    let f = seeded();
    let long_name = format!("/memories/{}.md", "n".repeat(253));
    assert_refused(&f, &[&long_name], &["limited to 255 bytes"]);
    let many = format!("/memories/{}x.md", "a/".repeat(300));
    let deep = "/memories/1/2/3/4/5/6/7/8/9.md";
    assert_refused(&f, &[&many, deep], &["limited to 8 levels"]);
    let huge = format!("/memories/{}", "b/".repeat(600));
    assert_refused(&f, &[&huge], &["limited to 1,024 bytes"]);
    // The longest accepted name works, and no partial directory chain is left by refusals.
    let max = format!("/memories/{}", "m".repeat(255));
    f.ok(json!({"command": "create", "path": max, "file_text": "ok"}));
    assert!(!f.mem.join("1").exists() && !f.mem.join("a").exists());
}

#[test]
fn row16_windows_style_names() {
    let f = seeded();
    assert_refused(
        &f,
        &[
            "/memories\\..\\..\\x",
            "/memories/..\\x.md",
            "C:\\x",
            "\\\\server\\share",
        ],
        &["backslashes", ESCAPE],
    );
    assert_refused(&f, &["/memories/C:x.md", "/memories/a.md:ads"], &["colons"]);
    assert_refused(
        &f,
        &[
            "/memories/CON",
            "/memories/nul.md",
            "/memories/sub/Com1.txt",
            "/memories/LPT9",
        ],
        &["reserved device name"],
    );
    assert_refused(
        &f,
        &["/memories/a.md.", "/memories/a.md "],
        &["ending in a dot or a space"],
    );
}

#[test]
fn row17_unicode_tricks() {
    let f = seeded();
    assert_refused(&f, &["/memories/e\u{301}.md"], &["NFC"]);
    assert_refused(
        &f,
        &[
            "/memories/\u{ff0e}\u{ff0e}\u{ff0f}x",
            "/memories/a\u{2215}b.md",
            "/memories/a\u{ff3c}b",
            "/memories/\u{2025}/x.md",
            "/memories/a\u{2571}b.md",
            "/memories/a\u{2026}.md",
        ],
        &["looks like a slash or a dot"],
    );
    assert_refused(
        &f,
        &[
            "/memories/\u{ff41}cme.md",
            "/memories/ACM\u{ff25}.md",
            "/memories/v\u{ff12}.md",
        ],
        &["fullwidth form of a plain character"],
    );
    assert_refused(
        &f,
        &[
            "/memories/gpj\u{202e}.md",
            "/memories/a\u{200b}b.md",
            "/memories/\u{feff}a.md",
            "/memories/a\u{e0041}.md",
            "/memories/a\u{ad}b.md",
        ],
        &["control or format character"],
    );
    // NFC names are fine; a name that differs from an existing one only in letter case is
    // refused, since macOS and Windows disks would take the two for one file.
    f.ok(json!({"command": "create", "path": "/memories/caf\u{e9}.md", "file_text": "é"}));
    f.ok(json!({"command": "create", "path": "/memories/A.md", "file_text": "upper"}));
    assert_refused(
        &f,
        &[
            "/memories/a.md",
            "/memories/CAF\u{c9}.md",
            "/memories/SUB/keep.md",
        ],
        &["only in letter case", "already exists", "does not exist"],
    );
    for twin in [
        "/memories/a.md",
        "/memories/CAF\u{c9}.md",
        "/memories/SUB/keep.md",
    ] {
        let created = f.exec(json!({"command": "create", "path": twin, "file_text": "x"}));
        assert!(
            created.content.contains("only in letter case"),
            "{twin}: {}",
            created.content
        );
    }
    assert_eq!(f.read("A.md"), "upper");
}

#[test]
fn row19_hidden_names_are_reserved() {
    let f = seeded();
    fs::create_dir(f.mem.join(".git")).unwrap();
    fs::write(f.mem.join(".git/config"), "[core]").unwrap();
    assert_refused(
        &f,
        &[
            "/memories/.git/config",
            "/memories/.tmp-123",
            "/memories/.trash/x",
            "/memories/.lock",
            "/memories/.memories-history",
        ],
        &["hidden item"],
    );
    assert!(
        !f.ok(json!({"command": "view", "path": "/memories"}))
            .contains(".git")
    );
}

#[test]
fn row23_24_root_aliases_and_empty_segments() {
    let f = seeded();
    assert_refused(
        &f,
        &["/memories//", "/memories/a.md/", "/memories//sub"],
        &["empty name"],
    );
    assert_refused(&f, &["/memories/.", "/memories/sub/."], &["'.' segment"]);
}

#[test]
fn row27_editor_leftovers() {
    let f = seeded();
    f.write("4913", "probe");
    f.write("seed.md~", "backup");
    f.write("#seed.md#", "autosave");
    symlink("nowhere", f.mem.join(".#seed.md")).unwrap();
    assert_refused(
        &f,
        &[
            "/memories/4913",
            "/memories/seed.md~",
            "/memories/#seed.md#",
        ],
        &["editor's temporary file"],
    );
    let listing = f.ok(json!({"command": "view", "path": "/memories"}));
    assert!(
        !listing.contains("4913") && !listing.contains('~') && !listing.contains('#'),
        "{listing}"
    );
}

#[test]
fn row07_08_symlinked_directory_is_never_followed() {
    let f = seeded();
    symlink(&f.sentinel, f.mem.join("link")).unwrap();
    assert_refused(
        &f,
        &[
            "/memories/link/secret.txt",
            "/memories/link/new.md",
            "/memories/link/nested/deep.txt",
        ],
        &["symbolic link"],
    );
    let listing = f.ok(json!({"command": "view", "path": "/memories"}));
    assert!(
        !listing.contains("link") && !listing.contains("secret"),
        "{listing}"
    );
    assert!(
        f.err(json!({"command": "view", "path": "/memories/link"}))
            .contains("symbolic link")
    );
}

#[test]
fn row09_symlinked_file_is_refused_and_delete_removes_only_the_link() {
    let f = seeded();
    symlink(f.sentinel.join("secret.txt"), f.mem.join("a.md")).unwrap();
    let outside = tree(&f.sentinel);
    for call in [
        json!({"command": "view", "path": "/memories/a.md"}),
        json!({"command": "str_replace", "path": "/memories/a.md", "old_str": "top", "new_str": "x"}),
        json!({"command": "insert", "path": "/memories/a.md", "insert_line": 0, "insert_text": "x"}),
        json!({"command": "create", "path": "/memories/a.md", "file_text": "x"}),
        json!({"command": "rename", "old_path": "/memories/a.md", "new_path": "/memories/b.md"}),
    ] {
        let e = f.err(call.clone());
        assert!(!e.contains("top secret"), "{call}: {e}");
    }
    f.ok(json!({"command": "delete", "path": "/memories/a.md"}));
    assert!(fs::symlink_metadata(f.mem.join("a.md")).is_err());
    assert_eq!(tree(&f.sentinel), outside);
}

#[test]
fn row10_deleting_a_directory_never_follows_links_inside_it() {
    let f = seeded();
    symlink(&f.sentinel, f.mem.join("sub/out")).unwrap();
    let outside = tree(&f.sentinel);
    f.ok(json!({"command": "delete", "path": "/memories/sub"}));
    assert!(!f.mem.join("sub").exists());
    assert_eq!(tree(&f.sentinel), outside);
}

#[test]
fn row11_directory_swapped_for_a_symlink_during_writes() {
    let f = seeded();
    let dir = f.mem.join("d");
    let parked = f.mem.join("d-real");
    fs::create_dir(&dir).unwrap();
    let outside = tree(&f.sentinel);
    let stop = Arc::new(AtomicBool::new(false));
    let flipper = {
        let (dir, parked, target, stop) = (
            dir.clone(),
            parked.clone(),
            f.sentinel.clone(),
            stop.clone(),
        );
        std::thread::spawn(move || {
            let mut flips = 0u32;
            while !stop.load(Ordering::Relaxed) && flips < 10_000 {
                // Real directory -> link to the outside -> real directory again.
                if fs::rename(&dir, &parked).is_ok() {
                    let _ = symlink(&target, &dir);
                    let _ = fs::remove_file(&dir);
                    let _ = fs::rename(&parked, &dir);
                }
                flips += 1;
            }
            flips
        })
    };
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut attempts = 0;
    while Instant::now() < deadline && attempts < 3_000 {
        let name = format!("/memories/d/x{}.md", attempts % 7);
        let _ = f.exec(json!({"command": "create", "path": name, "file_text": "race"}));
        let _ = f.exec(
            json!({"command": "str_replace", "path": name, "old_str": "race", "new_str": "raced"}),
        );
        let _ = f.exec(json!({"command": "view", "path": "/memories/d"}));
        attempts += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let flips = flipper.join().unwrap();
    assert!(flips > 100, "the race barely ran ({flips} flips)");
    assert_eq!(
        tree(&f.sentinel),
        outside,
        "a write escaped through the swapped link"
    );
}

#[test]
fn row12_hard_links_are_refused() {
    let f = seeded();
    fs::hard_link(f.sentinel.join("secret.txt"), f.mem.join("h.md")).unwrap();
    let outside = tree(&f.sentinel);
    let e = f.err(json!({"command": "view", "path": "/memories/h.md"}));
    assert!(e.contains("hard links") && !e.contains("top secret"), "{e}");
    let e = f.err(json!({"command": "str_replace", "path": "/memories/h.md", "old_str": "top", "new_str": "x"}));
    assert!(e.contains("hard links"), "{e}");
    f.err(json!({"command": "insert", "path": "/memories/h.md", "insert_line": 0, "insert_text": "x"}));
    assert_eq!(tree(&f.sentinel), outside);
}

#[test]
fn row20_fifos_sockets_and_device_links_never_block() {
    let f = seeded();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        f.mem.join("pipe"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    let _socket = std::os::unix::net::UnixListener::bind(f.mem.join("sock")).unwrap();
    symlink("/dev/zero", f.mem.join("zero")).unwrap();
    symlink("/dev/tty", f.mem.join("tty")).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let store = std::thread::scope(|s| {
        s.spawn(|| {
            let mut results = Vec::new();
            for name in ["pipe", "sock", "zero", "tty"] {
                let p = format!("/memories/{name}");
                for call in [
                    json!({"command": "view", "path": p}),
                    json!({"command": "str_replace", "path": p, "old_str": "a", "new_str": "b"}),
                    json!({"command": "insert", "path": p, "insert_line": 0, "insert_text": "x"}),
                    json!({"command": "create", "path": p, "file_text": "x"}),
                ] {
                    results.push((call.clone(), f.exec(call)));
                }
            }
            tx.send(results).unwrap();
        });
        rx.recv_timeout(Duration::from_secs(10))
            .expect("a special file blocked the store")
    });
    for (call, result) in store {
        assert!(result.is_error, "{call} was accepted");
    }
    assert!(
        f.err(json!({"command": "view", "path": "/memories/pipe"}))
            .contains("Unsupported file type")
    );
    assert!(
        f.err(json!({"command": "view", "path": "/memories/zero"}))
            .contains("symbolic link")
    );
    // The listing skips them all.
    let listing = f.ok(json!({"command": "view", "path": "/memories"}));
    assert!(!listing.contains("pipe") && !listing.contains("sock") && !listing.contains("zero"));
}

#[test]
fn row21_22_oversized_content_and_dropped_in_files() {
    let f = seeded();
    for size in [102_401, 10 << 20] {
        let e = f.err(
            json!({"command": "create", "path": "/memories/big.md", "file_text": "x".repeat(size)}),
        );
        assert!(
            e.contains(&format!("{size} bytes")) && e.contains("100K"),
            "{}",
            &e[..200.min(e.len())]
        );
        assert!(!f.mem.join("big.md").exists());
    }
    // A 200 MB file a person dropped in (sparse, so cheap) is answered from its size alone.
    let dropped = fs::File::create(f.mem.join("dump.bin")).unwrap();
    dropped.set_len(200 << 20).unwrap();
    let started = Instant::now();
    let e = f.err(json!({"command": "view", "path": "/memories/dump.bin"}));
    assert!(e.contains("200.0M") || e.contains("200M"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        f.ok(json!({"command": "view", "path": "/memories"}))
            .contains("200M\t/memories/dump.bin")
    );
}

#[test]
fn row26_two_renames_to_one_destination() {
    for _ in 0..20 {
        let f = seeded();
        f.write("one.md", "1");
        f.write("two.md", "2");
        let results: Vec<_> = std::thread::scope(|s| {
            let a = s.spawn(|| f.exec(json!({"command": "rename", "old_path": "/memories/one.md", "new_path": "/memories/dest.md"})));
            let b = s.spawn(|| f.exec(json!({"command": "rename", "old_path": "/memories/two.md", "new_path": "/memories/dest.md"})));
            vec![a.join().unwrap(), b.join().unwrap()]
        });
        assert_eq!(results.iter().filter(|r| !r.is_error).count(), 1);
        let loser = results.iter().find(|r| r.is_error).unwrap();
        assert_eq!(
            loser.content,
            "The destination /memories/dest.md already exists"
        );
        let left = [f.mem.join("one.md").exists(), f.mem.join("two.md").exists()];
        assert_eq!(left.iter().filter(|x| **x).count(), 1, "a file was lost");
        assert!(f.mem.join("dest.md").exists());
    }
}

#[test]
fn row28_invalid_utf8_names_are_listed_escaped() {
    use std::os::unix::ffi::OsStrExt;
    let f = seeded();
    fs::write(
        f.mem.join(std::ffi::OsStr::from_bytes(b"bad\xffname.md")),
        "x",
    )
    .unwrap();
    fs::write(f.mem.join("new\nline.md"), "x").unwrap();
    let listing = f.ok(json!({"command": "view", "path": "/memories"}));
    assert!(listing.contains("/memories/bad\\xFFname.md"), "{listing}");
    assert!(
        listing.contains("/memories/new\\u{000A}line.md"),
        "{listing}"
    );
    assert_eq!(
        listing.lines().filter(|l| l.contains("/memories/")).count(),
        5,
        "{listing}"
    );
}

/// A directory delete never destroys what the model cannot see and no restore could bring
/// back (hidden files, editor leftovers, names no memory path can spell): those stay, with
/// the folders holding them, and the result names them; every file it did remove restores.
#[test]
fn deleting_a_directory_spares_what_no_memory_path_can_name() {
    let f = seeded();
    f.write("team/notes.md", "notes\n");
    f.write("team/deep/plan.md", "plan\n");
    f.write("team/.notes.md.swp", "swap bytes");
    f.write("team/deep/plan.md~", "backup");
    f.write("team/odd:name.md", "colon");
    f.write("team/empty/.keep", "");
    fs::write(f.mem.join("team").join("bad\u{7}bell.md"), "bell").unwrap();
    let done = f.ok(json!({"command": "delete", "path": "/memories/team"}));
    assert!(
        done.starts_with("Successfully deleted /memories/team, except 5 items"),
        "{done}"
    );
    for shown in [
        ".notes.md.swp",
        "deep/plan.md~",
        "odd:name.md",
        "empty/.keep",
        "\\u{0007}",
    ] {
        assert!(done.contains(shown), "{shown} not named: {done}");
    }
    assert!(!done.contains('\u{7}'), "{done}");
    // The spared bytes are where they were; the visible files are gone.
    assert_eq!(f.read("team/.notes.md.swp"), "swap bytes");
    assert_eq!(f.read("team/deep/plan.md~"), "backup");
    assert_eq!(f.read("team/odd:name.md"), "colon");
    assert!(f.mem.join("team/empty/.keep").exists());
    assert!(!f.mem.join("team/notes.md").exists());
    assert!(!f.mem.join("team/deep/plan.md").exists());
    // A folder of visible files only goes entirely.
    f.ok(json!({"command": "delete", "path": "/memories/sub"}));
    assert!(!f.mem.join("sub").exists());
    // Every file the delete removed comes back with the folder.
    let folder = memdeck::memory::MemPath::parse("/memories/team").unwrap();
    let back = memdeck::memory::history::restore_path(
        &f.store,
        &folder,
        None,
        memdeck::memory::WriteCtx::new("you", "restore"),
    )
    .unwrap();
    assert_eq!(
        back,
        memdeck::memory::history::Restored::Folder { files: 2 }
    );
    assert_eq!(f.read("team/notes.md"), "notes\n");
    assert_eq!(f.read("team/deep/plan.md"), "plan\n");
}

/// Every shape of secret the hostile test got past the refusal: each write is refused with a
/// message that names the kind, never the secret, and the store is unchanged.
#[test]
fn secrets_are_refused_in_every_shape_the_hostile_test_found() {
    use memdeck::memory::MemoryStore;
    let key = format!("sk-ant-api03-{}", "Ab3xQ9".repeat(12));
    let (a, rest) = key.split_at(20);
    let (b, c) = rest.split_at(25);
    let f = seeded();
    f.ok(json!({"command": "create", "path": "/memories/keys.md", "file_text": format!("start {a}")}));
    let before = tree(&f.mem);
    let history = f.store.history(None).unwrap().len();
    let cases: Vec<Value> = vec![
        // A key built over several edits: each edit alone holds no key.
        json!({"command": "str_replace", "path": "/memories/keys.md", "old_str": a,
            "new_str": format!("{a}{b}{c}")}),
        json!({"command": "insert", "path": "/memories/keys.md", "insert_line": 0,
            "insert_text": format!("{key}")}),
        // In a file's name.
        json!({"command": "create", "path": format!("/memories/{key}.md"), "file_text": "x"}),
        json!({"command": "rename", "old_path": "/memories/seed.md",
            "new_path": format!("/memories/{key}.md")}),
        // Split by a line break or a space, or joined to a name by `_`.
        json!({"command": "create", "path": "/memories/n1.md",
            "file_text": format!("{a}{b}\n{c}")}),
        json!({"command": "create", "path": "/memories/n2.md",
            "file_text": format!("{a}{b} {c}")}),
        json!({"command": "create", "path": "/memories/n3.md",
            "file_text": format!("ANTHROPIC_KEY_{key}")}),
        json!({"command": "create", "path": "/memories/n4.md",
            "file_text": "-----BEGIN RSA\nPRIVATE KEY-----\nMIIEow"}),
        json!({"command": "create", "path": "/memories/n5.md",
            "file_text": "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}),
        json!({"command": "create", "path": "/memories/n6.md",
            "file_text": "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"}),
        json!({"command": "create", "path": "/memories/n7.md",
            "file_text": "sk_live_4eC39HqLyjWDarjtT1zdp7dc"}),
        json!({"command": "create", "path": "/memories/n8.md",
            "file_text": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"}),
    ];
    for case in &cases {
        let e = f.err(case.clone());
        assert!(e.starts_with("Nothing was written to"), "{case}: {e}");
        assert!(
            !e.contains(&key[25..]) && !e.contains("wJalrXUtn"),
            "{case}: {e}"
        );
    }
    assert_eq!(tree(&f.mem), before, "the store changed");
    assert_eq!(f.store.history(None).unwrap().len(), history);
    // The edit that completes nothing secret still goes through.
    f.ok(
        json!({"command": "insert", "path": "/memories/keys.md", "insert_line": 1,
        "insert_text": "where the key is kept: the vault"}),
    );
}
