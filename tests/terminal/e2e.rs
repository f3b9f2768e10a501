//! The real binary in a real terminal (tmux), on the demo model: Alice's message streams and her
//! memory file appears in the panel; John, in the second tab, gets an answer quoting it; a file
//! edited in the panel changes on disk; Ctrl+Q leaves the terminal as it was.
//!
//! Needs tmux (`.ci/run` installs it).
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::tmux;

use std::process::Command;

use std::time::Instant;

use tmux::{Tmux, memdeck, wait_for_file};

#[test]
fn alice_tells_john_asks_a_person_edits() {
    let tmp = tempfile::tempdir().unwrap();
    let memories = tmp.path().join("memories");
    let command = format!(
        "{}; echo memdeck exited $?; sleep 30",
        memdeck(tmp.path(), 400)
    );
    let tmux = Tmux::start(160, 48, &command);
    tmux.wait_for("the first screen", |s| {
        s.contains("Alice ›") && s.contains("demo model (offline)")
    });

    tmux.text("Our customer Acme Corp wants to migrate 40 TB to the cloud by March.");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Alice's tool card", |s| {
        s.contains("memory create /memories/acme_corp.md")
    });
    let screen = tmux.wait_for("her file in the panel", |s| {
        s.contains("acme_corp.md") && s.contains("Alice│") && s.contains("↳")
    });
    assert!(screen.contains("● Alice (Discovery)"), "{screen}");
    let acme = memories.join("acme_corp.md");
    wait_for_file(&acme, "acme_corp.md on disk", |t| {
        t.contains("- Scope: migrate 40 TB to the cloud (from Alice)")
            && t.contains("- Deadline: March (from Alice)")
    });

    tmux.keys(&["M-2"]);
    tmux.wait_for("John's tab", |s| s.contains("John · Solution Architect"));
    tmux.text("What do we know about the customer?");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("John's answer from memory", |s| {
        s.contains("From /memories/acme_corp.md") && s.contains("Scope: migrate 40 TB to the cloud")
    });
    assert!(
        screen.contains("memory view /memories/acme_corp.md"),
        "{screen}"
    );

    // Focus the panel, open the file, edit it, save.
    tmux.keys(&["Tab", "Tab"]);
    tmux.wait_for("the panel's keys", |s| s.contains("Enter open"));
    tmux.keys(&["Down", "Enter"]);
    tmux.wait_for("the open file", |s| s.contains("─ /memories/acme_corp.md"));
    tmux.keys(&["e"]);
    tmux.wait_for("the editor", |s| {
        s.contains("Editing /memories/acme_corp.md")
    });
    tmux.text("Decision maker: Dana (CTO). ");
    tmux.keys(&["C-s"]);
    tmux.wait_for("saved", |s| s.contains("saved"));
    let text = wait_for_file(&acme, "the edit on disk", |t| {
        t.contains("Decision maker: Dana")
    });
    assert!(text.contains("40 TB"), "{text}");
    let log = Command::new(env!("CARGO_BIN_EXE_memdeck"))
        .args([
            "--memory-dir",
            memories.to_str().unwrap(),
            "memory",
            "log",
            "/memories/acme_corp.md",
        ])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&log.stdout);
    assert!(log.contains(" Alice ") && log.contains(" you "), "{log}");

    tmux.keys(&["Escape"]);
    tmux.wait_for("the editor to close and John's turn to end", |s| {
        !s.contains("Editing /memories") && !s.contains("streaming")
    });
    tmux.keys(&["C-q"]);
    let screen = tmux.wait_for("the exit", |s| s.contains("memdeck exited 0"));
    assert!(
        !screen.contains("Alice ›"),
        "the alternate screen was left:\n{screen}"
    );
}

