//! Coordination in the app without a terminal: the task board view and its keys, lease badges
//! in the tree, the editor holding its file, a new file that expires, and a team run (Alt+R)
//! moving on as turns end and the board changes.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::ui::*;

use crossterm::event::KeyCode;
use memdeck::app::dialog::Dialog;
use memdeck::app::{Action, Effect, Focus, MemoryEvent, MemoryJob, TreeRow};
use memdeck::chat::team::TeamPlan;
use memdeck::chat::transcript::Item;
use memdeck::chat::{Conversation, TurnError};
use memdeck::memory::board::{self, NewTask, Task};
use memdeck::memory::{FileText, Grant, Lease, Version};

fn task(id: &str, title: &str, who: Option<&str>, after: &[&str], status: &str) -> Task {
    let after: Vec<String> = after.iter().map(|a| (*a).to_owned()).collect();
    let text = board::render(
        &NewTask {
            title,
            assignee: who,
            after: &after,
            notes: "",
            id: Some(id),
        },
        "Alice",
    )
    .replace("status: open", &format!("status: {status}"));
    let path = board::task_path(id).unwrap();
    board::parse(
        &path,
        &FileText {
            version: Version::of(text.as_bytes()),
            text,
        },
    )
    .unwrap()
}

fn memory(app: &mut memdeck::app::App, event: MemoryEvent) -> Vec<Effect> {
    app.update(Action::Memory(event))
}

fn focus_panel(app: &mut memdeck::app::App) {
    while app.focus != Focus::Panel {
        app.update(key(KeyCode::Tab));
    }
}

fn lease(path: &str, holder: &str, left_ms: u64) -> Lease {
    Lease {
        subject: path.to_owned(),
        holder: holder.to_owned(),
        host: "laptop".to_owned(),
        token: 7,
        expires_ms: WALL_MS + left_ms,
    }
}

#[test]
fn the_board_view_lists_tasks_and_its_keys_ask_the_store() {
    let mut app = app(160, 48);
    focus_panel(&mut app);
    let effects = app.update(key(KeyCode::Char('b')));
    assert_eq!(effects, [Effect::Memory(MemoryJob::Board)]);
    memory(
        &mut app,
        MemoryEvent::Board(Ok(vec![
            task(
                "arch",
                "Architecture for Globex",
                Some("John"),
                &[],
                "done by John",
            ),
            task(
                "proposal",
                "Proposal for Globex",
                Some("Sam"),
                &["arch"],
                "open",
            ),
            task("review", "Security review", None, &["proposal"], "open"),
        ])),
    );
    app.update(Action::Memory(MemoryEvent::Leases(vec![lease(
        "/memories/acme.md",
        "Alice",
        12_000,
    )])));
    let screen = screen(&app);
    assert!(
        screen.contains("Task board · 1/3 done · ✎ Alice acme.md"),
        "{screen}"
    );
    assert!(
        screen.contains("✓ done by John · Architecture for Globex"),
        "{screen}"
    );
    assert!(
        screen.contains("○ for Sam · Proposal for Globex"),
        "{screen}"
    );
    assert!(
        screen.contains("… open · Security review · after proposal"),
        "{screen}"
    );
    assert!(screen.contains("n new task"), "{screen}");
    // n: a new task, for someone, after another.
    app.update(key(KeyCode::Char('n')));
    assert!(matches!(app.dialog, Some(Dialog::Form(..))));
    type_text(&mut app, "Load test");
    app.update(key(KeyCode::Enter));
    type_text(&mut app, "John");
    app.update(key(KeyCode::Enter));
    type_text(&mut app, "arch, proposal.md");
    let effects = app.update(key(KeyCode::Enter));
    assert_eq!(
        effects,
        [Effect::Memory(MemoryJob::AddTask {
            title: "Load test".into(),
            assignee: Some("John".into()),
            after: vec!["arch".into(), "proposal".into()],
        })]
    );
    // An empty title is refused in the form, nothing asked of the store.
    app.update(key(KeyCode::Char('n')));
    app.update(key(KeyCode::Enter));
    app.update(key(KeyCode::Enter));
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(
        matches!(&app.dialog, Some(Dialog::Form(_, form)) if form.error.as_deref() == Some("give the task a title"))
    );
    app.update(key(KeyCode::Esc));
    // r reassigns the selected task, d closes it.
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Char('r')));
    type_text(&mut app, "Ana");
    let effects = app.update(key(KeyCode::Enter));
    assert_eq!(
        effects,
        [Effect::Memory(MemoryJob::Reassign {
            task: "proposal".into(),
            to: "Ana".into()
        })]
    );
    assert_eq!(
        app.update(key(KeyCode::Char('d'))),
        [Effect::Memory(MemoryJob::CloseTask("proposal".into()))]
    );
    // Enter opens the task's file; b goes back to the tree.
    let effects = app.update(key(KeyCode::Enter));
    assert_eq!(
        effects,
        [Effect::Memory(MemoryJob::Open(
            "/memories/tasks/proposal.md".into()
        ))]
    );
    assert!(!app.panel.board_shown);
    app.update(key(KeyCode::Char('b')));
    assert!(app.panel.board_shown);
}

