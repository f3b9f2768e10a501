//! Whole screens as text (ratatui's TestBackend + insta), at 80×24 and 160×48. The snapshots
//! are committed under tests/app/snapshots; a change to the screen shows as a diff in review.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::ui;

use crossterm::event::KeyCode;
use memdeck::app::{Action, App, MemoryEvent, SaveError, TreeRow};
use memdeck::chat::TurnError;
use memdeck::memory::{FileText, Version};
use memdeck::provider::ProviderError;
use ui::*;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn check(name: &str, build: impl Fn(&mut App)) {
    for (w, h) in SIZES {
        let mut app = app(w, h);
        build(&mut app);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen(&app));
    }
}

fn half_written_card(app: &mut App) {
    let (tab, req) = send(
        app,
        "Our customer ACME wants to move 40 TB to the cloud by March.",
    );
    apply(
        app,
        text_then_tool(
            tab,
            req,
            "Nothing on **ACME** yet; I'll save it to `/memories/acme.md`.",
            r##"{"command": "create", "path": "/memories/acme.md", "file_text": "# ACME\n\n- Wants to move 40 TB to the cloud\n- Deadline: Mar"##,
        ),
    );
}

fn panel_rows(app: &mut App) {
    app.start();
    let row = |path: &str, is_dir: bool, size: u64, actor: Option<&str>, ago_s: u64| TreeRow {
        path: path.into(),
        is_dir,
        size,
        actor: actor.map(str::to_owned),
        changed_ms: actor.map(|_| WALL_MS - ago_s * 1000),
    };
    app.update(Action::Memory(MemoryEvent::Listed(Ok(vec![
        row("/memories/acme.md", false, 212, Some("Alice"), 42),
        row("/memories/architecture", true, 0, None, 0),
        row(
            "/memories/architecture/options.md",
            false,
            1830,
            Some("John"),
            300,
        ),
        row("/memories/proposal.md", false, 4096, Some("you"), 7200),
        row("/memories/scratch.txt", false, 12, Some("external"), 3),
    ]))));
}

fn open_acme(app: &mut App) {
    panel_rows(app);
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Enter));
    app.update(Action::Memory(MemoryEvent::Opened {
        path: "/memories/acme.md".into(),
        result: Ok(FileText {
            text: "# ACME\n\n- Wants to move 40 TB to the cloud by March (from Alice)\n- Budget: 2M USD\n".into(),
            version: Version::of(b"v1"),
        }),
    }));
}

#[test]
fn first_screen() {
    check("first_screen", panel_rows);
}

#[test]
fn streaming_with_a_tool_card_half_written() {
    check("streaming_tool_card", half_written_card);
}

#[test]
fn error_card() {
    check("error_card", |app| {
        let (tab, req) = send(app, "What do we know about ACME?");
        apply(app, answer(tab, req, "Let me look at"));
        app.update(Action::TurnEnded {
            tab,
            req,
            conversation: Default::default(),
            result: Err(TurnError::Provider(ProviderError::Http {
                status: 529,
                kind: Some("overloaded_error".into()),
                message: "Anthropic's API is overloaded (529); try again in a moment".into(),
                request_id: Some("req_011CSHoEeqs5C35K2UUqR7Fy".into()),
            })),
        });
    });
}

#[test]
fn panel_with_a_file_open() {
    check("panel_file_open", open_acme);
}

#[test]
fn editor_with_a_conflict() {
    check("editor_conflict", |app| {
        open_acme(app);
        app.update(key(KeyCode::Char('e')));
        type_text(app, "CTO: Dana. ");
        app.update(ctrl('s'));
        app.update(Action::Memory(MemoryEvent::Saved {
            path: "/memories/acme.md".into(),
            result: Err(SaveError::Conflict(Some(FileText {
                text: "theirs".into(),
                version: Version::of(b"theirs"),
            }))),
        }));
    });
}

#[test]
fn help_overlay() {
    check("help_overlay", |app| {
        app.update(key(KeyCode::F(1)));
    });
}

#[test]
fn too_small() {
    let app = app(50, 12);
    let text = screen(&app);
    assert!(text.contains("terminal too small: 50×12"), "{text}");
}

#[test]
fn the_input_shows_its_cursor_only_with_focus() {
    use ratatui::style::Modifier;
    let mut app = app(80, 24);
    let input = app.areas().unwrap().input;
    let cursor = |app: &App| {
        let terminal = draw(app);
        terminal.backend().buffer()[(input.x + 1, input.y + 1)].modifier
    };
    assert!(cursor(&app).contains(Modifier::REVERSED));
    app.update(key(KeyCode::Tab));
    assert!(!cursor(&app).contains(Modifier::REVERSED));
}
