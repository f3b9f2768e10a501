//! Saved sessions: the app records tabs, turns and layout as they happen and brings them back;
//! a killed app loses at most the turn in flight; a cut-off turn comes back cut off;
//! `memdeck ask --session` continues a tab; `memdeck sessions list|show|rm`.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::cli;
use crate::support::tmux;
use crate::support::ui;

use std::path::Path;
use std::process::Command as Process;

use cli::run;
use crossterm::event::KeyCode;
use memdeck::app::{Action, Effect, TabId};
use memdeck::chat::session::{self, Record, Saved};
use memdeck::chat::transcript::Item;
use memdeck::chat::{Conversation, TurnError};
use memdeck::provider::ProviderError;
use serde_json::json;
use tmux::{Tmux, memdeck};
use ui::*;

fn records(effects: &[Effect]) -> Vec<Record> {
    effects
        .iter()
        .filter_map(|c| match c {
            Effect::Record(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

fn ended(
    tab: TabId,
    req: memdeck::app::RequestId,
    messages: &[&str],
    result: Result<(), TurnError>,
) -> Action {
    Action::TurnEnded {
        tab,
        req,
        conversation: Conversation {
            messages: messages
                .iter()
                .enumerate()
                .map(|(i, t)| json!({"role": if i % 2 == 0 {"user"} else {"assistant"}, "content": t}))
                .collect(),
            ..Default::default()
        },
        result,
    }
}

/// What the app records, replayed, gives back the same tabs, conversations, chat and layout.
#[test]
fn the_app_records_what_it_restores() {
    let mut app = app(160, 48);
    app.record_session();
    let mut journal = records(&app.update(Action::Tick));
    assert_eq!(journal.len(), 4, "three tabs and the layout: {journal:?}");
    assert!(
        records(&app.update(Action::Tick)).is_empty(),
        "nothing changed"
    );

    let (tab, req) = send(&mut app, "Acme wants 40 TB");
    journal.extend(records(&app.update(ended(
        tab,
        req,
        &["Acme wants 40 TB", "Noted."],
        Ok(()),
    ))));
    assert!(
        matches!(journal.last(), Some(Record::Turn { from: 0, messages, .. }) if messages.len() == 2)
    );
    // A second turn, cut off: recorded with what arrived, as cut off.
    let (tab, req) = send(&mut app, "and the budget?");
    let cancelled = Err(TurnError::Provider(ProviderError::Cancelled));
    journal.extend(records(&app.update(ended(
        tab,
        req,
        &["Acme wants 40 TB", "Noted.", "and the budget?", "It is"],
        cancelled,
    ))));
    assert!(matches!(journal.last(), Some(Record::Turn { from: 2, .. })));
    // Rename John, close Sam, show John, hide the panel.
    app.update(alt(KeyCode::Char('2')));
    app.update(key(KeyCode::F(2)));
    for _ in 0.."John".len() {
        app.update(key(KeyCode::Backspace));
    }
    type_text(&mut app, "Johnny");
    journal.extend(records(&app.update(key(KeyCode::Enter))));
    journal.extend(records(&app.update(key(KeyCode::Enter))));
    app.update(alt(KeyCode::Char('3')));
    journal.extend(records(&app.update(ctrl('w'))));
    journal.extend(records(&app.update(alt(KeyCode::Char('2')))));
    journal.extend(records(&app.update(ctrl('b'))));
    let kinds: Vec<&str> = journal
        .iter()
        .map(|r| match r {
            Record::Tab { .. } => "tab",
            Record::Close { .. } => "close",
            Record::Turn { .. } => "turn",
            Record::Layout { .. } => "layout",
        })
        .collect();
    assert!(
        kinds.contains(&"close") && kinds.iter().filter(|k| **k == "turn").count() == 2,
        "{kinds:?}"
    );

    // Through the journal's text and back.
    let text: String = journal
        .iter()
        .map(|r| serde_json::to_string(r).unwrap() + "\n")
        .collect();
    let saved = session::replay(&text);
    assert_eq!(saved.unreadable, 0);
    let mut again = ui::app(160, 48);
    again.restore(saved);
    let names: Vec<&str> = again.tabs.iter().map(|t| t.persona.name.as_str()).collect();
    assert_eq!(names, ["Alice", "Johnny"]);
    assert_eq!(again.active_tab().unwrap().persona.name, "Johnny");
    assert!(!again.panel_shown);
    let alice = &again.tabs[0];
    assert_eq!(alice.conversation.messages.len(), 4);
    assert!(matches!(
        alice.transcript.items.last(),
        Some(Item::Error {
            cancelled: true,
            ..
        })
    ));
    again.update(alt(KeyCode::Char('1')));
    let shown = screen(&again);
    assert!(
        shown.contains("Acme wants 40 TB") && shown.contains("cancelled"),
        "{shown}"
    );
    // Restored state is not recorded again; a new tab gets a new id.
    again.record_session();
    let after = records(&again.update(Action::Tick));
    assert!(
        matches!(
            after.as_slice(),
            [
                Record::Tab { .. },
                Record::Tab { .. },
                Record::Layout { .. }
            ]
        ),
        "a fresh recorder writes the tabs once: {after:?}"
    );
}

fn saved(dir: &Path, name: &str) -> Saved {
    session::load(&session::path(&dir.join("sessions"), name)).unwrap()
}

#[test]
fn ask_continues_a_sessions_tab_and_the_sessions_command() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = run(
        dir,
        &[
            "--session",
            "acme",
            "ask",
            "--persona",
            "alice",
            "Our customer Acme wants 40 TB migrated by March.",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = saved(dir, "acme");
    assert_eq!(s.tabs.len(), 1);
    assert_eq!(
        s.tabs[0].persona.name, "Alice",
        "the configured persona, found in any case"
    );
    let first = s.tabs[0].messages.len();
    assert!(first >= 4, "user, tool calls, results, answer");
    // The same persona again continues the same tab, with the whole conversation.
    let out = run(
        dir,
        &[
            "--session",
            "acme",
            "ask",
            "--persona",
            "Alice",
            "What do we know?",
        ],
    );
    assert!(out.status.success());
    let s = saved(dir, "acme");
    assert_eq!(s.tabs.len(), 1);
    assert_eq!(s.tabs[0].turns, 2);
    assert!(s.tabs[0].messages.len() > first);
    assert_eq!(
        s.tabs[0].messages[0]["content"],
        "Our customer Acme wants 40 TB migrated by March."
    );
    assert!(matches!(s.tabs[0].items.first(), Some(Item::User { .. })));
    // Another persona opens a tab of its own; without --session nothing is saved.
    run(
        dir,
        &[
            "--session",
            "acme",
            "ask",
            "--persona",
            "Sam",
            "Write the proposal.",
        ],
    );
    run(dir, &["ask", "--persona", "John", "Hello"]);
    let s = saved(dir, "acme");
    let names: Vec<&str> = s.tabs.iter().map(|t| t.persona.name.as_str()).collect();
    assert_eq!(names, ["Alice", "Sam"]);
    assert!(!dir.join("sessions/default.jsonl").exists());

    let list = String::from_utf8(run(dir, &["sessions", "list"]).stdout).unwrap();
    assert!(
        list.lines()
            .any(|l| l.starts_with("acme ") && l.contains(" 2 ") && l.contains(" 3 ")),
        "{list}"
    );
    let show = String::from_utf8(run(dir, &["sessions", "show", "acme"]).stdout).unwrap();
    assert!(
        show.contains("## Alice (Discovery)") && show.contains("## Sam (Proposal Writer)"),
        "{show}"
    );
    assert!(show.contains("**Alice:** What do we know?"), "{show}");
    assert!(
        show.contains("`memory create /memories/acme.md` ✓"),
        "{show}"
    );
    let bad = run(dir, &["sessions", "show", "../etc"]);
    assert_eq!(bad.status.code(), Some(2));
    let rm = run(dir, &["sessions", "rm", "acme"]);
    assert!(rm.status.success());
    assert!(!dir.join("sessions/acme.jsonl").exists());
    assert!(
        dir.join("memories/acme.md").exists(),
        "memories are not touched"
    );
    let again = run(dir, &["sessions", "rm", "acme"]);
    assert_eq!(again.status.code(), Some(1));
}

/// The real app: killed in the middle of a turn, it comes back with every finished turn and
/// without the one in flight; a turn cut off with Esc comes back cut off; the history stays
/// valid (the next message is answered).
#[test]
fn a_killed_app_loses_at_most_the_turn_in_flight() {
    let tmp = tempfile::tempdir().unwrap();
    let app = |speed: u32| {
        format!(
            "{}; echo memdeck exited $?; sleep 60",
            memdeck(tmp.path(), speed)
        )
    };
    let tmux = Tmux::start(140, 40, &app(400));
    tmux.wait_for("the first screen", |s| s.contains("Alice ›"));
    tmux.text("Our customer Acme wants 40 TB migrated by March.");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the end of the first turn", |s| {
        s.contains("• Wants 40 TB migrated") && !s.contains("streaming")
    });
    tmux.keys(&["M-2"]);
    tmux.wait_for("John's tab", |s| s.contains("John · Solution Architect"));
    tmux.kill();

    // Slowly now, and killed in the middle of Alice's second turn.
    let tmux = Tmux::start(140, 40, &app(10));
    tmux.wait_for("John in front again", |s| {
        s.contains("John · Solution Architect")
    });
    tmux.keys(&["M-1"]);
    tmux.wait_for("Alice's first turn", |s| {
        s.contains("• Wants 40 TB migrated")
    });
    tmux.text("The budget is 2M.");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the second turn streaming", |s| {
        s.contains("The budget is 2M.") && s.contains("streaming")
    });
    let pid = tmux.app_pid();
    assert!(
        Process::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    tmux.wait_for("the kill", |s| s.contains("memdeck exited 137"));
    drop(tmux);

    let tmux = Tmux::start(140, 40, &app(10));
    tmux.keys(&["M-1"]);
    let screen = tmux.wait_for("Alice's first turn", |s| {
        s.contains("• Wants 40 TB migrated")
    });
    assert!(
        !screen.contains("The budget is 2M."),
        "the turn in flight is gone:\n{screen}"
    );
    // Cut a turn off with Esc, quit, and see it come back cut off.
    tmux.text("Who decides?");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the turn streaming", |s| {
        s.contains("Who decides?") && s.contains("streaming")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for("the cut-off card", |s| s.contains("⊘ cancelled"));
    tmux.keys(&["C-q"]);
    tmux.wait_for("the exit", |s| s.contains("memdeck exited 0"));
    drop(tmux);

    let tmux = Tmux::start(140, 40, &app(400));
    tmux.keys(&["M-1"]);
    tmux.wait_for("the cut-off turn, restored", |s| {
        s.contains("Who decides?") && s.contains("⊘ cancelled")
    });
    // The history is valid: the next message is answered.
    tmux.text("What do we know about Acme?");
    tmux.keys(&["Enter"]);
    tmux.wait_for("an answer", |s| {
        s.contains("What do we know about Acme?")
            && !s.contains("streaming")
            && !s.contains("failed")
    });
    let log = std::fs::read_to_string(tmp.path().join("memdeck.log")).unwrap_or_default();
    assert!(!log.contains("ERROR"), "{log}");
}
