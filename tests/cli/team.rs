//! `memdeck team ...` and the lease and expiry commands: a hands-free run of the team script on
//! the demo model, the board from the command line, holding a lease, sweeping what expired.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::cli::run;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_headless_team_run_ends_with_every_task_done() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["team", "run", "team"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    for line in [
        "── team run · Acme's migration: from first call to proposal ──",
        "▶ Alice (turn 1): I just got off the phone with Acme Corp.",
        "▶ Alice (turn 3): Open these tasks on the team's task board:",
        "▶ John (turn 4): Work the team's task board",
        "⏳ Sam waits for record-the-architecture-decisions-we-just-made",
        "↻ Sam wakes: record-the-architecture-decisions-we-just-made changed on the board",
        "✓ team run finished: every task is done: propose-an-architecture-for-their-migration by John (/memories/acme_corp_architecture.md)",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in\n{stdout}");
    }
    let board = run(dir.path(), &["team", "board", "--json"]);
    let lines: Vec<serde_json::Value> = text(&board.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines
            .iter()
            .all(|t| t["status"].as_str().unwrap().starts_with("done by"))
    );
    assert_eq!(lines[2]["result"], "/memories/acme_corp_proposal.md");
    // The history has each claim and each completion.
    let log = text(&run(dir.path(), &["memory", "log", "/memories/tasks"]).stdout);
    assert!(log.contains("John") && log.contains("Sam"), "{log}");
}

#[test]
fn the_board_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let ok = |args: &[&str]| {
        let out = run(dir.path(), args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    assert_eq!(
        ok(&["team", "add", "Load test", "--for", "John"]),
        "opened load-test (/memories/tasks/load-test.md)\n"
    );
    ok(&["team", "add", "Write the runbook", "--after", "load-test"]);
    // Waiting on the load test: refused, and why.
    let out = run(
        dir.path(),
        &["team", "claim", "write-the-runbook", "--as", "Sam"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("comes after load-test (open), not done yet"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        ok(&["team", "claim", "load-test", "--as", "John"])
            .starts_with("load-test: claimed by John until ")
    );
    let out = run(dir.path(), &["team", "claim", "load-test", "--as", "Sam"]);
    assert!(
        text(&out.stderr).contains("already claimed by John"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        ok(&[
            "team",
            "done",
            "load-test",
            "--as",
            "John",
            "--result",
            "/memories/load.md"
        ]),
        "load-test: done by John\n"
    );
    assert!(ok(&["team", "claim", "write-the-runbook", "--as", "Sam"]).contains("claimed by Sam"));
    assert_eq!(
        ok(&["team", "reassign", "write-the-runbook", "Ana"]),
        "write-the-runbook: open (for Ana)\n"
    );
    let board = ok(&["team", "board"]);
    assert!(
        board.contains("load-test")
            && board.contains("done by John")
            && board.contains("· /memories/load.md"),
        "{board}"
    );
    assert!(
        board.contains("write-the-runbook") && board.contains("for Ana · after load-test"),
        "{board}"
    );
    let out = run(
        dir.path(),
        &["team", "claim", "nothing-here", "--as", "Sam"],
    );
    assert!(
        text(&out.stderr).contains("there is no /memories/tasks/nothing-here.md on the board"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn leases_and_expiry_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["memory", "leases"]);
    assert!(out.status.success());
    assert_eq!(text(&out.stderr), "nothing is leased\n");
    let out = run(
        dir.path(),
        &["memory", "lease", "/memories/a.md", "--ttl", "soon"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("\"soon\" is not a duration"),
        "{}",
        text(&out.stderr)
    );
    let create = r#"{"command":"create","path":"/memories/offer.md","file_text":"---\nexpires: 2020-01-01\n---\n10% off\n"}"#;
    assert!(
        run(dir.path(), &["memory", "exec", create])
            .status
            .success()
    );
    let dry = text(&run(dir.path(), &["memory", "expire", "--dry-run"]).stdout);
    assert_eq!(dry, "/memories/offer.md\texpired 2020-01-01 00:00:00 UTC\n");
    let gone = text(&run(dir.path(), &["memory", "expire"]).stdout);
    assert!(gone.starts_with("expired /memories/offer.md"), "{gone}");
    assert!(!dir.path().join("memories/offer.md").exists());
    assert!(
        run(dir.path(), &["memory", "restore", "/memories/offer.md"])
            .status
            .success()
    );
    assert_eq!(
        text(&run(dir.path(), &["memory", "expire"]).stderr),
        "nothing has expired\n"
    );
    assert!(
        dir.path().join("memories/offer.md").exists(),
        "restored after its expiry, it stays"
    );
}

/// A presenter's own words, task by task in the chat: two tasks asked for in one sentence
/// ("… and open a task … after it"), and a worker that finds nothing to build on leaves its task
/// claimed rather than calling it done.
#[test]
fn tasks_asked_for_in_the_chat_and_work_not_done_is_not_marked_done() {
    let dir = tempfile::tempdir().unwrap();
    let ask = |persona: &str, message: &str| {
        let out = run(dir.path(), &["ask", "--persona", persona, message]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    ask(
        "Alice",
        "Acme Corp wants their 40 stores on the new POS by June; budget is 300k dollars.",
    );
    let opened = ask(
        "Alice",
        "Please add a task for John to design the POS rollout architecture, and open a task \"Rollout proposal\" for Sam after it.",
    );
    assert!(opened.contains("The board has 2 new tasks"), "{opened}");
    let board = text(&run(dir.path(), &["team", "board"]).stdout);
    assert!(
        board.contains("for Sam · after design-the-pos-rollout-architecture"),
        "{board}"
    );
    let waits = ask("Sam", "Check the board and pick up your next task.");
    assert!(
        waits.contains("comes after \"Design the POS rollout architecture\" (open)"),
        "{waits}"
    );
    let john = ask("John", "Work the task board.");
    assert!(
        john.contains("I'll keep \"Design the POS rollout architecture\" claimed"),
        "{john}"
    );
    let board = text(&run(dir.path(), &["team", "board"]).stdout);
    assert!(board.contains("claimed by John until"), "{board}");
}