#[test]
fn a_held_file_shows_its_holder_in_the_tree() {
    let mut app = app(160, 48);
    let row = |path: &str| TreeRow {
        path: path.to_owned(),
        is_dir: false,
        size: 10,
        actor: Some("Alice".into()),
        changed_ms: Some(WALL_MS - 60_000),
    };
    memory(
        &mut app,
        MemoryEvent::Listed(Ok(vec![
            row("/memories/acme.md"),
            row("/memories/notes.md"),
        ])),
    );
    memory(
        &mut app,
        MemoryEvent::Leases(vec![
            lease("/memories/acme.md", "you", 40_000),
            lease("/memories/notes.md", "John", 0),
        ]),
    );
    let screen = screen(&app);
    assert!(
        screen.contains("acme.md") && screen.contains("✎ you, 40 s"),
        "{screen}"
    );
    assert!(
        !screen.contains("✎ John"),
        "a lease that ran out shows nothing: {screen}"
    );
    // It counts down: a second later the screen is drawn again.
    app.update(Action::Tick);
    app.dirty = false;
    app.wall_ms += 1_000;
    app.update(Action::Tick);
    assert!(app.dirty);
    assert!(crate::support::ui::screen(&app).contains("✎ you, 39 s"));
    // A grant or release anywhere makes the app list the leases again.
    let effects = memory(
        &mut app,
        MemoryEvent::LeaseChanged(memdeck::memory::LeaseEvent::Released {
            subject: "/memories/acme.md".into(),
            token: 7,
        }),
    );
    assert_eq!(effects, [Effect::Memory(MemoryJob::Leases)]);
}

#[test]
fn the_editor_holds_its_file_while_open_and_gives_it_back() {
    let mut app = app(160, 48);
    let path = "/memories/acme.md";
    memory(
        &mut app,
        MemoryEvent::Listed(Ok(vec![TreeRow {
            path: path.into(),
            is_dir: false,
            size: 4,
            actor: None,
            changed_ms: None,
        }])),
    );
    focus_panel(&mut app);
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Enter));
    let file = FileText {
        text: "old\n".into(),
        version: Version::of(b"old\n"),
    };
    memory(
        &mut app,
        MemoryEvent::Opened {
            path: path.into(),
            result: Ok(file),
        },
    );
    let effects = app.update(key(KeyCode::Char('e')));
    assert_eq!(effects, [Effect::Memory(MemoryJob::Lease(path.into()))]);
    // Someone else holds it: the editor says who, and saving is still possible (the store
    // decides).
    memory(
        &mut app,
        MemoryEvent::Leased {
            path: path.into(),
            result: Ok(Grant::Held(lease(path, "Alice", 15_000))),
        },
    );
    let message = app.editor.as_ref().unwrap().message.clone().unwrap();
    assert!(
        message.contains("Alice is changing this file right now (15 s left)"),
        "{message}"
    );
    // Granted: the save carries it, and closing gives it back.
    let mine = lease(path, "you", 60_000);
    memory(
        &mut app,
        MemoryEvent::Leased {
            path: path.into(),
            result: Ok(Grant::Granted(mine.clone())),
        },
    );
    app.update(key(KeyCode::Char('x')));
    let effects = app.update(ctrl('s'));
    assert!(
        matches!(&effects[..], [Effect::Memory(MemoryJob::Save { lease: Some(l), .. })] if *l == mine),
        "{effects:?}"
    );
    memory(
        &mut app,
        MemoryEvent::Saved {
            path: path.into(),
            result: Ok(Version::of(b"xold\n")),
        },
    );
    // Renewed every 20 s while open.
    app.wall_ms += 21_000;
    let effects = app.update(Action::Tick);
    assert_eq!(effects, [Effect::Memory(MemoryJob::Renew(mine.clone()))]);
    let effects = app.update(key(KeyCode::Esc));
    assert_eq!(effects, [Effect::Memory(MemoryJob::Release(mine))]);
    assert!(app.editor.is_none());
}