/// Changes made by other programs reach the panel: an editor that saves by renaming a new file
/// over the old one (vim, most IDEs), one that writes in place, a new file and a deleted one
/// from a shell. The open file shows the new text; the tree says "external".
#[test]
fn changes_made_outside_the_app_show_in_the_panel() {
    let tmp = tempfile::tempdir().unwrap();
    let memories = tmp.path().join("memories");
    std::fs::create_dir_all(&memories).unwrap();
    let team = memories.join("team.md");
    std::fs::write(&team, "# Team\n\nBudget: unknown\n").unwrap();
    std::fs::write(memories.join("old.md"), "stale\n").unwrap();
    let tmux = Tmux::start(160, 40, &format!("{}; sleep 30", memdeck(tmp.path(), 400)));
    tmux.wait_for("the tree", |s| {
        s.contains("old.md") && s.contains("team.md")
    });
    tmux.keys(&["Tab", "Tab"]);
    tmux.wait_for("the panel's keys", |s| s.contains("Enter open"));
    tmux.keys(&["Down", "Down", "Enter"]);
    tmux.wait_for("the open file", |s| {
        s.contains("─ /memories/team.md") && s.contains("Budget: unknown")
    });

    let mut shown_after = Vec::new();
    let mut change = |what: &str, act: &dyn Fn(), check: &dyn Fn(&str) -> bool| {
        let began = Instant::now();
        act();
        tmux.wait_for(what, check);
        shown_after.push((what.to_owned(), began.elapsed()));
    };
    change(
        "a save by rename in the open file",
        &|| {
            let swap = memories.join(".team.md.swp");
            std::fs::write(&swap, "# Team\n\nBudget: 2M\n").unwrap();
            std::fs::rename(&swap, &team).unwrap();
        },
        &|s| s.contains("Budget: 2M"),
    );
    change(
        "a save in place",
        &|| {
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .open(&team)
                .unwrap();
            std::io::Write::write_all(&mut file, b"Owner: Dana\n").unwrap();
        },
        &|s| s.contains("Budget: 2M") && s.contains("Owner: Dana"),
    );
    change(
        "a new file and a deleted one",
        &|| {
            std::fs::write(memories.join("notes.md"), "from the shell\n").unwrap();
            std::fs::remove_file(memories.join("old.md")).unwrap();
        },
        &|s| s.contains("notes.md") && !s.contains("old.md"),
    );
    let screen = tmux.screen();
    let row = screen.lines().find(|l| l.contains("notes.md")).unwrap();
    assert!(
        row.trim_end_matches('│').trim_end().ends_with("external"),
        "{screen}"
    );
    assert!(
        !screen.contains(".team.md.swp"),
        "hidden files stay hidden:\n{screen}"
    );
    // For the record (the target, half a second, is measured by bench/external-change.sh).
    for (what, after) in shown_after {
        eprintln!("{what}: on screen after {} ms", after.as_millis());
    }
}

/// The seed demo's three prompts typed into the three tabs as a presenter would: Alice's facts
/// land in a customer-named file, John's architecture is built from it and saved, Sam's
/// proposal reads both; each answer is on screen and each file on disk.
#[test]
fn the_seed_story_in_three_tabs() {
    let tmp = tempfile::tempdir().unwrap();
    let memories = tmp.path().join("memories");
    let tmux = instant_app(tmp.path());

    tmux.text("I'm Alice from TechCorp. We're working with ACME Corp on a cloud migration project. Budget is $500K, timeline is 9 months, they need to migrate 50 applications, mostly Java with Oracle databases.");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Alice's answer", |s| {
        s.contains("Saved to /memories/acme_corp.md") && !s.contains("streaming")
    });
    let facts = wait_for_file(&memories.join("acme_corp.md"), "the customer file", |t| {
        t.contains("- Budget: $500K (from Alice)")
    });
    assert!(
        !facts.contains("I'm Alice") && !facts.contains("techcorp.md"),
        "{facts}"
    );
    assert!(!memories.join("techcorp.md").exists());

    tmux.keys(&["M-2"]);
    tmux.wait_for("John's tab", |s| s.contains("John ›"));
    tmux.text("Hi, I'm John from TechCorp. Based on the customer information in memory about ACME Corp, please design a cloud migration architecture.");
    tmux.keys(&["Enter"]);
    tmux.wait_for("John's architecture", |s| {
        s.contains("so Sam can cite it") && !s.contains("streaming")
    });
    let design = wait_for_file(
        &memories.join("acme_corp_architecture.md"),
        "the architecture",
        |t| t.contains("## Phases"),
    );
    assert!(
        design.contains("all 50 of them") && design.contains("Oracle"),
        "{design}"
    );

    tmux.keys(&["M-3"]);
    tmux.wait_for("Sam's tab", |s| s.contains("Sam ›"));
    tmux.text("Create a proposal based on the customer requirements and solution architecture you have in memory.");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("Sam's proposal", |s| {
        s.contains("saved it as /memories/acme_corp_proposal.md") && !s.contains("streaming")
    });
    assert!(
        screen.contains("draws on /memories/acme_corp.md and /memories/acme_corp_architecture.md"),
        "{screen}"
    );
    let proposal = wait_for_file(
        &memories.join("acme_corp_proposal.md"),
        "the proposal",
        |t| t.contains("## Investment"),
    );
    assert!(
        proposal.contains("$500K") && proposal.contains("all 50 of them"),
        "{proposal}"
    );
    tmux.keys(&["C-q"]);
    tmux.wait_for("the exit", |s| s.contains("memdeck exited 0"));
}

