//! The `memdeck` binary as scripts use it.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn memdeck(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_memdeck"))
        .current_dir(dir)
        .args(args)
        .env_remove("MEMDECK_MEMORY_DIR")
        .env_remove("MEMDECK_CONFIG")
        .env("XDG_CONFIG_HOME", dir)
        .output()
        .unwrap()
}

fn tmp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("memdeck-cli-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn exec_prints_what_the_model_receives_with_exit_codes() {
    let t = tmp();
    let out = memdeck(
        t.path(),
        &[
            "memory",
            "exec",
            r#"{"command":"create","path":"/memories/a.md","file_text":"hi\n"}"#,
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "File created successfully at: /memories/a.md\n"
    );
    assert!(
        t.path().join("memories/a.md").exists(),
        "the default directory is ./memories"
    );
    let out = memdeck(
        t.path(),
        &[
            "memory",
            "exec",
            r#"{"command":"create","path":"/memories/a.md","file_text":"x"}"#,
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "File /memories/a.md already exists\n");
    let out = memdeck(
        t.path(),
        &[
            "memory",
            "exec",
            "--json",
            r#"{"command":"view","path":"/memories/a.md"}"#,
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "{\"content\":\"Here's the content of /memories/a.md with line numbers:\\n     1\\thi\\n     2\\t\",\"is_error\":false}\n"
    );
    let out = memdeck(
        t.path(),
        &[
            "memory",
            "exec",
            "--json",
            r#"{"command":"view","path":"/nope"}"#,
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "{\"content\":\"Path must start with /memories, got: /nope\",\"is_error\":true}\n"
    );
}

#[test]
fn usage_errors_are_one_clear_line_and_exit_2() {
    let t = tmp();
    let out = memdeck(t.path(), &["memory", "exec", "{not json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("memdeck: error: the tool input is not valid JSON"),
        "{err}"
    );
    assert!(err.lines().nth(1).unwrap().starts_with("hint: "), "{err}");
    assert_eq!(err.lines().count(), 2, "{err}");
    let out = memdeck(t.path(), &["memory", "exec", "--actor", "", "{}"]);
    assert_eq!(out.status.code(), Some(2));
    let out = memdeck(t.path(), &["memory", "frob"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!text(&out.stderr).contains("panicked"));
}

#[test]
fn global_flags_go_before_or_after_the_subcommand() {
    let t = tmp();
    let create = r#"{"command":"create","path":"/memories/x.md","file_text":"x"}"#;
    assert!(
        memdeck(t.path(), &["--memory-dir", "one", "memory", "exec", create])
            .status
            .success()
    );
    assert!(
        memdeck(t.path(), &["memory", "exec", create, "--memory-dir", "two"])
            .status
            .success()
    );
    assert!(
        memdeck(t.path(), &["memory", "exec", "--dir", "three", create])
            .status
            .success()
    );
    for d in ["one", "two", "three"] {
        assert!(t.path().join(d).join("x.md").exists(), "{d}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_memdeck"))
        .current_dir(t.path())
        .args(["memory", "exec", create])
        .env("MEMDECK_MEMORY_DIR", "from-env")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(t.path().join("from-env/x.md").exists());
}

#[test]
fn tool_input_from_stdin() {
    let t = tmp();
    let mut child = Command::new(env!("CARGO_BIN_EXE_memdeck"))
        .current_dir(t.path())
        .args(["memory", "exec", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"command":"create","path":"/memories/s.md","file_text":"stdin"}"#)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        std::fs::read_to_string(t.path().join("memories/s.md")).unwrap(),
        "stdin"
    );
}

#[test]
fn log_and_restore() {
    let t = tmp();
    memdeck(
        t.path(),
        &[
            "memory",
            "exec",
            "--actor",
            "Alice",
            r#"{"command":"create","path":"/memories/a.md","file_text":"one\n"}"#,
        ],
    );
    memdeck(
        t.path(),
        &[
            "memory",
            "exec",
            "--actor",
            "John",
            r#"{"command":"delete","path":"/memories/a.md"}"#,
        ],
    );
    let out = memdeck(t.path(), &["memory", "log", "/memories/a.md"]);
    assert!(out.status.success());
    let log = text(&out.stdout);
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert!(
        lines[0].contains("Alice")
            && lines[0].contains("create")
            && lines[0].contains("/memories/a.md")
    );
    assert!(lines[1].contains("John") && lines[1].contains("delete"));
    let out = memdeck(t.path(), &["memory", "log", "--json"]);
    let entry: serde_json::Value =
        serde_json::from_str(text(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(entry["actor"], "Alice");
    let out = memdeck(t.path(), &["memory", "restore", "/memories/a.md"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("Restored /memories/a.md to version "));
    assert_eq!(
        std::fs::read_to_string(t.path().join("memories/a.md")).unwrap(),
        "one\n"
    );
    let out = memdeck(t.path(), &["memory", "restore", "/memories/zzz.md"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("memdeck: error: /memories/zzz.md has no recorded versions"),
        "{err}"
    );
    let out = memdeck(t.path(), &["memory", "restore", "/etc/passwd"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn an_unusable_memory_dir_is_a_clear_error() {
    let t = tmp();
    std::fs::write(t.path().join("file"), "not a dir").unwrap();
    let out = memdeck(
        t.path(),
        &[
            "--memory-dir",
            "file/sub",
            "memory",
            "exec",
            r#"{"command":"view","path":"/memories"}"#,
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("memdeck: error: cannot create the memory directory file/sub"),
        "{err}"
    );
    assert!(err.contains("hint: "), "{err}");
}

#[test]
fn no_subcommand_without_a_terminal_says_what_to_use() {
    // The tests' stdin and stdout are not terminals: the TUI refuses with a clear message and
    // does not touch the terminal.
    let t = tmp();
    let out = memdeck(t.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("the full-screen app needs a terminal"),
        "{err}"
    );
    assert!(err.contains("memdeck ask"), "{err}");
    assert!(out.stdout.is_empty());
}

/// `memory restore` of a folder that was deleted whole brings back every file it held (it
/// said "has no recorded versions").
#[test]
fn a_deleted_folder_is_restored_whole() {
    let t = tmp();
    let exec = |input: &str| {
        let out = memdeck(t.path(), &["memory", "exec", input]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    };
    exec(r#"{"command":"create","path":"/memories/team/a.md","file_text":"a\n"}"#);
    exec(r#"{"command":"create","path":"/memories/team/sub/b.md","file_text":"b\n"}"#);
    exec(r#"{"command":"delete","path":"/memories/team"}"#);
    let out = memdeck(t.path(), &["memory", "restore", "/memories/team"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "Restored the folder /memories/team: 2 file(s)\n"
    );
    let read = |p: &str| std::fs::read_to_string(t.path().join("memories").join(p)).unwrap();
    assert_eq!(
        (read("team/a.md"), read("team/sub/b.md")),
        ("a\n".into(), "b\n".into())
    );
    // The log shows the delete and the restore each as one entry, its files below it.
    let out = memdeck(t.path(), &["memory", "log"]);
    let log = text(&out.stdout);
    let heads: Vec<&str> = log.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(heads.len(), 4, "{log}");
    assert!(
        heads[2].contains("delete      /memories/team  (folder, 2 files)"),
        "{log}"
    );
    assert!(
        heads[3].contains("restore     /memories/team  (folder, 2 files)"),
        "{log}"
    );
    let files: Vec<&str> = log.lines().filter(|l| l.contains('└')).collect();
    assert_eq!(files.len(), 4, "{log}");
    assert!(
        files[0].trim_start().starts_with("└ /memories/team/"),
        "{log}"
    );
}

/// A write that fails (here: the file-size limit, which refuses even root, as a full disk
/// would) is not recorded as a change, and `memory restore` never brings back its text.
#[test]
fn a_failed_write_leaves_no_history_entry() {
    let t = tmp();
    let exec = |input: &str| memdeck(t.path(), &["memory", "exec", input]);
    let out = exec(r#"{"command":"create","path":"/memories/a.md","file_text":"one\n"}"#);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let big = "x".repeat(40_000);
    // Each command runs with writes past 24 KiB refused (EFBIG, the signal ignored).
    let limited = |input: String| {
        Command::new("bash")
            .arg("-c")
            .arg(r#"trap '' XFSZ; ulimit -f 24; exec "$0" memory exec "$1""#)
            .arg(env!("CARGO_BIN_EXE_memdeck"))
            .arg(input)
            .current_dir(t.path())
            .env_remove("MEMDECK_MEMORY_DIR")
            .env_remove("MEMDECK_CONFIG")
            .env("XDG_CONFIG_HOME", t.path())
            .output()
            .unwrap()
    };
    let attempts = [
        serde_json::json!({"command": "create", "path": "/memories/big.md", "file_text": big}),
        serde_json::json!({"command": "insert", "path": "/memories/a.md", "insert_line": 1,
            "insert_text": big}),
        serde_json::json!({"command": "str_replace", "path": "/memories/a.md", "old_str": "one",
            "new_str": big}),
    ];
    for attempt in attempts {
        let out = limited(attempt.to_string());
        assert_eq!(
            out.status.code(),
            Some(1),
            "{attempt}: {}",
            text(&out.stdout)
        );
        assert!(
            text(&out.stdout).contains("cannot write"),
            "{}",
            text(&out.stdout)
        );
    }
    assert!(!t.path().join("memories/big.md").exists());
    let log = memdeck(t.path(), &["memory", "log"]);
    let log = text(&log.stdout);
    assert_eq!(log.lines().count(), 1, "only the create happened:\n{log}");
    // Nothing to restore: the only version is the current one.
    let out = memdeck(t.path(), &["memory", "restore", "/memories/a.md"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert_eq!(
        std::fs::read_to_string(t.path().join("memories/a.md")).unwrap(),
        "one\n"
    );
}

/// What memdeck prints outside the app comes from files, models and the network: a control
/// sequence in it is shown (as the app shows it), never sent to the terminal; `--raw` prints
/// the bytes for scripts that want them, and JSON stays JSON.
#[test]
fn printed_text_never_drives_the_terminal() {
    let t = tmp();
    let hostile = "title\u{1b}]0;pwned\u{7} clear\u{1b}[2J clip\u{1b}]52;c;aGk=\u{7} csi\u{9b}31m rtl\u{202e}x";
    std::fs::create_dir_all(t.path().join("memories")).unwrap();
    std::fs::write(t.path().join("memories/notes.md"), format!("{hostile}\n")).unwrap();
    let view = r#"{"command":"view","path":"/memories/notes.md"}"#;
    let out = memdeck(t.path(), &["memory", "exec", view]);
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for raw in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'] {
        assert!(!shown.contains(raw), "{raw:?} printed raw: {shown}");
    }
    assert!(shown.contains("title␛]0;pwned␇"), "{shown}");
    assert!(shown.contains("rtl⟨U+202E⟩x"), "{shown}");

    let out = memdeck(t.path(), &["--raw", "memory", "exec", view]);
    assert!(text(&out.stdout).contains(hostile));

    let out = memdeck(t.path(), &["memory", "exec", "--json", view]);
    let line = text(&out.stdout);
    assert!(
        !line.contains('\u{9b}') && !line.contains('\u{202e}'),
        "{line}"
    );
    let value: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert!(value["content"].as_str().unwrap().contains(hostile));

    // A file name with an escape in it, as doctor reports the memory directory.
    std::fs::write(t.path().join("memories").join("odd\u{1b}[31m.md"), "x").unwrap();
    let out = memdeck(t.path(), &["doctor"]);
    let report = text(&out.stdout) + &text(&out.stderr);
    assert!(!report.contains('\u{1b}'), "{report}");
}

/// A folder memdeck may not read (another user's, mode 000) is listed and marked; the rest of
/// the store is still shown. Permissions do not bind root, so as root the check runs as `nobody`.
#[test]
fn an_unreadable_folder_is_marked_and_the_rest_listed() {
    use std::os::unix::fs::PermissionsExt;
    let t = tmp();
    let mem = t.path().join("memories");
    for (path, text) in [
        ("team/a.md", "a\n"),
        ("private/secret.md", "s\n"),
        ("z.md", "z\n"),
    ] {
        std::fs::create_dir_all(mem.join(path).parent().unwrap()).unwrap();
        std::fs::write(mem.join(path), text).unwrap();
    }
    let id = Command::new("id").arg("-u").output().unwrap();
    let as_root = text(&id.stdout).trim() == "0";
    let view = r#"{"command":"view","path":"/memories"}"#;
    let command = || {
        if as_root {
            for entry in walk(t.path()) {
                std::os::unix::fs::lchown(&entry, Some(65534), Some(65534)).unwrap();
            }
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(env!("CARGO_BIN_EXE_memdeck"));
            c
        } else {
            Command::new(env!("CARGO_BIN_EXE_memdeck"))
        }
    };
    let run = |args: &[&str]| {
        command()
            .current_dir(t.path())
            .args(args)
            .env_remove("MEMDECK_MEMORY_DIR")
            .env_remove("MEMDECK_CONFIG")
            .env("MEMDECK_PROVIDER", "demo")
            .env("XDG_CONFIG_HOME", t.path())
            .env("XDG_STATE_HOME", t.path())
            .env("HOME", t.path())
            .output()
            .unwrap()
    };
    std::fs::set_permissions(mem.join("private"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let out = run(&["memory", "exec", view]);
    let doctor = run(&["doctor"]);
    std::fs::set_permissions(mem.join("private"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let report = text(&doctor.stdout);
    assert!(
        report.contains("/memories/private cannot be read (Permission denied)"),
        "{report}"
    );
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{shown}{}", text(&out.stderr));
    for listed in [
        "/memories/team/a.md",
        "/memories/z.md",
        "/memories/private/",
    ] {
        assert!(shown.contains(listed), "{listed} missing: {shown}");
    }
    assert!(!shown.contains("secret"), "{shown}");
    assert!(
        shown.ends_with(
            "(could not be read, contents not shown: /memories/private (Permission denied))\n"
        ),
        "{shown}"
    );
}

/// Every path below `dir`, itself included.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![dir.to_owned()];
    if dir.is_dir() && !dir.is_symlink() {
        for entry in std::fs::read_dir(dir).unwrap() {
            out.extend(walk(&entry.unwrap().path()));
        }
    }
    out
}

/// `memory consolidate` prints the proposal as a diff and writes nothing; `--apply` writes it as
/// "consolidation"; `--undo` takes the whole run back; a clean store has nothing to propose.
#[test]
fn consolidate_proposes_applies_and_undoes() {
    let t = tempfile::tempdir().unwrap();
    let exec = |actor: &str, input: serde_json::Value| {
        let out = memdeck(
            t.path(),
            &["memory", "exec", "--actor", actor, &input.to_string()],
        );
        assert!(out.status.success());
    };
    let notes = "- Standup at 9\n- Budget: $1M\n- Standup at 9\n- Budget: $1.2M\n";
    exec(
        "Alice",
        serde_json::json!({"command": "create", "path": "/memories/team-notes.md", "file_text": notes}),
    );
    exec(
        "Sam",
        serde_json::json!({"command": "create", "path": "/memories/old/Team Notes.md", "file_text": "- Retro on Friday\n"}),
    );
    let out = memdeck(t.path(), &["memory", "consolidate"]);
    let shown = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains("/memories/team-notes.md (edited)"),
        "{shown}"
    );
    assert!(
        shown.contains("contradicted fact dropped: - Budget: $1M"),
        "{shown}"
    );
    assert!(
        shown.contains("/memories/old/Team Notes.md (removed)"),
        "{shown}"
    );
    assert!(shown.contains("+ - Retro on Friday"), "{shown}");
    assert!(shown.ends_with("proposed: 1 file tidied, 1 merged away (--apply writes it)\n"));
    let file = t.path().join("memories/team-notes.md");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), notes);

    let out = memdeck(t.path(), &["memory", "consolidate", "--apply"]);
    assert!(out.status.success());
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "- Standup at 9\n- Budget: $1.2M\n- Retro on Friday\n"
    );
    let log = String::from_utf8(memdeck(t.path(), &["memory", "log"]).stdout).unwrap();
    // One operation: the whole store's entry, the two files under it.
    assert_eq!(log.matches("consolidation").count(), 1, "{log}");
    assert!(
        log.contains("consolidation consolidate /memories  (several files, 2 files)"),
        "{log}"
    );
    let again = String::from_utf8(memdeck(t.path(), &["memory", "consolidate"]).stdout).unwrap();
    assert!(again.starts_with("nothing to consolidate"), "{again}");

    let out = memdeck(t.path(), &["memory", "consolidate", "--undo"]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "undid the consolidation: 2 files as they were\n"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), notes);
    assert!(t.path().join("memories/old/Team Notes.md").exists());
}