#[test]
fn a_new_file_can_be_made_to_expire() {
    let mut app = app(160, 48);
    app.session_id = Some("host-1-2".into());
    focus_panel(&mut app);
    for (expires, want) in [
        ("2h", Some("expires: 2026-11-21 14:00:00")),
        ("session", Some("expires: session host-1-2")),
        ("2026-12-31", Some("expires: 2026-12-31")),
        ("", None),
    ] {
        app.update(ctrl('n'));
        type_text(&mut app, "offer.md");
        app.update(key(KeyCode::Enter));
        type_text(&mut app, expires);
        app.update(key(KeyCode::Enter));
        let editor = app.editor.take().expect("the editor opens");
        let text = editor.text();
        match want {
            Some(want) => assert!(
                text.starts_with(&format!("---\n{want}\n---\n")),
                "{expires}: {text:?}"
            ),
            None => assert_eq!(text, "", "{expires}"),
        }
        app.focus = Focus::Panel;
    }
    app.update(ctrl('n'));
    type_text(&mut app, "offer.md");
    app.update(key(KeyCode::Enter));
    type_text(&mut app, "soon");
    app.update(key(KeyCode::Enter));
    assert!(
        matches!(&app.dialog, Some(Dialog::Form(_, form)) if form.error.as_deref().is_some_and(|e| e.contains("is not an expiry"))),
        "{:?}",
        app.dialog
    );
}

/// The board of the team script's run with its three tasks in these states.
fn board_of(plan: &TeamPlan, statuses: [&str; 3]) -> MemoryEvent {
    MemoryEvent::Board(Ok(plan
        .tasks
        .iter()
        .zip(statuses)
        .map(|(t, s)| {
            let after: Vec<&str> = t.after.iter().map(String::as_str).collect();
            task(&t.id, &t.title, Some(&t.persona), &after, s)
        })
        .collect()))
}

/// John changed task `id` on the board, as the store tells it.
fn task_changed(id: &str) -> MemoryEvent {
    MemoryEvent::Changed(memdeck::memory::MemoryChange {
        path: format!("/memories/tasks/{id}.md"),
        kind: memdeck::memory::ChangeKind::Modified,
        actor: "John".into(),
        version: None,
        is_dir: false,
    })
}