/// The speaker notes stay off the audience's screen: F5 types the prompt and the note goes to
/// the presenter's notes file; `--notes -` is refused while standard error is the screen.
#[test]
fn speaker_notes_go_to_the_presenters_file() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = tmp.path().join("notes.txt");
    let command = format!(
        "{} --demo team --notes {}; echo memdeck exited $?; sleep 30",
        memdeck(tmp.path(), 0),
        notes.display()
    );
    let tmux = Tmux::start(160, 48, &command);
    tmux.wait_for("the script's strip", |s| {
        s.contains("F5 types Alice's first prompt")
    });
    tmux.keys(&["F5"]);
    let screen = tmux.wait_for("the first prompt typed", |s| {
        s.contains("I just got off the phone") && s.contains("notes hidden (F8)")
    });
    assert!(!screen.contains("Alice does discovery"), "{screen}");
    let text = wait_for_file(&notes, "the note", |t| t.contains("Alice does discovery"));
    assert!(
        text.starts_with("Acme's migration: from first call to proposal · Alice 1/2: "),
        "{text}"
    );
    tmux.keys(&["C-q"]);
    tmux.wait_for("the exit", |s| s.contains("memdeck exited 0"));

    let refused = Tmux::start(
        120,
        20,
        &format!(
            "{} --demo team --notes -; echo memdeck exited $?; sleep 30",
            memdeck(tmp.path(), 0)
        ),
    );
    let screen = refused.wait_for("the refusal", |s| s.contains("memdeck exited"));
    assert!(
        screen.contains("standard error is this terminal") && screen.contains("memdeck exited 1"),
        "{screen}"
    );
}

/// Each answer that changed memory ends with a receipt; `u` in the chat undoes the newest turn
/// not yet undone (its edit put back), `u` again the one before (the file it created goes), and
/// Enter on a receipt shows its diff.
#[test]
fn a_turn_s_receipt_shows_its_changes_and_u_undoes_them() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("memories/globex.md");
    let tmux = instant_app(tmp.path());
    tmux.text("Our customer Globex runs 12 stores.");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the first receipt", |s| {
        s.contains("✎ memory this turn: created /memories/globex.md")
            && s.contains("u undoes the whole turn")
    });
    let first = std::fs::read_to_string(&file).unwrap();
    tmux.text("Globex wants the migration done by June.");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the second receipt", |s| {
        s.contains("✎ memory this turn: edited /memories/globex.md")
    });
    let second = std::fs::read_to_string(&file).unwrap();
    assert_ne!(first, second);

    // The chat has the keys now; Up selects the newest receipt, Enter shows its diff.
    tmux.keys(&["Tab", "Up", "Enter"]);
    tmux.wait_for("the diff", |s| {
        s.contains("Enter hides the diffs") && s.contains("+ - Deadline: June")
    });
    tmux.keys(&["u"]);
    tmux.wait_for("the edit undone", |s| s.contains("↶ undid 1 change"));
    wait_for_file(&file, "the first version back", |t| t == first);
    // The selected receipt is undone: u takes the newest turn not yet undone.
    tmux.keys(&["u"]);
    tmux.wait_for("the create undone", |s| {
        s.matches("↶ undid 1 change").count() == 2
    });
    let gone = Instant::now();
    while file.exists() && gone.elapsed().as_secs() < 10 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(!file.exists(), "globex.md is still there");
    tmux.keys(&["u"]);
    tmux.wait_for("nothing left to undo", |s| {
        s.contains("no memory changes left to undo in this tab")
    });
}

/// John changes the file Alice's conversation read; Alice's next message goes with a note
/// saying so (shown in her tab), and the demo model says it goes by the file as it is now.
#[test]
fn another_tab_s_change_is_told_with_the_next_message() {
    let tmp = tempfile::tempdir().unwrap();
    let tmux = instant_app(tmp.path());
    tmux.text("Our customer Initech runs 7 plants.");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Alice's file", |s| {
        s.contains("✎ memory this turn: created /memories/initech.md")
    });
    tmux.keys(&["M-2"]);
    tmux.wait_for("John's tab", |s| s.contains("John ›"));
    tmux.text("Initech also needs single sign-on.");
    tmux.keys(&["Enter"]);
    tmux.wait_for("John's edit", |s| {
        s.contains("✎ memory this turn: edited /memories/initech.md")
    });
    tmux.keys(&["M-1"]);
    tmux.wait_for("Alice's tab", |s| s.contains("Alice ›"));
    tmux.text("What do we know about Initech?");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the note and the answer", |s| {
        s.contains("↺ told Claude: since your last answer")
            && s.contains("Noted: /memories/initech.md changed since this conversation read it")
    });
    assert!(
        screen.contains("John edited /memories/initech.md"),
        "{screen}"
    );
}

/// Alt+M turns extraction on for the tab: after the answer, the memories worth keeping are
/// proposed as cards; `a` keeps one (written as "Alice (extracted)"), `x` dismisses the other.
#[test]
fn extraction_cards_are_kept_or_dismissed() {
    let tmp = tempfile::tempdir().unwrap();
    let tmux = instant_app(tmp.path());
    tmux.keys(&["M-m"]);
    tmux.wait_for("extraction on", |s| s.contains("extraction on for Alice"));
    tmux.text("I'm Alice from TechCorp and I lead discovery. I prefer short bullet lists.");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the proposals", |s| {
        s.contains("⌕ 2 memories worth keeping: in the chat (Tab), a keeps one")
            && s.contains("☐ new /memories/people/alice.md (user)")
            && s.contains("☐ new /memories/people/alice_preferences.md (feedback)")
    });
    // The newest open card first: the preferences are kept, then who she is is dismissed.
    tmux.keys(&["Tab", "a"]);
    tmux.wait_for("kept", |s| {
        s.contains("kept: created /memories/people/alice_preferences.md")
    });
    tmux.keys(&["x"]);
    tmux.wait_for("dismissed", |s| s.contains("└ dismissed"));
    let people = tmp.path().join("memories/people");
    wait_for_file(
        &people.join("alice_preferences.md"),
        "the kept memory",
        |t| t.contains("type: feedback") && t.contains("I prefer short bullet lists."),
    );
    assert!(!people.join("alice.md").exists());
    let log = Command::new(env!("CARGO_BIN_EXE_memdeck"))
        .args(["--memory-dir"])
        .arg(tmp.path().join("memories"))
        .args(["memory", "log", "/memories/people"])
        .env("XDG_CONFIG_HOME", tmp.path())
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&log.stdout);
    assert!(log.contains("Alice (extracted)"), "{log}");
}

/// Alt+C proposes a consolidation as a diff: the same memory in two files merged, a repeated
/// line and a contradicted fact dropped; Enter applies it, u undoes it all.
#[test]
fn consolidation_is_proposed_applied_and_undone_in_the_app() {
    let tmp = tempfile::tempdir().unwrap();
    let memories = tmp.path().join("memories");
    let exec = |actor: &str, input: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_memdeck"))
            .arg("--memory-dir")
            .arg(&memories)
            .args(["memory", "exec", "--actor", actor, input])
            .env("XDG_CONFIG_HOME", tmp.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    };
    let acme = "# Acme\n\n- Budget: $500K (from Alice)\n- Runs 40 stores (from Alice)\n- Runs 40 stores (from Alice)\n- Budget: $2M (from John)\n";
    exec(
        "Alice",
        &serde_json::json!({"command": "create", "path": "/memories/acme.md", "file_text": acme})
            .to_string(),
    );
    exec(
        "John",
        r##"{"command":"create","path":"/memories/customers/Acme.md","file_text":"# ACME\n\n- Contact: Dana (CTO)\n"}"##,
    );
    let tmux = instant_app(tmp.path());
    tmux.keys(&["M-c"]);
    tmux.wait_for("the proposal", |s| {
        s.contains("Proposed: 1 file tidied, 1 merged away.")
            && s.contains("- - Budget: $500K (from Alice)")
            && s.contains("+ - Contact: Dana (CTO)")
            && s.contains("Enter apply")
    });
    tmux.keys(&["Enter"]);
    tmux.wait_for("applied", |s| {
        s.contains("Applied as one operation, as \"consolidation\": 2 file(s) written.")
            && s.contains("u undo it all")
    });
    wait_for_file(&memories.join("acme.md"), "the merged file", |t| {
        t == "# Acme\n\n- Runs 40 stores (from Alice)\n- Budget: $2M (from John)\n- Contact: Dana (CTO)\n"
    });
    assert!(!memories.join("customers/Acme.md").exists());
    tmux.keys(&["u"]);
    tmux.wait_for("undone", |s| {
        s.contains("↶ undid the consolidation: 2 files as they were")
    });
    wait_for_file(&memories.join("acme.md"), "the file as it was", |t| {
        t == acme
    });
    wait_for_file(
        &memories.join("customers/Acme.md"),
        "the other file back",
        |t| t.contains("Contact: Dana"),
    );
}