/// The turn of `persona`'s tab that `effects` start: its tab, request and text.
fn started(
    effects: &[Effect],
    persona: &str,
) -> (memdeck::app::TabId, memdeck::app::RequestId, String) {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::StartTurn {
                tab,
                req,
                persona: p,
                text,
                ..
            } if p.name == persona => Some((*tab, *req, text.clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no turn for {persona} in {effects:?}"))
}

fn end(
    app: &mut memdeck::app::App,
    tab: memdeck::app::TabId,
    req: memdeck::app::RequestId,
) -> Vec<Effect> {
    app.update(Action::TurnEnded {
        tab,
        req,
        conversation: Conversation::default(),
        result: Ok::<(), TurnError>(()),
    })
}

#[test]
fn alt_r_runs_the_team_and_moves_on_as_the_board_changes() {
    let mut app = app(160, 48);
    let plan = TeamPlan::of(&memdeck::chat::script::find("team").unwrap()).unwrap();
    let ids: Vec<String> = plan.tasks.iter().map(|t| t.id.clone()).collect();
    let board_with = |statuses: [&str; 3]| board_of(&plan, statuses);
    let effects = app.update(alt(KeyCode::Char('r')));
    assert!(effects.contains(&Effect::Memory(MemoryJob::Board)));
    let (alice, req, text) = started(&effects, "Alice");
    assert!(
        text.starts_with("I just got off the phone with Acme Corp"),
        "{text}"
    );
    assert!(app.panel.board_shown);
    assert!(screen(&app).contains("⚑ team run: Alice working"));
    // Each of her turns ends: the board is read, then the run goes on.
    assert_eq!(
        end(&mut app, alice, req),
        [Effect::Memory(MemoryJob::Board)]
    );
    let (_, req, text) = started(
        &memory(&mut app, MemoryEvent::Board(Ok(Vec::new()))),
        "Alice",
    );
    assert!(text.starts_with("One more thing"), "{text}");
    end(&mut app, alice, req);
    let (_, req, text) = started(
        &memory(&mut app, MemoryEvent::Board(Ok(Vec::new()))),
        "Alice",
    );
    assert!(text.starts_with("Open these tasks"), "{text}");
    end(&mut app, alice, req);
    // The tasks are open: John works, Sam waits (said in his tab).
    let effects = memory(&mut app, board_with(["open", "open", "open"]));
    let (john, req, text) = started(&effects, "John");
    assert_eq!(text, memdeck::chat::team::work_prompt(&plan.tasks[0]));
    let sam_tab = app
        .tabs
        .iter()
        .position(|t| t.persona.name == "Sam")
        .unwrap();
    assert!(
        app.tabs[sam_tab]
            .transcript
            .items
            .iter()
            .any(|i| matches!(i, Item::Team { text } if text.starts_with(&format!("⏳ waiting for {}", ids[1])))),
        "{:?}",
        app.tabs[sam_tab].transcript.items
    );
    // John finishes both of his; the board change wakes Sam.
    end(&mut app, john, req);
    let (_, req, _) = started(
        &memory(&mut app, board_with(["done by John", "open", "open"])),
        "John",
    );
    // Meanwhile the presenter asks Sam something herself: that turn is not the run's.
    app.update(alt(KeyCode::Char('3')));
    let (sam_tab_id, own) = send(&mut app, "What is on the board?");
    // His second task marked done: the store says so, the board is read, Sam wakes.
    let effects = memory(&mut app, task_changed(&ids[1]));
    assert!(
        effects.contains(&Effect::Memory(MemoryJob::Board)),
        "{effects:?}"
    );
    let effects = memory(
        &mut app,
        board_with(["done by John", "done by John", "open"]),
    );
    // Sam's tab is busy with the presenter's turn: the run's message waits for it.
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::StartTurn { .. })),
        "{effects:?}"
    );
    let effects = end(&mut app, sam_tab_id, own);
    let (_, sam_req, text) = started(&effects, "Sam");
    assert_eq!(text, memdeck::chat::team::work_prompt(&plan.tasks[2]));
    let sam = app.tabs[sam_tab].id;
    end(&mut app, john, req);
    memory(
        &mut app,
        board_with(["done by John", "done by John", "open"]),
    );
    end(&mut app, sam, sam_req);
    memory(
        &mut app,
        board_with(["done by John", "done by John", "done by Sam"]),
    );
    assert!(app.team_run.is_none());
    let notice = app.notice.as_ref().unwrap().text.clone();
    assert!(
        notice.starts_with("✓ team run finished: every task is done"),
        "{notice}"
    );
}

#[test]
fn esc_in_a_run_s_turn_stops_the_run() {
    let mut app = app(160, 48);
    let effects = app.update(alt(KeyCode::Char('r')));
    let (alice, req, _) = started(&effects, "Alice");
    app.update(Action::TurnEnded {
        tab: alice,
        req,
        conversation: Conversation::default(),
        result: Err(TurnError::Provider(
            memdeck::provider::ProviderError::Cancelled,
        )),
    });
    assert!(app.team_run.is_none());
    let notice = app.notice.as_ref().unwrap().text.clone();
    assert!(
        notice.starts_with("team run stopped: Alice's turn was cancelled"),
        "{notice}"
    );
}

/// A change arrives while an earlier read of the board is on its way back: that read is older
/// than the change, and the next one must still wake whoever waits.
#[test]
fn a_fresh_board_wakes_the_waiting_worker_whatever_read_came_first() {
    let mut app = app(160, 48);
    let plan = TeamPlan::of(&memdeck::chat::script::find("team").unwrap()).unwrap();
    let (alice, mut req, _) = started(&app.update(alt(KeyCode::Char('r'))), "Alice");
    for _ in 0..2 {
        end(&mut app, alice, req);
        req = started(
            &memory(&mut app, MemoryEvent::Board(Ok(Vec::new()))),
            "Alice",
        )
        .1;
    }
    end(&mut app, alice, req);
    started(
        &memory(&mut app, board_of(&plan, ["open", "open", "open"])),
        "John",
    );
    memory(&mut app, task_changed(&plan.tasks[1].id));
    let older = memory(&mut app, board_of(&plan, ["open", "open", "open"]));
    assert!(
        !older.iter().any(|e| matches!(e, Effect::StartTurn { .. })),
        "{older:?}"
    );
    let fresh = memory(
        &mut app,
        board_of(&plan, ["done by John", "done by John", "open"]),
    );
    started(&fresh, "Sam");
}