/// Alt+R: the personas work the team script themselves on the demo model. Alice records the
/// facts and opens three tasks; John claims and does his two; Sam waits (said in his tab) and
/// takes the proposal once the decisions are done; the board ends all done, each task's file
/// saying who did it and where the result is.
#[test]
fn a_team_run_works_the_board_until_every_task_is_done() {
    let dir = tempfile::tempdir().unwrap();
    let tmux = instant_app(dir.path());
    tmux.keys(&["M-r"]);
    tmux.wait_for("the board in the panel", |s| s.contains("Task board ·"));
    let screen = tmux.wait_for("every task done", |s| {
        s.contains("Task board · 3/3 done") && s.contains("team run finished")
    });
    assert!(
        screen.contains("✓ done by Sam · Draft a one-page proposal"),
        "{screen}"
    );
    let tasks = dir.path().join("memories/tasks");
    let proposal =
        std::fs::read_to_string(tasks.join("draft-a-one-page-proposal-for-acme-from.md")).unwrap();
    assert!(
        proposal.contains("status: done by Sam\nresult: /memories/acme_corp_proposal.md\n"),
        "{proposal}"
    );
    let arch =
        std::fs::read_to_string(tasks.join("propose-an-architecture-for-their-migration.md"))
            .unwrap();
    assert!(
        arch.contains("status: done by John\nresult: /memories/acme_corp_architecture.md\n"),
        "{arch}"
    );
    assert!(dir.path().join("memories/acme_corp_proposal.md").exists());
    // Sam's tab says he waited, and was woken by the board.
    tmux.keys(&["M-3"]);
    tmux.wait_for("Sam's tab", |s| {
        s.contains("Marked \"Draft a one-page proposal")
    });
    // The chat has the keyboard; Home goes to the top of his tab.
    tmux.keys(&["Tab"]);
    tmux.keys(&["Home"]);
    let top = tmux.wait_for("Sam's wait", |s| s.contains("⏳ waiting for"));
    assert!(top.contains("record-the-architecture-decisions"), "{top}");
}

/// Scrolling up while John's architecture streams: the view stays on the lines read, a marker
/// counts the new lines arriving below, and End follows the stream again.
#[test]
fn scrolled_up_during_a_stream_the_new_lines_are_counted_and_end_follows() {
    let dir = tempfile::tempdir().unwrap();
    // Alice's facts, through the CLI (one turn, nothing left running).
    let out = crate::support::cli::run(
        dir.path(),
        &[
            "ask",
            "--persona",
            "Alice",
            "Our customer ACME Corp runs 40 stores, budget $500K, deadline March 2027.",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The same store, now at a pace a person reads: John's answer streams for seconds.
    let command = format!(
        "{}; echo memdeck exited $?; sleep 30",
        memdeck(dir.path(), 25)
    );
    // A short pane, so that the answer overflows it early.
    let tmux = Tmux::start(120, 18, &command);
    tmux.wait_for("the first screen", |s| s.contains("Alice ›"));
    tmux.keys(&["M-2"]);
    tmux.text("Design the architecture for ACME from what we know.");
    tmux.keys(&["Enter"]);
    // The pane full, more still to come.
    tmux.wait_for("the stream to fill the pane", |s| {
        s.contains("streaming") && s.contains("Phases")
    });
    tmux.keys(&["PageUp"]);
    let marked = tmux.wait_for("the new-lines marker", |s| {
        s.contains("new lines · End follows") || s.contains("new line · End follows")
    });
    assert!(marked.contains("scrolled (End follows)"), "{marked}");
    tmux.keys(&["End"]);
    tmux.wait_for("the view following again", |s| {
        !s.contains("· End follows") && !s.contains("scrolled (End follows)")
    });
    // It keeps following to the end of the turn.
    tmux.wait_for("the end of the answer, followed", |s| {
        s.contains("u undoes the whole turn") && !s.contains("scrolled")
    });
    tmux.quit_app();
}

/// The app on the demo model at full speed in a 160×48 pane, its first screen up.
fn instant_app(dir: &std::path::Path) -> Tmux {
    tmux::app_in(dir, 0, (160, 48), "")
}
