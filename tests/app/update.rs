//! The app's rules without a terminal: keys, tabs, streams into the right tab, scrolling,
//! cancel and retry, the memory panel and the editor's conflict flow.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::ui;

use crossterm::event::{Event, KeyCode, KeyModifiers};
use memdeck::app::dialog::Dialog;
use memdeck::app::editor::EditorState;
use memdeck::app::tab::{Badge, Mark, Scroll};
use memdeck::app::{
    Action, Effect, Focus, MemoryEvent, MemoryJob, Report, SaveError, SnapshotJob, TreeRow,
};
use memdeck::chat::transcript::{Item, ToolStatus};
use memdeck::chat::{Conversation, TurnError};
use memdeck::memory::{ChangeKind, Expect, FileText, MemoryChange, Version};
use memdeck::provider::ProviderError;
use ui::*;

fn ended(
    tab: memdeck::app::TabId,
    req: memdeck::app::RequestId,
    result: Result<(), TurnError>,
) -> Action {
    Action::TurnEnded {
        tab,
        req,
        conversation: Conversation {
            messages: vec![serde_json::json!({"role": "user", "content": "x"})],
            ..Default::default()
        },
        result,
    }
}

#[test]
fn enter_sends_alt_enter_breaks_the_line_and_paste_is_verbatim() {
    let mut app = app(160, 48);
    type_text(&mut app, "first");
    assert!(app.update(alt(KeyCode::Enter)).is_empty());
    app.update(with(KeyCode::Enter, KeyModifiers::SHIFT));
    app.update(Action::Term(Event::Paste("pasted\nlines\twith tab".into())));
    let effects = app.update(key(KeyCode::Enter));
    let [Effect::StartTurn { text, persona, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(text, "first\n\npasted\nlines\twith tab");
    assert_eq!(persona.name, "Alice");
    let tab = &app.tabs[0];
    assert!(tab.input.is_empty());
    assert!(tab.is_streaming());
    assert!(matches!(&tab.transcript.items[0], Item::User { text: t } if t == text));
}

#[test]
fn an_empty_message_is_not_sent_and_up_recalls_the_last_one() {
    let mut app = app(160, 48);
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    type_text(&mut app, "   ");
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    app.update(ctrl('c'));
    let (tab, req) = send(&mut app, "hello there");
    apply(&mut app, answer(tab, req, "hi"));
    app.update(ended(tab, req, Ok(())));
    app.update(key(KeyCode::Up));
    assert_eq!(app.tabs[0].input.lines(), ["hello there"]);
}

#[test]
fn sending_while_the_tab_streams_keeps_the_draft() {
    let mut app = app(160, 48);
    send(&mut app, "one");
    type_text(&mut app, "two");
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert_eq!(app.tabs[0].input.lines(), ["two"]);
    assert!(
        app.notice
            .as_ref()
            .unwrap()
            .text
            .contains("still streaming")
    );
}

#[test]
fn tabs_are_selected_by_alt_digit_ctrl_page_and_keep_their_own_drafts() {
    let mut app = app(160, 48);
    type_text(&mut app, "for alice");
    app.update(alt(KeyCode::Char('2')));
    assert_eq!(app.active, 1);
    type_text(&mut app, "for john");
    app.update(with(KeyCode::PageDown, KeyModifiers::CONTROL));
    assert_eq!(app.active, 2);
    app.update(with(KeyCode::PageDown, KeyModifiers::CONTROL));
    assert_eq!(app.active, 0);
    app.update(with(KeyCode::PageUp, KeyModifiers::CONTROL));
    assert_eq!(app.active, 2);
    app.update(alt(KeyCode::Char('9')));
    assert_eq!(app.active, 2, "no ninth tab: nothing changes");
    assert_eq!(app.tabs[0].input.lines(), ["for alice"]);
    assert_eq!(app.tabs[1].input.lines(), ["for john"]);
}

/// Ctrl+T is a quick "add a chat": the team's personas are offered first, a closed one
/// preselected; Enter on one with a tab goes to it.
#[test]
fn ctrl_t_offers_the_team_first() {
    let mut app = app(160, 48);
    app.active = 2;
    app.update(ctrl('w'));
    assert_eq!(app.tabs.len(), 2, "Sam's empty tab closes without asking");
    app.update(ctrl('t'));
    assert!(matches!(app.dialog, Some(Dialog::Personas { selected: 2 })));
    assert!(screen(&app).contains("Someone new"));
    app.update(key(KeyCode::Enter));
    assert_eq!(app.tabs.len(), 3);
    assert_eq!(app.active_tab().unwrap().persona.name, "Sam");
    assert_eq!(app.active_tab().unwrap().persona.role, "Proposal Writer");
    app.update(ctrl('t'));
    app.update(key(KeyCode::Up));
    app.update(key(KeyCode::Up));
    app.update(key(KeyCode::Up));
    app.update(key(KeyCode::Enter));
    assert_eq!(app.tabs.len(), 3, "Alice's tab was open: no second one");
    assert_eq!(app.active, 0);
}

#[test]
fn a_new_persona_is_asked_for_and_checked() {
    let mut app = app(160, 48);
    app.update(ctrl('t'));
    // Every team member has a tab: the picker starts on "someone new".
    assert!(matches!(app.dialog, Some(Dialog::Personas { selected: 3 })));
    app.update(key(KeyCode::Enter));
    assert!(matches!(app.dialog, Some(Dialog::Form(..))));
    type_text(&mut app, "john");
    app.update(key(KeyCode::Tab));
    type_text(&mut app, "Security");
    app.update(key(KeyCode::Enter));
    let Some(Dialog::Form(_, form)) = &app.dialog else {
        panic!("a duplicate name keeps the form open")
    };
    assert_eq!(
        form.error.as_deref(),
        Some("there is already a tab for john")
    );
    app.update(key(KeyCode::BackTab));
    for _ in 0..4 {
        app.update(key(KeyCode::Backspace));
    }
    type_text(&mut app, "Priya");
    app.update(key(KeyCode::Enter));
    app.update(key(KeyCode::Enter));
    assert!(app.dialog.is_none());
    assert_eq!(app.tabs.len(), 4);
    assert_eq!(app.active, 3);
    let persona = &app.tabs[3].persona;
    assert_eq!(
        (persona.name.as_str(), persona.role.as_str()),
        ("Priya", "Security")
    );
    assert!(!["cyan", "magenta", "yellow"].contains(&persona.color.as_str()));
}

#[test]
fn rename_keeps_the_colour_and_close_asks_when_there_is_history() {
    let mut app = app(160, 48);
    app.update(key(KeyCode::F(2)));
    for _ in 0..5 {
        app.update(key(KeyCode::Backspace));
    }
    type_text(&mut app, "Alicia");
    app.update(key(KeyCode::Enter));
    app.update(key(KeyCode::Enter));
    assert_eq!(app.tabs[0].persona.name, "Alicia");
    assert_eq!(app.tabs[0].persona.color, "cyan");

    // No history: closes at once. With history (and a turn running): asks, then cancels it.
    app.update(alt(KeyCode::Char('3')));
    assert!(app.update(ctrl('w')).is_empty());
    assert_eq!(app.tabs.len(), 2);
    app.update(alt(KeyCode::Char('1')));
    let (_, req) = send(&mut app, "hello");
    assert!(app.update(ctrl('w')).is_empty());
    assert!(matches!(app.dialog, Some(Dialog::ConfirmCloseTab(_))));
    app.update(key(KeyCode::Char('n')));
    assert_eq!(app.tabs.len(), 2);
    app.update(ctrl('w'));
    assert_eq!(app.update(key(KeyCode::Char('y'))), [Effect::Cancel(req)]);
    assert_eq!(app.tabs.len(), 1);
    // The last tab stays.
    app.update(ctrl('w'));
    assert_eq!(app.tabs.len(), 1);
}

#[test]
fn streams_land_in_their_own_tab_and_hidden_output_is_marked() {
    let mut app = app(160, 48);
    let (alice, a_req) = send(&mut app, "about acme");
    app.update(alt(KeyCode::Char('2')));
    let (john, j_req) = send(&mut app, "architecture?");
    assert_ne!(a_req, j_req);
    apply(&mut app, answer(alice, a_req, "alice's answer"));
    apply(&mut app, answer(john, j_req, "john's answer"));
    let text = |i: usize| -> Vec<String> {
        app.tabs[i]
            .transcript
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Text { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    };
    assert_eq!(text(0), ["alice's answer"]);
    assert_eq!(text(1), ["john's answer"]);
    assert_eq!(app.tabs[0].mark, Mark::Unseen);
    assert_eq!(app.tabs[1].mark, Mark::None);
    app.update(alt(KeyCode::Char('1')));
    assert_eq!(app.tabs[0].mark, Mark::None);
    assert!(app.is_streaming());
    // Tokens: per tab and for the session.
    app.update(ended(alice, a_req, Ok(())));
    assert_eq!(app.tabs[0].transcript.total_input, 1200);
    assert_eq!(app.session_tokens(), (2400, 84));
}

#[test]
fn events_of_an_old_request_are_dropped() {
    let mut app = app(160, 48);
    let (tab, req) = send(&mut app, "one");
    app.update(key(KeyCode::Esc));
    app.update(ended(
        tab,
        req,
        Err(TurnError::Provider(ProviderError::Cancelled)),
    ));
    let (_, second) = send(&mut app, "two");
    let before = app.tabs[0].transcript.items.len();
    apply(
        &mut app,
        answer(tab, req, "late text from the cancelled turn"),
    );
    assert_eq!(app.tabs[0].transcript.items.len(), before);
    app.update(ended(tab, req, Ok(())));
    assert_eq!(app.tabs[0].in_flight, Some(second));
}

#[test]
fn esc_cancels_the_turn_and_keeps_what_arrived() {
    let mut app = app(160, 48);
    let (tab, req) = send(&mut app, "hello");
    apply(
        &mut app,
        text_then_tool(
            tab,
            req,
            "partial answer",
            r#"{"command":"create","path":"/memories/a.md","file_text":"x"#,
        ),
    );
    assert_eq!(app.update(key(KeyCode::Esc)), [Effect::Cancel(req)]);
    app.update(ended(
        tab,
        req,
        Err(TurnError::Provider(ProviderError::Cancelled)),
    ));
    let items = &app.tabs[0].transcript.items;
    assert!(
        items.iter().any(
            |i| matches!(i, Item::Text { text, streaming: false } if text == "partial answer")
        )
    );
    assert!(
        items
            .iter()
            .any(|i| matches!(i, Item::Tool(c) if c.status == ToolStatus::Dropped))
    );
    assert!(matches!(
        items.last(),
        Some(Item::Error {
            cancelled: true,
            ..
        })
    ));
    assert_eq!(app.tabs[0].mark, Mark::Cancelled);
    assert_eq!(app.tabs[0].badge(), Badge::Cancelled);
    assert!(!app.is_streaming());
    // Esc with nothing running clears the draft instead.
    type_text(&mut app, "draft");
    assert!(app.update(key(KeyCode::Esc)).is_empty());
    assert!(app.tabs[0].input.is_empty());
}

#[test]
fn a_failed_turn_shows_an_error_card_and_ctrl_r_sends_it_again() {
    let mut app = app(160, 48);
    let (tab, req) = send(&mut app, "hello");
    app.update(alt(KeyCode::Char('2')));
    let error = ProviderError::Http {
        status: 529,
        kind: Some("overloaded_error".into()),
        message: "the API is overloaded".into(),
        request_id: Some("req_123".into()),
    };
    app.update(ended(tab, req, Err(TurnError::Provider(error))));
    assert_eq!(app.tabs[0].mark, Mark::Failed);
    assert!(matches!(
        app.tabs[0].transcript.items.last(),
        Some(Item::Error { cancelled: false, request_id: Some(id), .. }) if id == "req_123"
    ));
    assert!(
        app.update(ctrl('r')).is_empty(),
        "John's tab has nothing to retry"
    );
    app.update(alt(KeyCode::Char('1')));
    let effects = app.update(ctrl('r'));
    let [
        Effect::StartTurn {
            text, conversation, ..
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(text, "hello");
    assert!(
        conversation.messages.is_empty(),
        "what the failed turn left is dropped"
    );
    assert_eq!(app.tabs[0].mark, Mark::None);
}

/// With retry moved to another key, the error card names that key and it retries.
#[test]
fn a_moved_retry_key_is_the_one_the_error_card_names() {
    use memdeck::app::keymap::{Keymap, parse_key};
    let mut app = app(160, 48);
    app.keymap = Keymap::with(&[("retry", parse_key("F9").unwrap())]).unwrap();
    let (tab, req) = send(&mut app, "hello");
    let error = ProviderError::Connection("no route to host".into());
    app.update(ended(tab, req, Err(TurnError::Provider(error))));
    let shown = screen(&app);
    assert!(
        shown.contains("F9 retry") && !shown.contains("Ctrl+R retry"),
        "{shown}"
    );
    assert!(app.update(ctrl('r')).is_empty());
    let effects = app.update(key(KeyCode::F(9)));
    assert!(
        matches!(effects.as_slice(), [Effect::StartTurn { text, .. }] if text == "hello"),
        "{effects:?}"
    );
}

/// Scrolled up while an answer goes on: the view stays put, a marker on the pane's last row
/// counts the lines that arrived below, and a click on it (or End) follows the stream again.
#[test]
fn scrolled_up_a_marker_counts_the_new_lines_and_a_click_or_end_follows_again() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut app = app(80, 24);
    let (tab, req) = send(&mut app, "long");
    let long: String = (1..=80).map(|i| format!("line {i}\n\n")).collect();
    apply(&mut app, text_then_tool(tab, req, &long, ""));
    draw(&app);
    app.update(key(KeyCode::PageUp));
    // Nothing new yet: no marker.
    assert!(!screen(&app).contains("· End follows"), "{}", screen(&app));
    let more: String = (1..=10).map(|i| format!("more {i}\n\n")).collect();
    apply(&mut app, answer(tab, req, &more));
    draw(&app);
    let shown = screen(&app);
    let (row, line) = shown
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("new lines · End follows"))
        .unwrap_or_else(|| panic!("no marker:\n{shown}"));
    let count: usize = line
        .split("↓ ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {line:?}"));
    assert!(count >= 20, "{line}");
    assert!(matches!(app.tabs[0].view.scroll, Scroll::Top(_)));
    // A click on the marker follows again.
    let column = line.chars().position(|c| c == '↓').unwrap() as u16;
    app.update(Action::Term(Event::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column,
        row: row as u16,
        modifiers: KeyModifiers::NONE,
    })));
    assert_eq!(app.tabs[0].view.scroll, Scroll::Bottom);
    assert!(!screen(&app).contains("· End follows"));
    // Again, and End follows.
    app.update(key(KeyCode::PageUp));
    draw(&app);
    apply(&mut app, answer(tab, req, "one more\n"));
    assert!(screen(&app).contains("· End follows"));
    // (The click put the focus on the chat, where End goes.)
    app.update(key(KeyCode::End));
    assert_eq!(app.tabs[0].view.scroll, Scroll::Bottom);
    assert!(!screen(&app).contains("· End follows"));
    // From the message box: End follows when the draft is empty, and moves the cursor in a
    // draft.
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::PageUp));
    type_text(&mut app, "draft");
    app.update(key(KeyCode::End));
    assert!(matches!(app.tabs[0].view.scroll, Scroll::Top(_)));
    for _ in 0..5 {
        app.update(key(KeyCode::Backspace));
    }
    app.update(key(KeyCode::End));
    assert_eq!(app.tabs[0].view.scroll, Scroll::Bottom);
}

#[test]
fn the_view_follows_the_stream_until_scrolled_up_and_again_at_the_bottom() {
    let mut app = app(80, 24);
    let (tab, req) = send(&mut app, "long");
    let long: String = (1..=80).map(|i| format!("line {i}\n\n")).collect();
    apply(&mut app, text_then_tool(tab, req, &long, ""));
    draw(&app);
    assert_eq!(app.tabs[0].view.scroll, Scroll::Bottom);
    app.update(key(KeyCode::PageUp));
    let Scroll::Top(top) = app.tabs[0].view.scroll else {
        panic!("PageUp leaves the bottom")
    };
    // More text arrives: the view stays on the same lines.
    apply(&mut app, answer(tab, req, "more"));
    draw(&app);
    assert_eq!(app.tabs[0].view.scroll, Scroll::Top(top));
    assert!(screen(&app).contains("scrolled"));
    // Paging down to the end follows again.
    for _ in 0..100 {
        app.update(key(KeyCode::PageDown));
    }
    assert_eq!(app.tabs[0].view.scroll, Scroll::Bottom);
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Home));
    assert_eq!(app.tabs[0].view.scroll, Scroll::Top(0));
    app.update(key(KeyCode::End));
    assert_eq!(app.tabs[0].view.scroll, Scroll::Bottom);
}

#[test]
fn tool_cards_expand_from_the_chat() {
    let mut app = app(160, 48);
    let (tab, req) = send(&mut app, "note");
    apply(
        &mut app,
        text_then_tool(
            tab,
            req,
            "ok",
            r#"{"command":"create","path":"/memories/a.md","file_text":"hello"}"#,
        ),
    );
    app.update(tool_finished(
        tab,
        req,
        "File created successfully at: /memories/a.md",
        false,
    ));
    app.update(key(KeyCode::Tab));
    assert_eq!(app.focus, Focus::Chat);
    app.update(key(KeyCode::Up));
    let selected = app.tabs[0].view.selected.unwrap();
    assert!(matches!(
        app.tabs[0].transcript.items[selected],
        Item::Tool(_)
    ));
    app.update(key(KeyCode::Enter));
    assert!(app.tabs[0].view.expanded.contains(&selected));
    assert!(screen(&app).contains("\"file_text\": \"hello\""));
    app.update(key(KeyCode::Enter));
    assert!(!app.tabs[0].view.expanded.contains(&selected));
}

fn row(path: &str, is_dir: bool, actor: Option<&str>) -> TreeRow {
    TreeRow {
        path: path.into(),
        is_dir,
        size: 120,
        actor: actor.map(str::to_owned),
        changed_ms: Some(WALL_MS - 90_000),
    }
}

fn file(text: &str) -> FileText {
    FileText {
        text: text.into(),
        version: Version::of(text.as_bytes()),
    }
}

/// The panel focused with `/memories/acme.md` open and loaded.
fn panel_with_open_file(app: &mut memdeck::app::App) {
    app.start();
    app.update(Action::Memory(MemoryEvent::Listed(Ok(vec![
        row("/memories/acme.md", false, Some("Alice")),
        row("/memories/team", true, None),
        row("/memories/team/notes.md", false, Some("you")),
    ]))));
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Tab));
    assert_eq!(app.focus, Focus::Panel);
    app.update(key(KeyCode::Down));
    assert_eq!(
        app.update(key(KeyCode::Enter)),
        [Effect::Memory(MemoryJob::Open("/memories/acme.md".into()))]
    );
    app.update(Action::Memory(MemoryEvent::Opened {
        path: "/memories/acme.md".into(),
        result: Ok(file("# ACME\n\n- 40 TB by March\n")),
    }));
}

#[test]
fn the_editor_saves_with_compare_and_set_and_offers_a_way_out_of_a_conflict() {
    let mut app = app(160, 48);
    panel_with_open_file(&mut app);
    app.update(key(KeyCode::Char('e')));
    assert_eq!(app.focus, Focus::Editor);
    type_text(&mut app, "Budget 2M. ");
    let base = Version::of(b"# ACME\n\n- 40 TB by March\n");
    let effects = app.update(ctrl('s'));
    assert_eq!(
        effects,
        [Effect::Memory(MemoryJob::Save {
            path: "/memories/acme.md".into(),
            text: "Budget 2M. # ACME\n\n- 40 TB by March\n".into(),
            expect: Expect::Version(base),
            lease: None,
        })]
    );
    let theirs = file("# ACME\n\n- 40 TB by March\n- CTO: Dana\n");
    app.update(Action::Memory(MemoryEvent::Saved {
        path: "/memories/acme.md".into(),
        result: Err(SaveError::Conflict(Some(theirs.clone()))),
    }));
    let editor = app.editor.as_ref().unwrap();
    assert!(matches!(editor.state, EditorState::Conflict(_)));
    // Keep editing, then overwrite: the save names their version, so nothing newer is lost.
    app.update(key(KeyCode::Char('k')));
    assert_eq!(app.editor.as_ref().unwrap().state, EditorState::Editing);
    app.update(ctrl('s'));
    app.update(Action::Memory(MemoryEvent::Saved {
        path: "/memories/acme.md".into(),
        result: Err(SaveError::Conflict(Some(theirs.clone()))),
    }));
    let effects = app.update(key(KeyCode::Char('o')));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Memory(MemoryJob::Save { expect: Expect::Version(v), .. })] if *v == theirs.version
    ));
    // Or reload theirs: their text, no unsaved changes, Esc closes without asking.
    app.update(Action::Memory(MemoryEvent::Saved {
        path: "/memories/acme.md".into(),
        result: Err(SaveError::Conflict(Some(theirs.clone()))),
    }));
    app.update(key(KeyCode::Char('r')));
    let editor = app.editor.as_ref().unwrap();
    assert_eq!(editor.text(), theirs.text);
    assert!(!editor.is_dirty());
    app.update(key(KeyCode::Esc));
    assert!(app.editor.is_none());
    assert_eq!(app.focus, Focus::Panel);
}

#[test]
fn esc_with_unsaved_changes_asks_first() {
    let mut app = app(160, 48);
    panel_with_open_file(&mut app);
    app.update(key(KeyCode::Char('e')));
    type_text(&mut app, "x");
    app.update(key(KeyCode::Esc));
    assert_eq!(
        app.editor.as_ref().unwrap().state,
        EditorState::ConfirmDiscard
    );
    app.update(key(KeyCode::Char('n')));
    assert_eq!(app.editor.as_ref().unwrap().state, EditorState::Editing);
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::Char('y')));
    assert!(app.editor.is_none());
}

#[test]
fn panel_actions_rename_delete_undo_history_and_new_file() {
    let mut app = app(160, 48);
    panel_with_open_file(&mut app);
    app.update(key(KeyCode::Char('r')));
    for _ in 0.."acme.md".len() {
        app.update(key(KeyCode::Backspace));
    }
    type_text(&mut app, "../x.md");
    app.update(key(KeyCode::Enter));
    let Some(Dialog::Form(_, form)) = &app.dialog else {
        panic!()
    };
    assert!(
        form.error.as_ref().unwrap().contains("escape"),
        "{:?}",
        form.error
    );
    for _ in 0.."../x.md".len() {
        app.update(key(KeyCode::Backspace));
    }
    type_text(&mut app, "customer.md");
    assert_eq!(
        app.update(key(KeyCode::Enter)),
        [Effect::Memory(MemoryJob::Rename {
            from: "/memories/acme.md".into(),
            to: "/memories/customer.md".into()
        })]
    );

    app.update(key(KeyCode::Char('d')));
    assert!(matches!(app.dialog, Some(Dialog::ConfirmDelete(_))));
    assert_eq!(
        app.update(key(KeyCode::Char('y'))),
        [Effect::Memory(MemoryJob::Delete(
            "/memories/acme.md".into()
        ))]
    );
    assert_eq!(
        app.update(key(KeyCode::Char('u'))),
        [Effect::Memory(MemoryJob::Restore {
            path: "/memories/acme.md".into(),
            version: None
        })]
    );

    // The delete closed the file: open it again for the letter keys.
    assert_eq!(
        app.update(key(KeyCode::Enter)),
        [Effect::Memory(MemoryJob::Open("/memories/acme.md".into()))]
    );
    assert_eq!(
        app.update(key(KeyCode::Char('h'))),
        [Effect::Memory(MemoryJob::History(
            "/memories/acme.md".into()
        ))]
    );
    app.update(key(KeyCode::Esc));

    app.update(key(KeyCode::Char('n')));
    type_text(&mut app, "new.md");
    // The path, then when it expires (empty: never).
    app.update(key(KeyCode::Enter));
    app.update(key(KeyCode::Enter));
    let editor = app.editor.as_ref().unwrap();
    assert_eq!(editor.path, "/memories/new.md");
    assert_eq!(editor.expect(), Expect::Absent);
}

/// With the panel focused and no file open, a presenter who starts typing types the message:
/// `e`, `y`, `?` and the rest run no panel command and nothing reaches a memory file.
#[test]
fn typing_with_the_panel_focused_and_no_file_open_goes_to_the_message() {
    let mut app = app(160, 48);
    app.start();
    app.update(Action::Memory(MemoryEvent::Listed(Ok(vec![row(
        "/memories/acme.md",
        false,
        Some("Alice"),
    )]))));
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Down));
    assert_eq!(app.focus, Focus::Panel);
    let effects = type_text(&mut app, "every deadline? yes.");
    assert!(effects.is_empty(), "{effects:?}");
    assert!(app.editor.is_none() && app.dialog.is_none());
    assert_eq!(app.focus, Focus::Input);
    assert_eq!(
        app.active_tab().unwrap().input.lines().join(""),
        "every deadline? yes."
    );
    // Ctrl+N still makes a new file from the panel.
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Tab));
    app.update(ctrl('n'));
    assert!(matches!(app.dialog, Some(Dialog::Form(..))));
}

/// A sentence typed while a file is open in the focused panel, or while the chat has the
/// focus, deletes and undoes nothing: the first letter no key is bound to moves the typing to
/// the message, and a question a letter opened ("d" of "do you") is answered no by the next.
#[test]
fn a_sentence_typed_into_the_panel_or_the_chat_changes_no_memory() {
    let mut app = app(160, 48);
    panel_with_open_file(&mut app);
    let effects = type_text(&mut app, "do you know Globex?");
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Memory(_))),
        "{effects:?}"
    );
    assert!(app.dialog.is_none(), "{:?}", app.dialog);
    assert_eq!(app.focus, Focus::Input);
    assert_eq!(
        app.active_tab().unwrap().input.lines().join(""),
        " you know Globex?"
    );
    assert!(
        app.notice
            .as_ref()
            .unwrap()
            .text
            .contains("kept /memories/acme.md")
    );

    // The chat: "Thank you" runs no undo ("u") and no copy ("y").
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::Tab));
    assert_eq!(app.focus, Focus::Chat);
    let effects = type_text(&mut app, "Thank you");
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(app.focus, Focus::Input);
    assert_eq!(
        app.active_tab().unwrap().input.lines().join(""),
        "Thank you"
    );

    // Bound letters still work where they are meant: "d" then "y" deletes.
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Tab));
    assert_eq!(app.focus, Focus::Panel);
    app.update(key(KeyCode::Char('d')));
    assert_eq!(
        app.update(key(KeyCode::Char('y'))),
        [Effect::Memory(MemoryJob::Delete(
            "/memories/acme.md".into()
        ))]
    );
}

/// `e` on a file that is selected but not open opens it and edits it once it has arrived
/// (it used to say "the file is still loading" forever).
#[test]
fn e_on_a_selected_file_opens_it_for_editing() {
    let mut app = app(160, 48);
    panel_with_open_file(&mut app);
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Down));
    assert_eq!(
        app.update(key(KeyCode::Char('e'))),
        [Effect::Memory(MemoryJob::Open(
            "/memories/team/notes.md".into()
        ))]
    );
    assert!(app.editor.is_none());
    app.update(Action::Memory(MemoryEvent::Opened {
        path: "/memories/team/notes.md".into(),
        result: Ok(file("- standup at 9\n")),
    }));
    let editor = app
        .editor
        .as_ref()
        .expect("the editor opens when the file arrives");
    assert_eq!(editor.path, "/memories/team/notes.md");
    assert_eq!(app.focus, Focus::Editor);
}

#[test]
fn store_changes_flash_reload_the_open_file_and_coalesce_refreshes() {
    let mut app = app(160, 48);
    panel_with_open_file(&mut app);
    let change = |path: &str, actor: &str| {
        Action::Memory(MemoryEvent::Changed(MemoryChange {
            path: path.into(),
            kind: ChangeKind::Modified,
            actor: actor.into(),
            version: Some(Version::of(b"new")),
            is_dir: false,
        }))
    };
    // A change asks for that path only, not the whole store; while that is under way, more
    // changes wait and go together in the next one.
    assert_eq!(
        app.update(change("/memories/acme.md", "external")),
        [
            Effect::Memory(MemoryJob::Refresh(vec!["/memories/acme.md".into()])),
            Effect::Memory(MemoryJob::Open("/memories/acme.md".into()))
        ]
    );
    assert_eq!(
        app.update(change("/memories/acme.md", "John")),
        [Effect::Memory(MemoryJob::Open("/memories/acme.md".into()))]
    );
    assert!(app.update(change("/memories/team/b.md", "Sam")).is_empty());
    assert!(app.panel.flashes.contains_key("/memories/acme.md"));
    let refreshed = |paths: Vec<(&str, Vec<TreeRow>)>| {
        Action::Memory(MemoryEvent::Refreshed {
            paths: paths
                .into_iter()
                .map(|(p, rows)| (p.to_owned(), Ok(rows)))
                .collect(),
            at_ms: WALL_MS,
        })
    };
    let mut bigger = row("/memories/acme.md", false, None);
    bigger.size = 999;
    assert_eq!(
        app.update(refreshed(vec![("/memories/acme.md", vec![bigger])])),
        [Effect::Memory(MemoryJob::Refresh(vec![
            "/memories/acme.md".into(),
            "/memories/team/b.md".into()
        ]))]
    );
    let acme = app
        .panel
        .rows
        .iter()
        .find(|r| r.path == "/memories/acme.md")
        .unwrap();
    assert_eq!((acme.size, acme.actor.as_deref()), (999, Some("external")));
    // The second one: the file again (John's), and a new file in its folder, in name order.
    assert!(
        app.update(refreshed(vec![
            (
                "/memories/acme.md",
                vec![row("/memories/acme.md", false, None)]
            ),
            (
                "/memories/team/b.md",
                vec![row("/memories/team/b.md", false, None)]
            ),
        ]))
        .is_empty()
    );
    let rows: Vec<(&str, Option<&str>)> = app
        .panel
        .rows
        .iter()
        .map(|r| (r.path.as_str(), r.actor.as_deref()))
        .collect();
    assert_eq!(
        rows,
        [
            ("/memories/acme.md", Some("John")),
            ("/memories/team", None),
            ("/memories/team/b.md", Some("Sam")),
            ("/memories/team/notes.md", Some("you")),
        ]
    );
    assert_eq!(app.panel.selected.as_deref(), Some("/memories/acme.md"));
}

/// The tree follows changes without listing the store: a folder renamed elsewhere moves with
/// what is below it (keeping who changed each file), a deleted folder goes whole, a file in a
/// new folder brings its folder, and the selection follows a rename.
#[test]
fn the_tree_is_patched_by_changes() {
    let mut app = app(160, 48);
    app.start();
    app.update(Action::Memory(MemoryEvent::Listed(Ok(vec![
        row("/memories/a.md", false, Some("Alice")),
        row("/memories/team", true, None),
        row("/memories/team/x.md", false, Some("John")),
        row("/memories/team/y", true, None),
        row("/memories/team/y/z.md", false, Some("Sam")),
        row("/memories/zed.md", false, None),
    ]))));
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Down));
    assert_eq!(app.panel.selected.as_deref(), Some("/memories/team/x.md"));
    let renamed = Action::Memory(MemoryEvent::Changed(MemoryChange {
        path: "/memories/crew".into(),
        kind: ChangeKind::Renamed {
            from: "/memories/team".into(),
        },
        actor: "Sam@laptop-2".into(),
        version: None,
        is_dir: true,
    }));
    assert_eq!(
        app.update(renamed),
        [Effect::Memory(MemoryJob::Refresh(vec![
            "/memories/crew".into(),
            "/memories/team".into()
        ]))]
    );
    assert_eq!(app.panel.selected.as_deref(), Some("/memories/crew/x.md"));
    app.update(Action::Memory(MemoryEvent::Refreshed {
        paths: vec![
            (
                "/memories/crew".into(),
                Ok(vec![
                    row("/memories/crew", true, None),
                    row("/memories/crew/x.md", false, None),
                    row("/memories/crew/y", true, None),
                    row("/memories/crew/y/z.md", false, None),
                ]),
            ),
            ("/memories/team".into(), Ok(vec![])),
        ],
        at_ms: WALL_MS,
    }));
    let paths = |app: &memdeck::app::App| -> Vec<String> {
        app.panel.rows.iter().map(|r| r.path.clone()).collect()
    };
    assert_eq!(
        paths(&app),
        [
            "/memories/a.md",
            "/memories/crew",
            "/memories/crew/x.md",
            "/memories/crew/y",
            "/memories/crew/y/z.md",
            "/memories/zed.md"
        ]
    );
    assert_eq!(app.panel.selected.as_deref(), Some("/memories/crew/x.md"));
    let crew = &app.panel.rows[1];
    assert_eq!(crew.actor.as_deref(), Some("Sam@laptop-2"));

    // A file in a new folder: the folder comes with it; then the folder deleted goes whole.
    let change = |path: &str, kind| {
        Action::Memory(MemoryEvent::Changed(MemoryChange {
            path: path.into(),
            kind,
            actor: "John".into(),
            version: None,
            is_dir: false,
        }))
    };
    app.update(change("/memories/b/c/new.md", ChangeKind::Created));
    app.update(Action::Memory(MemoryEvent::Refreshed {
        paths: vec![(
            "/memories/b/c/new.md".into(),
            Ok(vec![row("/memories/b/c/new.md", false, None)]),
        )],
        at_ms: WALL_MS,
    }));
    assert_eq!(
        paths(&app)[..4],
        [
            "/memories/a.md",
            "/memories/b",
            "/memories/b/c",
            "/memories/b/c/new.md"
        ]
    );
    app.update(change("/memories/crew", ChangeKind::Deleted));
    app.update(Action::Memory(MemoryEvent::Refreshed {
        paths: vec![("/memories/crew".into(), Ok(vec![]))],
        at_ms: WALL_MS,
    }));
    assert_eq!(
        paths(&app),
        [
            "/memories/a.md",
            "/memories/b",
            "/memories/b/c",
            "/memories/b/c/new.md",
            "/memories/zed.md"
        ]
    );
    // The selection was in the deleted folder: it stays at its place.
    assert!(app.panel.selected_row().is_some());
}

#[test]
fn a_store_that_comes_back_is_listed_and_the_open_file_read_again() {
    let mut app = app(160, 48);
    panel_with_open_file(&mut app);
    let status =
        |trouble: Option<&str>| Action::Memory(MemoryEvent::Status(trouble.map(str::to_owned)));
    assert!(
        app.update(status(Some("shared memory unreachable")))
            .is_empty()
    );
    assert_eq!(
        app.update(status(None)),
        [
            Effect::Memory(MemoryJob::List),
            Effect::Memory(MemoryJob::Open("/memories/acme.md".into()))
        ]
    );
    // Only a return is news: a store that was never away asks for nothing.
    assert!(app.update(status(None)).is_empty());
}

fn renamed(from: &str, to: &str, actor: &str) -> Action {
    Action::Memory(MemoryEvent::Changed(MemoryChange {
        path: to.into(),
        kind: ChangeKind::Renamed { from: from.into() },
        actor: actor.into(),
        version: Some(Version::of(b"# ACME\n\n- 40 TB by March\n")),
        is_dir: false,
    }))
}

#[test]
fn the_open_file_the_selection_and_the_editor_follow_a_rename() {
    let mut app = app(160, 48);
    panel_with_open_file(&mut app);
    app.update(key(KeyCode::Char('e')));
    type_text(&mut app, "draft ");
    // A file whose name only starts the same stays where it is.
    app.update(renamed("/memories/acme.md.bak", "/memories/x.md", "John"));
    assert_eq!(app.panel.open.as_ref().unwrap().path, "/memories/acme.md");
    // Renamed by someone else while open and being edited.
    let effects = app.update(renamed(
        "/memories/acme.md",
        "/memories/customer.md",
        "John",
    ));
    assert!(
        effects.contains(&Effect::Memory(MemoryJob::Open(
            "/memories/customer.md".into()
        ))),
        "{effects:?}"
    );
    assert_eq!(
        app.panel.open.as_ref().unwrap().path,
        "/memories/customer.md"
    );
    assert_eq!(app.panel.selected.as_deref(), Some("/memories/customer.md"));
    let editor = app.editor.as_ref().unwrap();
    assert_eq!(editor.path, "/memories/customer.md");
    assert!(editor.changed_by.is_none(), "the text did not change");
    // Saving writes the new path, compare-and-set against the same version.
    let effects = app.update(ctrl('s'));
    assert!(
        matches!(effects.as_slice(), [Effect::Memory(MemoryJob::Save { path, .. })] if path == "/memories/customer.md"),
        "{effects:?}"
    );
    // A folder rename moves what is open below it.
    app.update(Action::Memory(MemoryEvent::Saved {
        path: "/memories/customer.md".into(),
        result: Ok(Version::of(b"draft # ACME")),
    }));
    app.update(key(KeyCode::Esc));
    app.panel.open.as_mut().unwrap().path = "/memories/team/notes.md".into();
    app.panel.folded.insert("/memories/team/old".into());
    let effects = app.update(renamed("/memories/team", "/memories/crew", "Sam"));
    assert_eq!(
        app.panel.open.as_ref().unwrap().path,
        "/memories/crew/notes.md"
    );
    assert!(app.panel.folded.contains("/memories/crew/old"));
    assert!(effects.contains(&Effect::Memory(MemoryJob::Open(
        "/memories/crew/notes.md".into()
    ))));
}

#[test]
fn help_opens_from_f1_and_from_question_mark_outside_the_input() {
    let mut app = app(160, 48);
    app.update(key(KeyCode::F(1)));
    assert!(matches!(app.dialog, Some(Dialog::Help { .. })));
    app.update(key(KeyCode::Esc));
    type_text(&mut app, "?");
    assert!(app.dialog.is_none(), "? is text in the input");
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Char('?')));
    assert!(matches!(app.dialog, Some(Dialog::Help { .. })));
}

#[test]
fn ctrl_l_redraws_the_whole_screen_whatever_has_the_keyboard() {
    let mut app = app(160, 48);
    type_text(&mut app, "draft");
    assert!(app.update(ctrl('l')).is_empty());
    assert!(app.clear && app.dirty);
    assert_eq!(
        app.active_tab().unwrap().input.lines(),
        ["draft"],
        "not typed"
    );
    app.clear = false;
    app.update(key(KeyCode::F(1)));
    app.update(ctrl('l'));
    assert!(app.clear, "also under a dialog");
    assert!(
        matches!(app.dialog, Some(Dialog::Help { .. })),
        "which stays open"
    );
}

#[test]
fn f3_picks_the_tabs_model_for_its_next_turns() {
    let mut app = app(160, 48);
    assert_eq!(app.update(key(KeyCode::F(3))), [Effect::ListModels]);
    assert!(matches!(&app.dialog, Some(Dialog::Models(p)) if p.models.is_none()));
    // Enter before the list arrives does nothing.
    app.update(key(KeyCode::Enter));
    assert!(app.dialog.is_some());
    let models = |ids: &[&str]| -> Vec<memdeck::provider::ModelInfo> {
        ids.iter()
            .map(|id| memdeck::provider::ModelInfo {
                id: (*id).into(),
                display_name: id.to_uppercase(),
                ..Default::default()
            })
            .collect()
    };
    app.update(Action::Models {
        models: models(&["claude-a", "claude-b"]),
        note: None,
    });
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Enter));
    assert!(app.dialog.is_none());
    assert_eq!(app.active_tab().unwrap().model.as_deref(), Some("claude-b"));
    let shown = screen(&app);
    assert!(shown.contains("demo model (offline) · claude-b"), "{shown}");
    let effects = {
        type_text(&mut app, "hi");
        app.update(key(KeyCode::Enter))
    };
    assert!(
        matches!(effects.as_slice(), [Effect::StartTurn { model: Some(m), .. }] if m == "claude-b"),
        "{effects:?}"
    );
    // Other tabs keep the configured model.
    app.update(alt(KeyCode::Char('2')));
    assert_eq!(app.active_tab().unwrap().model, None);
    // Opening it again selects the current choice; the first row goes back to the default.
    app.update(alt(KeyCode::Char('1')));
    app.update(key(KeyCode::F(3)));
    app.update(Action::Models {
        models: models(&["claude-a", "claude-b"]),
        note: Some("cannot list the models (offline)".into()),
    });
    let Some(Dialog::Models(picker)) = &app.dialog else {
        panic!()
    };
    assert_eq!(picker.selected, 2);
    let shown = screen(&app);
    assert!(
        shown.contains("cannot list the models (offline): the built-in list"),
        "{shown}"
    );
    app.update(key(KeyCode::Home));
    app.update(key(KeyCode::Up));
    app.update(key(KeyCode::Up));
    app.update(key(KeyCode::Enter));
    assert_eq!(app.active_tab().unwrap().model, None);
}

#[test]
fn f7_switches_context_editing_and_the_gauge_shows_the_trigger() {
    use memdeck::provider::ContextEditing;
    let mut app = app(160, 48);
    app.set_context_editing(ContextEditing::Off);
    app.tabs[0].transcript.last_prompt = 2_450;
    assert!(!screen(&app).contains("2.4k/"), "no gauge while off");
    app.update(key(KeyCode::F(7)));
    assert_eq!(app.context_editing, ContextEditing::Demo);
    assert!(
        app.notice
            .as_ref()
            .unwrap()
            .text
            .contains("passes 3000 tokens")
    );
    let shown = screen(&app);
    assert!(shown.contains("✂ ████████░░ 2.4k/3.0k"), "{shown}");
    assert!(shown.contains("passes 3000 tokens"), "the notice: {shown}");
    app.notice = None;
    let shown = screen(&app);
    assert!(shown.contains("✂ demo · saved 0"), "{shown}");
    type_text(&mut app, "hi");
    let effects = app.update(key(KeyCode::Enter));
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::StartTurn {
                context_editing: ContextEditing::Demo,
                ..
            }]
        ),
        "{effects:?}"
    );
    app.update(key(KeyCode::F(7)));
    assert_eq!(app.context_editing, ContextEditing::Production);
    app.update(key(KeyCode::F(7)));
    assert_eq!(
        app.context_editing,
        ContextEditing::Compact { trigger: 150_000 }
    );
    assert!(
        app.notice
            .as_ref()
            .unwrap()
            .text
            .contains("compaction on: once a prompt passes 150000 tokens")
    );
    app.update(key(KeyCode::F(7)));
    assert_eq!(app.context_editing, ContextEditing::Off);
    // Configured custom thresholds join the cycle.
    let custom = ContextEditing::Custom {
        trigger: 2_000,
        keep: 1,
        clear_at_least: 100,
    };
    app.set_context_editing(custom);
    app.update(key(KeyCode::F(7)));
    assert_eq!(app.context_editing, ContextEditing::Off);
    for _ in 0..4 {
        app.update(key(KeyCode::F(7)));
    }
    assert_eq!(app.context_editing, custom);
    let shown = screen(&app);
    assert!(
        shown.contains("██████████ 2.4k/2.0k"),
        "past the trigger: {shown}"
    );
}

#[test]
fn a_long_notice_takes_the_status_line_rather_than_vanishing() {
    let mut app = app(80, 24);
    let long = format!("exported to /{}", "very-long-directory/".repeat(6));
    app.notify(long.clone(), false);
    let shown = screen(&app);
    let status = shown.lines().last().unwrap().trim_matches('"').to_owned();
    assert!(
        status.starts_with(" exported to /very-long-directory/"),
        "{status:?}"
    );
    assert!(status.trim_end().ends_with('…'), "{status:?}");
}

#[test]
fn the_status_bar_shows_what_the_tokens_cost() {
    let mut app = app(200, 40);
    assert!(!screen(&app).contains("≈$"), "nothing spent, nothing shown");
    let t = &mut app.tabs[0].transcript;
    t.total_input = 1_000_000;
    t.total_output = 100_000;
    t.saved_by_context_editing = 1_000_000;
    app.tabs[1].transcript.total_output = 1_000_000;
    app.tabs[1].model = Some("claude-haiku-4-5".into());
    let shown = screen(&app);
    let status = shown.lines().last().unwrap();
    // Sonnet's default prices: $3 in, $15 out; John on Haiku: $5 out.
    assert!(
        status.contains("Alice ↑1,000,000 ↓100,000 ≈$4.50"),
        "{status}"
    );
    assert!(status.contains("≈$9.50"), "the session: {status}");
    assert!(status.contains("saved 1,000,000 ≈$3.00"), "{status}");
    // A model without a price shows tokens only.
    app.tabs[1].model = Some("local-llama".into());
    assert!(!screen(&app).contains("≈$"));
}

/// Esc while a draft is typed during a stream clears the draft (it can come back) and says that a
/// second Esc stops the answer; only that second Esc cancels.
#[test]
fn esc_clears_a_draft_before_it_stops_the_answer() {
    let mut app = app(160, 48);
    let (_, req) = send(&mut app, "hello");
    type_text(&mut app, "a question for later");
    assert!(screen(&app).contains("Esc clear draft"));
    assert!(
        app.update(key(KeyCode::Esc)).is_empty(),
        "the answer goes on"
    );
    assert_eq!(app.active_tab().unwrap().input.lines().join(""), "");
    let notice = &app.notice.as_ref().unwrap().text;
    assert!(notice.contains("Esc again stops the answer"), "{notice}");
    assert!(screen(&app).contains("Esc again stops the answer"));
    app.update(key(KeyCode::Up));
    assert_eq!(
        app.active_tab().unwrap().input.lines().join(""),
        "a question for later"
    );
    app.update(key(KeyCode::Esc));
    assert_eq!(app.update(key(KeyCode::Esc)), [Effect::Cancel(req)]);
}

/// F1 at 160×48 shows every key (it used to cut the last lines without saying so); where it
/// cannot, the last line says how much more there is.
#[test]
fn the_help_fits_a_presenters_screen_or_says_what_is_below() {
    let mut wide = app(160, 48);
    wide.update(key(KeyCode::F(1)));
    let shown = screen(&wide);
    for last in [
        "close the editor (asks if unsaved)",
        "copy the file",
        "speaker notes",
    ] {
        assert!(shown.contains(last), "{last} not in\n{shown}");
    }
    assert!(!shown.contains("more line(s)"), "{shown}");
    let mut small = app(80, 24);
    small.update(key(KeyCode::F(1)));
    assert!(screen(&small).contains("more line(s): ↓ or PageDown scrolls"));
}

/// Ctrl+R after Esc sends the cancelled turn again (it used to say "nothing to retry").
#[test]
fn ctrl_r_sends_a_cancelled_turn_again() {
    let mut app = app(160, 48);
    let (tab, req) = send(&mut app, "design it");
    assert_eq!(app.update(key(KeyCode::Esc)), [Effect::Cancel(req)]);
    app.update(ended(
        tab,
        req,
        Err(TurnError::Provider(ProviderError::Cancelled)),
    ));
    let effects = app.update(ctrl('r'));
    assert!(
        matches!(effects.as_slice(), [Effect::StartTurn { text, .. }] if text == "design it"),
        "{effects:?}"
    );
}

/// A note at the bottom of the panel goes away by itself (it stayed up for minutes).
#[test]
fn panel_notices_go_away_by_themselves() {
    let mut app = app(160, 48);
    panel_with_open_file(&mut app);
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Char('e')));
    assert!(
        app.panel.notice.is_some(),
        "the team folder cannot be edited: says so"
    );
    app.update(Action::Tick);
    app.now += std::time::Duration::from_secs(7);
    app.update(Action::Tick);
    assert!(app.panel.notice.is_none());
}

/// The snapshot's suggested name is replaced by what is typed (it used to be appended to).
#[test]
fn a_typed_snapshot_name_replaces_the_suggestion() {
    let mut app = app(160, 48);
    assert_eq!(
        app.update(key(KeyCode::F(6))),
        [Effect::Snapshot(SnapshotJob::List)]
    );
    app.update(key(KeyCode::Char('s')));
    type_text(&mut app, "before-acme");
    assert_eq!(
        app.update(key(KeyCode::Enter)),
        [Effect::Snapshot(SnapshotJob::Save("before-acme".into()))]
    );
    // Enter at once keeps the suggestion.
    app.update(key(KeyCode::F(6)));
    app.update(key(KeyCode::Char('s')));
    let effects = app.update(key(KeyCode::Enter));
    assert!(
        matches!(effects.as_slice(), [Effect::Snapshot(SnapshotJob::Save(name))] if name.starts_with("snapshot-")),
        "{effects:?}"
    );
}

/// F6 c clears the memories (a snapshot first) and keeps the conversations; F6 r still starts
/// everything over.
#[test]
fn clearing_the_memories_keeps_the_conversations() {
    let mut app = app(160, 48);
    let (tab, req) = send(&mut app, "hello");
    apply(&mut app, answer(tab, req, "hi"));
    app.update(ended(tab, req, Ok(())));
    app.update(key(KeyCode::F(6)));
    app.update(key(KeyCode::Char('c')));
    assert!(screen(&app).contains("the conversations stay"));
    assert_eq!(
        app.update(key(KeyCode::Char('y'))),
        [Effect::Snapshot(SnapshotJob::ClearMemories)]
    );
    app.update(Action::Report(Report::SnapshotDone(Ok(
        "memories cleared (2 entries), conversations kept; snapshot before-reset-x has what was there".into(),
    ))));
    assert!(
        app.tabs[0].has_history(),
        "Alice's conversation is still there"
    );
    assert!(screen(&app).contains("conversations kept"));
}

/// A save conflict shows who changed the file and how, offers a merge when the two changes
/// touch different lines, and says that overwriting keeps their version in the history.
#[test]
fn a_conflict_shows_their_change_and_merges_when_it_can() {
    let mut app = app(160, 48);
    panel_with_open_file(&mut app);
    app.update(key(KeyCode::Char('e')));
    type_text(&mut app, "Budget 2M. ");
    app.update(Action::Memory(MemoryEvent::Changed(
        memdeck::memory::MemoryChange {
            path: "/memories/acme.md".into(),
            kind: memdeck::memory::ChangeKind::Modified,
            actor: "John".into(),
            version: None,
            is_dir: false,
        },
    )));
    app.update(ctrl('s'));
    let theirs = file("# ACME\n\n- 40 TB by March\n- CTO: Dana\n");
    app.update(Action::Memory(MemoryEvent::Saved {
        path: "/memories/acme.md".into(),
        result: Err(SaveError::Conflict(Some(theirs.clone()))),
    }));
    let shown = screen(&app);
    for part in [
        "John changed the file while you edited it; their change:",
        "+ - CTO: Dana",
        "m merge both",
        "theirs stays in the history",
    ] {
        assert!(shown.contains(part), "{part} not in\n{shown}");
    }
    app.update(key(KeyCode::Char('m')));
    let editor = app.editor.as_ref().unwrap();
    assert_eq!(editor.state, EditorState::Editing);
    assert_eq!(
        editor.text(),
        "Budget 2M. # ACME\n\n- 40 TB by March\n- CTO: Dana\n"
    );
    assert_eq!(
        app.update(ctrl('s')),
        [Effect::Memory(MemoryJob::Save {
            path: "/memories/acme.md".into(),
            text: "Budget 2M. # ACME\n\n- 40 TB by March\n- CTO: Dana\n".into(),
            expect: Expect::Version(theirs.version),
            lease: None,
        })]
    );
}

/// Below 100 columns the panel cannot sit beside the chat: the status bar says how to see it,
/// and Ctrl+B opens it over the chat and closes it again, each said (it flipped a hidden
/// switch before).
#[test]
fn the_narrow_layout_says_where_the_panel_is() {
    let mut narrow = app(90, 30);
    let status = |app: &memdeck::app::App| screen(app).lines().last().unwrap().to_owned();
    assert!(status(&narrow).contains("^B memory"), "{}", status(&narrow));
    narrow.update(ctrl('b'));
    assert_eq!(narrow.focus, Focus::Panel);
    let shown = screen(&narrow);
    assert!(
        shown.contains("Memory ·"),
        "the panel covers the chat:\n{shown}"
    );
    assert!(shown.contains("covers the chat"), "{shown}");
    narrow.update(ctrl('b'));
    assert_eq!(narrow.focus, Focus::Input);
    assert!(
        status(&narrow).contains("memory panel closed"),
        "{}",
        status(&narrow)
    );
    // Wide: Ctrl+B still hides and shows it beside the chat.
    let mut wide = app(160, 48);
    wide.update(ctrl('b'));
    assert!(!wide.panel_shown);
}

/// F4 puts tabs side by side for the audience: the active one and the next ones in columns,
/// each streaming its own answer; a click on another column makes its tab the active one.
#[test]
fn side_by_side_shows_several_tabs_streaming_at_once() {
    let mut app = app(220, 48);
    let (alice, alice_req) = send(&mut app, "Acme wants 40 TB");
    apply(
        &mut app,
        text_then_tool(alice, alice_req, "Alice's answer so far", ""),
    );
    app.update(alt(KeyCode::Char('2')));
    let (john, john_req) = send(&mut app, "Design it");
    apply(
        &mut app,
        text_then_tool(john, john_req, "John's answer so far", ""),
    );
    app.update(alt(KeyCode::Char('1')));
    assert!(
        !screen(&app).contains("John's answer so far"),
        "one tab at a time by default"
    );
    app.update(key(KeyCode::F(4)));
    let shown = screen(&app);
    for part in ["Alice's answer so far", "John's answer so far", " Sam · "] {
        assert!(shown.contains(part), "{part} not in\n{shown}");
    }
    let alice_row = shown
        .lines()
        .find(|l| l.contains("Alice's answer so far"))
        .unwrap();
    assert!(alice_row.contains("│"), "columns side by side: {alice_row}");
    // A click in the second column makes John the active tab.
    draw(&app);
    let areas = app.areas().unwrap();
    app.update(Action::Term(Event::Mouse(crossterm::event::MouseEvent {
        kind: crossterm::event::MouseEventKind::Down(crossterm::event::MouseButton::Left),
        column: areas.chat.x + areas.chat.width / 3 + 5,
        row: areas.chat.y + 3,
        modifiers: KeyModifiers::NONE,
    })));
    assert_eq!(app.active, 1);
    // Too narrow for two columns: it says so.
    let mut small = app_narrow();
    small.update(key(KeyCode::F(4)));
    assert!(
        small
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("needs a wider screen")
    );
}

fn app_narrow() -> memdeck::app::App {
    app(100, 30)
}

/// Closing a tab keeps what it cost in the session's figure (it used to lose the dollars).
#[test]
fn a_closed_tab_still_counts_in_the_session_cost() {
    let mut app = app(200, 40);
    app.tabs[0].transcript.total_input = 1_000_000;
    app.tabs[1].transcript.total_input = 1_000_000;
    assert!(
        screen(&app)
            .lines()
            .last()
            .unwrap()
            .contains("session ↑2,000,000 ↓0 ≈$6.00")
    );
    app.active = 1;
    app.update(ctrl('w'));
    if matches!(app.dialog, Some(Dialog::ConfirmCloseTab(_))) {
        app.update(key(KeyCode::Char('y')));
    }
    assert_eq!(app.tabs.len(), 2);
    let status = screen(&app);
    let status = status.lines().last().unwrap();
    assert!(status.contains("session ↑2,000,000 ↓0 ≈$6.00"), "{status}");
}

/// On the demo model nothing is billed: the status bar says so and shows no dollars.
#[test]
fn the_demo_model_costs_nothing_and_says_so() {
    let mut app = app(200, 40);
    app.pricing.free = true;
    app.tabs[0].transcript.total_input = 1_000_000;
    app.tabs[0].transcript.total_output = 1_000;
    let shown = screen(&app);
    let status = shown.lines().last().unwrap();
    assert!(!status.contains('$'), "{status}");
    assert!(
        status.contains("session ↑1,000,000 ↓1,000 free"),
        "{status}"
    );
    let report = app.pricing.report(&[memdeck::chat::cost::TabUsage {
        persona: "Alice",
        model: None,
        tokens: memdeck::chat::cost::Tokens {
            input: 1_000,
            output: 10,
            cache_read: 0,
        },
        saved: 0,
    }]);
    assert_eq!(
        report,
        [
            "Alice: 1,000 in, 10 out (demo model: no cost)",
            "Total: 1,000 in, 10 out; the offline demo model costs nothing"
        ]
    );
}

#[test]
fn quitting_asks_while_a_turn_streams_and_cancels_it() {
    let mut app = app(160, 48);
    assert_eq!(app.update(ctrl('q')), [Effect::Quit]);
    let (_, req) = send(&mut app, "hello");
    assert!(app.update(ctrl('q')).is_empty());
    assert!(matches!(app.dialog, Some(Dialog::ConfirmQuit)));
    assert_eq!(
        app.update(key(KeyCode::Char('y'))),
        [Effect::Cancel(req), Effect::Quit]
    );
}

#[test]
fn mouse_clicks_select_tabs() {
    let mut app = app(160, 48);
    draw(&app);
    let (from, _) = app.hits.borrow().tabs[2];
    app.update(Action::Term(Event::Mouse(crossterm::event::MouseEvent {
        kind: crossterm::event::MouseEventKind::Down(crossterm::event::MouseButton::Left),
        column: from + 2,
        row: 0,
        modifiers: KeyModifiers::NONE,
    })));
    assert_eq!(app.active, 2);
}

/// The theme colours the whole screen: with `light`, nothing is drawn in the dark theme's
/// white, hints are black, the status bar is light grey, and a yellow persona is darkened.
#[test]
fn the_light_theme_colours_every_part_of_the_screen() {
    use memdeck::ui::theme::Theme;
    use ratatui::style::Color;
    let mut app = app(120, 30);
    let light = Theme::find("light").unwrap();
    app.set_hint_style(light.dim);
    let (tab, req) = send(&mut app, "hello **there**");
    apply(
        &mut app,
        answer(
            tab,
            req,
            "# Plan\n\nSee `code` and [docs](https://example.com).",
        ),
    );
    app.update(alt(KeyCode::Char('3')));
    let terminal = draw_in(&app, &light);
    let buffer = terminal.backend().buffer();
    let mut foregrounds = std::collections::HashSet::new();
    for cell in buffer.content() {
        foregrounds.insert(cell.fg);
    }
    for faded in [
        Color::White,
        Color::Yellow,
        Color::LightYellow,
        Color::DarkGray,
    ] {
        assert!(
            !foregrounds.contains(&faded),
            "{faded:?} is drawn on a light theme"
        );
    }
    let status = buffer.area.height - 1;
    assert_eq!(buffer[(0, status)].bg, Color::Rgb(0xe4, 0xe4, 0xe4));
    // Sam's yellow, darkened, on his tab's title.
    let screen = terminal.backend().to_string();
    let (row, line) = screen
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(" Sam "))
        .unwrap();
    let col = line
        .chars()
        .take_while(|_| true)
        .collect::<String>()
        .find(" Sam ")
        .unwrap();
    let x = line[..col].chars().count() as u16 + 1;
    assert_eq!(buffer[(x, row as u16)].fg, Color::Rgb(0x8a, 0x5a, 0x00));
}

/// A typed memory shows its type in the viewer's title and its description above the text; a
/// save that breaks its header is refused in the editor with the reason, and the text stays.
#[test]
fn typed_memories_show_their_header_and_a_broken_one_is_not_saved() {
    let mut app = app(160, 48);
    panel_with_open_file(&mut app);
    let typed =
        "---\nname: Acme\ndescription: Acme's budget and contacts\ntype: project\n---\nBudget 2M\n";
    app.update(Action::Memory(MemoryEvent::Opened {
        path: "/memories/acme.md".into(),
        result: Ok(file(typed)),
    }));
    let shown = screen(&app);
    assert!(shown.contains("─ /memories/acme.md · project"), "{shown}");
    assert!(shown.contains("Acme's budget and contacts"), "{shown}");
    app.update(key(KeyCode::Char('e')));
    assert_eq!(app.focus, Focus::Editor);
    // Cursor at the start: a header of a type that does not exist goes on top.
    type_text(&mut app, "---");
    app.update(key(KeyCode::Enter));
    type_text(&mut app, "type: client");
    app.update(key(KeyCode::Enter));
    assert_eq!(app.update(ctrl('s')), []);
    let editor = app.editor.as_ref().unwrap();
    assert!(
        editor
            .message
            .as_deref()
            .is_some_and(|m| m.starts_with("Nothing was written")),
        "{:?}",
        editor.message
    );
    assert!(
        editor
            .message
            .as_deref()
            .unwrap()
            .contains("got \"client\"")
    );
    assert_eq!(editor.text(), format!("---\ntype: client\n{typed}"));
}

/// A server-side compaction shows as a card (first lines of the summary; all on Enter) and
/// its cost on the call's usage line.
#[test]
fn a_compaction_block_renders_as_a_card() {
    use memdeck::provider::{Delta, StreamEvent};
    use serde_json::json;
    let mut app = app(160, 48);
    let (tab, req) = send(&mut app, "What is the budget?");
    let summary = (1..=8)
        .map(|i| format!("Point {i} of the summary."))
        .collect::<Vec<_>>()
        .join("\n");
    let events = vec![
        StreamEvent::MessageStart {
            message: json!({"id": "m", "type": "message", "role": "assistant", "content": [],
                "usage": {"input_tokens": 23000, "output_tokens": 1}}),
        },
        StreamEvent::ContentBlockStart {
            index: 0,
            content_block: json!({"type": "compaction"}),
        },
    ];
    for e in events {
        app.update(stream(tab, req, e));
    }
    assert!(screen(&app).contains("⇣ compacting: the API is summarising"));
    for e in [
        StreamEvent::ContentBlockDelta {
            index: 0,
            delta: Delta::Other(json!({"type": "compaction_delta", "content": summary})),
        },
        StreamEvent::ContentBlockStop { index: 0 },
        StreamEvent::MessageDelta {
            delta: json!({"stop_reason": "end_turn"}),
            usage: Some(json!({"output_tokens": 10, "iterations": [
                {"type": "compaction", "input_tokens": 180000, "output_tokens": 3500},
                {"type": "message", "input_tokens": 23000, "output_tokens": 10}]})),
            context_management: None,
        },
        StreamEvent::MessageStop,
    ] {
        app.update(stream(tab, req, e));
    }
    let shown = screen(&app);
    assert!(
        shown.contains("⇣ compacted: the conversation so far is now this summary"),
        "{shown}"
    );
    assert!(shown.contains("│ Point 4 of the summary."), "{shown}");
    assert!(!shown.contains("Point 5 of"), "{shown}");
    assert!(
        shown.contains("… 4 more lines (Enter shows them)"),
        "{shown}"
    );
    assert!(
        shown.contains("compaction 180,000 in · 3,500 out"),
        "{shown}"
    );
    assert_eq!(app.tabs[0].transcript.compaction_tokens, 183_500);
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Up));
    app.update(key(KeyCode::Enter));
    let shown = screen(&app);
    assert!(shown.contains("│ Point 8 of the summary."), "{shown}");
}

/// Stop reasons a person must know about are said plainly under the answer; ordinary ones
/// say nothing.
#[test]
fn refusals_and_limits_are_said_plainly() {
    use memdeck::provider::StreamEvent;
    use serde_json::json;
    let cases = [
        (
            "refusal",
            Some("Claude declined to go on with this request"),
        ),
        (
            "model_context_window_exceeded",
            Some("no longer fits the model's context window"),
        ),
        ("max_tokens", Some("reached the max_tokens limit")),
        ("end_turn", None),
        ("stop_sequence", None),
    ];
    for (reason, said) in cases {
        let mut app = app(160, 48);
        let (tab, req) = send(&mut app, "hello");
        for e in [
            StreamEvent::MessageStart {
                message: json!({"id": "m", "type": "message", "role": "assistant", "content": [],
                    "usage": {"input_tokens": 10, "output_tokens": 1}}),
            },
            StreamEvent::MessageDelta {
                delta: json!({"stop_reason": reason}),
                usage: Some(json!({"output_tokens": 2})),
                context_management: None,
            },
            StreamEvent::MessageStop,
        ] {
            app.update(stream(tab, req, e));
        }
        let shown = screen(&app);
        match said {
            Some(text) => assert!(shown.contains(text), "{reason}: {shown}"),
            None => assert!(!shown.contains("⚠"), "{reason}: {shown}"),
        }
    }
}

/// Others' changes to files a tab's model read are told to the model with the tab's next
/// message (once), and shown; the tab's own changes and files it never read are not.
#[test]
fn others_changes_to_files_a_tab_read_are_told_with_its_next_message() {
    use memdeck::chat::AgentEvent;
    use serde_json::json;
    let mut app = app(160, 48);
    app.start();
    let (tab, req) = send(&mut app, "What about Acme?");
    app.update(Action::Agent {
        tab,
        req,
        event: AgentEvent::ToolStarted {
            id: "t1".into(),
            name: "memory".into(),
            input: json!({"command": "view", "path": "/memories/customers/acme.md"}),
        },
    });
    app.update(ended(tab, req, Ok(())));
    let change = |path: &str, kind: ChangeKind, actor: &str| {
        Action::Memory(MemoryEvent::Changed(MemoryChange {
            path: path.into(),
            kind,
            actor: actor.into(),
            version: None,
            is_dir: false,
        }))
    };
    app.update(change(
        "/memories/customers/acme.md",
        ChangeKind::Modified,
        "Alice",
    ));
    app.update(change("/memories/globex.md", ChangeKind::Modified, "John"));
    app.update(change(
        "/memories/customers/acme.md",
        ChangeKind::Modified,
        "John@laptop-2",
    ));
    app.update(change(
        "/memories/customers/acme.md",
        ChangeKind::Modified,
        "you",
    ));
    type_text(&mut app, "And now?");
    let effects = app.update(key(KeyCode::Enter));
    let note = match effects.as_slice() {
        [Effect::StartTurn { note, .. }] => note.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        note.as_deref(),
        Some(
            "(memdeck: since your last answer, memory files this conversation read were changed by \
             others: a person, in the memory panel, edited /memories/customers/acme.md. What you \
             read earlier may be out of date; view them again before relying on them.)"
        )
    );
    let shown = screen(&app);
    assert!(
        shown.contains("↺ told Claude: since your last answer"),
        "{shown}"
    );
    let (tab, req) = match effects.as_slice() {
        [Effect::StartTurn { tab, req, .. }] => (*tab, *req),
        _ => unreachable!(),
    };
    app.update(ended(tab, req, Ok(())));
    // A folder renamed away is told too; then nothing is left to tell.
    app.update(Action::Memory(MemoryEvent::Changed(MemoryChange {
        path: "/memories/clients".into(),
        kind: ChangeKind::Renamed {
            from: "/memories/customers".into(),
        },
        actor: "Sam".into(),
        version: None,
        is_dir: true,
    })));
    type_text(&mut app, "Where is it?");
    let effects = app.update(key(KeyCode::Enter));
    assert!(
        matches!(effects.as_slice(), [Effect::StartTurn { note: Some(n), .. }]
            if n.contains("Sam renamed /memories/customers to /memories/clients")),
        "{effects:?}"
    );
    let (tab, req) = match effects.as_slice() {
        [Effect::StartTurn { tab, req, .. }] => (*tab, *req),
        _ => unreachable!(),
    };
    app.update(ended(tab, req, Ok(())));
    type_text(&mut app, "Thanks");
    assert!(matches!(
        app.update(key(KeyCode::Enter)).as_slice(),
        [Effect::StartTurn { note: None, .. }]
    ));
}

/// A picked model's limits from the models list fit the turn: an adaptive-only model gets
/// adaptive thinking instead of a budget, its max_tokens at most, clearing instead of
/// compaction it does not offer; the picker says so, and the tab's thinking blocks go (their
/// signatures hold for the model that wrote them).
#[test]
fn a_picked_model_s_limits_fit_the_turn_and_old_thinking_goes() {
    use memdeck::provider::{ContextEditing, ModelInfo, ModelLimits, Thinking};
    use serde_json::json;
    let mut app = app(160, 48);
    app.turn_defaults = (64_000, Thinking::Budget(8_000));
    app.set_context_editing(ContextEditing::Compact { trigger: 150_000 });
    app.tabs[0].conversation.messages = vec![
        json!({"role": "user", "content": "hi"}),
        json!({"role": "assistant", "content": [
            {"type": "thinking", "thinking": "hmm", "signature": "sig"},
            {"type": "text", "text": "Hello."}]}),
    ];
    app.update(key(KeyCode::F(3)));
    app.update(Action::Models {
        models: vec![ModelInfo {
            id: "claude-opus-5".into(),
            display_name: "Claude Opus 5".into(),
            limits: ModelLimits {
                max_input_tokens: Some(1_000_000),
                max_tokens: Some(32_000),
                thinking_budget: Some(false),
                thinking_adaptive: Some(true),
                clearing: Some(true),
                compaction: Some(false),
                ..ModelLimits::default()
            },
        }],
        note: None,
    });
    let shown = screen(&app);
    assert!(
        shown.contains("1M in · 32k out · adaptive thinking only"),
        "{shown}"
    );
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Enter));
    let notice = app.notice.as_ref().unwrap().text.clone();
    assert!(
        notice.contains("for claude-opus-5: max_tokens 64000 → 32000")
            && notice.contains("thinking adaptive")
            && notice.contains("clearing old tool results instead of compaction"),
        "{notice}"
    );
    assert_eq!(
        app.tabs[0].conversation.messages[1]["content"],
        json!([{"type": "text", "text": "Hello."}])
    );
    type_text(&mut app, "next");
    let effects = app.update(key(KeyCode::Enter));
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::StartTurn {
                max_tokens: 32_000,
                thinking: Thinking::Adaptive,
                context_editing: ContextEditing::Production,
                ..
            }]
        ),
        "{effects:?}"
    );
}

/// Past `consolidate_after` changes the app suggests consolidating (once); Alt+C opens the
/// proposal and starts the count again.
#[test]
fn many_changes_suggest_consolidating() {
    let mut app = app(160, 48);
    app.consolidate_after = 3;
    let change = |i: usize| {
        Action::Memory(MemoryEvent::Changed(MemoryChange {
            path: format!("/memories/n{i}.md"),
            kind: ChangeKind::Created,
            actor: "John".into(),
            version: None,
            is_dir: false,
        }))
    };
    app.update(change(1));
    app.update(change(2));
    assert!(app.notice.is_none());
    app.update(change(3));
    let notice = app.notice.as_ref().unwrap().text.clone();
    assert!(
        notice.starts_with("3 changes to memory since it was last tidied: Alt+C proposes"),
        "{notice}"
    );
    app.notice = None;
    app.update(change(4));
    assert!(app.notice.is_none(), "said once");
    let effects = app.update(alt(KeyCode::Char('c')));
    assert_eq!(effects, [Effect::Memory(MemoryJob::Consolidate)]);
    assert!(matches!(app.dialog, Some(Dialog::Consolidate(_))));
    assert_eq!(app.changes_since_consolidation, 0);
}

/// The models list asked for at start names the configured model: tabs without a model of
/// their own are fitted to it.
#[test]
fn the_configured_model_is_fitted_from_the_list_asked_for_at_start() {
    use memdeck::provider::{ContextEditing, ModelInfo, ModelLimits, Thinking};
    let mut app = app(160, 48);
    app.list_models_at_start = true;
    app.configured_model = Some("claude-haiku-4-5".into());
    app.turn_defaults = (100_000, Thinking::Adaptive);
    app.set_context_editing(ContextEditing::Off);
    assert!(app.start().contains(&Effect::ListModels));
    app.update(Action::Models {
        models: vec![ModelInfo {
            id: "claude-haiku-4-5".into(),
            display_name: "Claude Haiku 4.5".into(),
            limits: ModelLimits {
                max_tokens: Some(64_000),
                thinking_budget: Some(true),
                thinking_adaptive: Some(false),
                ..ModelLimits::default()
            },
        }],
        note: None,
    });
    assert!(app.dialog.is_none(), "no picker opens by itself");
    type_text(&mut app, "hi");
    let effects = app.update(key(KeyCode::Enter));
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::StartTurn {
                max_tokens: 64_000,
                thinking: Thinking::Budget(4096),
                ..
            }]
        ),
        "{effects:?}"
    );
}

/// A consolidation that could not be applied (a file changed since the proposal) says so in
/// its dialog and offers no undo: nothing was written.
#[test]
fn a_stale_consolidation_says_nothing_was_written() {
    use memdeck::memory::consolidate::{Plan, Step};
    let mut app = app(160, 48);
    app.update(alt(KeyCode::Char('c')));
    app.update(Action::Memory(MemoryEvent::ConsolidationProposed(Ok(
        Plan {
            steps: vec![Step {
                path: "/memories/acme.md".into(),
                old: Version::of(b"- a\n- a\n"),
                old_text: "- a\n- a\n".into(),
                new_text: Some("- a\n".into()),
                reasons: vec!["repeated line dropped: - a".into()],
            }],
        },
    ))));
    assert!(screen(&app).contains("Proposed: 1 file tidied, 0 merged away."));
    let effects = app.update(key(KeyCode::Enter));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Memory(MemoryJob::ApplyConsolidation(_))]
    ));
    app.update(Action::Memory(MemoryEvent::Consolidated {
        changes: Vec::new(),
        stopped: Some(
            "/memories/acme.md changed since the plan was made; nothing was written".into(),
        ),
    }));
    let shown = screen(&app);
    assert!(
        shown.contains("Not applied: /memories/acme.md changed since the plan was made"),
        "{shown}"
    );
    assert!(!shown.contains("u undo it all"), "{shown}");
    assert!(app.notice.as_ref().unwrap().error);
    assert_eq!(app.update(key(KeyCode::Char('u'))), []);
}

/// `tell_changes = off`: others' changes are not told.
#[test]
fn telling_changes_can_be_switched_off() {
    use memdeck::chat::AgentEvent;
    use serde_json::json;
    let mut app = app(160, 48);
    app.tell_changes = false;
    app.start();
    let (tab, req) = send(&mut app, "What about Acme?");
    app.update(Action::Agent {
        tab,
        req,
        event: AgentEvent::ToolStarted {
            id: "t1".into(),
            name: "memory".into(),
            input: json!({"command": "view", "path": "/memories/acme.md"}),
        },
    });
    app.update(ended(tab, req, Ok(())));
    app.update(Action::Memory(MemoryEvent::Changed(MemoryChange {
        path: "/memories/acme.md".into(),
        kind: ChangeKind::Modified,
        actor: "John".into(),
        version: None,
        is_dir: false,
    })));
    type_text(&mut app, "And now?");
    assert!(matches!(
        app.update(key(KeyCode::Enter)).as_slice(),
        [Effect::StartTurn { note: None, .. }]
    ));
}

/// Each tab's badge follows its turn: answering, waiting on a tool call, finished unseen,
/// failed, cancelled; a tab in the background that finishes or fails asks for a
/// notification, one shown or cancelled does not.
#[test]
fn badges_follow_each_turn_and_background_endings_notify() {
    let mut app = app(160, 48);
    let (alice, a_req) = send(&mut app, "about acme");
    assert_eq!(app.tabs[0].badge(), Badge::Streaming);
    let tool = r#"{"command":"view","path":"/memories"}"#;
    apply(&mut app, text_then_tool(alice, a_req, "let me look", tool));
    assert_eq!(
        app.tabs[0].badge(),
        Badge::Streaming,
        "input still arriving"
    );
    app.update(Action::Agent {
        tab: alice,
        req: a_req,
        event: memdeck::chat::AgentEvent::ToolStarted {
            id: "toolu_1".into(),
            name: "memory".into(),
            input: serde_json::json!({"command": "view", "path": "/memories"}),
        },
    });
    assert_eq!(app.tabs[0].badge(), Badge::Tool);
    assert!(screen(&app).contains("Alice  ⇄"), "{}", screen(&app));
    app.update(tool_finished(alice, a_req, "Here are the files", false));
    assert_eq!(app.tabs[0].badge(), Badge::Streaming);

    // John's tab shown: Alice's turn ends out of sight.
    app.update(alt(KeyCode::Char('2')));
    let (john, j_req) = send(&mut app, "architecture?");
    let effects = app.update(ended(alice, a_req, Ok(())));
    assert!(
        effects.contains(&Effect::Notify {
            title: "memdeck".into(),
            body: "Alice finished".into()
        }),
        "{effects:?}"
    );
    assert_eq!(app.tabs[0].badge(), Badge::Unseen);
    assert!(screen(&app).contains("Alice  •"), "{}", screen(&app));
    // John's own turn ends in view: no notification.
    let effects = app.update(ended(john, j_req, Ok(())));
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Notify { .. })),
        "{effects:?}"
    );
    assert_eq!(app.tabs[1].badge(), Badge::Quiet);

    // Sam fails in the background; Alice is cancelled in the background (no notification).
    app.update(alt(KeyCode::Char('3')));
    let (sam, s_req) = send(&mut app, "numbers?");
    app.update(alt(KeyCode::Char('1')));
    let (alice, a_req) = send(&mut app, "again");
    app.update(alt(KeyCode::Char('2')));
    let error = ProviderError::Http {
        status: 529,
        kind: Some("overloaded_error".into()),
        message: "the API is overloaded\nsecond line".into(),
        request_id: None,
    };
    let effects = app.update(ended(sam, s_req, Err(TurnError::Provider(error))));
    let Some(Effect::Notify { body, .. }) =
        effects.iter().find(|e| matches!(e, Effect::Notify { .. }))
    else {
        panic!("{effects:?}")
    };
    assert!(body.starts_with("Sam failed: "), "{body}");
    assert!(!body.contains('\n'), "one line: {body}");
    assert_eq!(app.tabs[2].badge(), Badge::Failed);
    let effects = app.update(ended(
        alice,
        a_req,
        Err(TurnError::Provider(ProviderError::Cancelled)),
    ));
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Notify { .. })),
        "{effects:?}"
    );
    assert_eq!(app.tabs[0].badge(), Badge::Cancelled);
    let bar = screen(&app);
    let tabs = bar.lines().next().unwrap();
    assert!(tabs.contains("Alice  ⊘"), "{tabs}");
    assert!(tabs.contains("Sam  ✗"), "{tabs}");
    // Looking at a failed tab keeps its mark (Ctrl+R retries); an unseen one is cleared.
    app.update(alt(KeyCode::Char('3')));
    assert_eq!(app.tabs[2].badge(), Badge::Failed);
}

/// F12 hands the mouse to the terminal (its own selection) and back; the status bar says so
/// while it is off.
#[test]
fn f12_turns_mouse_capture_off_and_on_and_the_status_bar_says_so() {
    let mut app = app(160, 48);
    assert!(app.mouse);
    assert!(!screen(&app).contains("mouse off"));
    assert_eq!(app.update(key(KeyCode::F(12))), [Effect::Mouse(false)]);
    assert!(!app.mouse);
    let shown = screen(&app);
    let status = shown.lines().last().unwrap();
    assert!(status.contains("mouse off (F12)"), "{status}");
    assert!(shown.contains("drag to select text"), "{shown}");
    // From the chat and the panel too.
    app.focus = Focus::Panel;
    assert_eq!(app.update(key(KeyCode::F(12))), [Effect::Mouse(true)]);
    assert!(!screen(&app).lines().last().unwrap().contains("mouse off"));
}

fn click(app: &mut memdeck::app::App, column: u16, row: u16) {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    app.update(Action::Term(Event::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })));
}

fn copied(effects: &[Effect]) -> &str {
    match effects {
        [Effect::Copy(text)] => text,
        other => panic!("{other:?}"),
    }
}

/// In the chat, Up/Down select messages as well as cards, Left/Right a code block of the
/// selected message (its gutter drawn bold), `y` copies the choice; a click on a code block
/// selects it; a tool card copies its input and result.
#[test]
fn a_message_a_code_block_or_a_tool_card_is_selected_and_copied() {
    let mut app = app(160, 48);
    let (tab, req) = send(&mut app, "how do we deploy?");
    let answer_text =
        "Two steps:\n\n```sh\nmake build\n```\n\nthen\n\n```\nmake deploy ENV=prod\n```\n";
    apply(&mut app, answer(tab, req, answer_text));
    app.update(ended(tab, req, Ok(())));
    app.update(key(KeyCode::Tab));
    assert_eq!(app.focus, Focus::Chat);
    app.update(key(KeyCode::Up));
    assert_eq!(copied(&app.update(key(KeyCode::Char('y')))), answer_text);
    assert!(screen(&app).contains("copied the answer: 11 lines"));
    app.update(key(KeyCode::Right));
    let shown = screen(&app);
    assert!(shown.contains("┃ make build"), "{shown}");
    assert!(shown.contains("│ make deploy ENV=prod"), "{shown}");
    assert_eq!(copied(&app.update(key(KeyCode::Char('y')))), "make build");
    assert!(screen(&app).contains("copied code block 1 of 2 (sh): 1 line"));
    app.update(key(KeyCode::Right));
    app.update(key(KeyCode::Right));
    assert_eq!(copied(&app.update(ctrl('y'))), "make deploy ENV=prod");
    app.update(key(KeyCode::Left));
    app.update(key(KeyCode::Left));
    assert_eq!(copied(&app.update(key(KeyCode::Char('y')))), answer_text);
    // The person's own message.
    app.update(key(KeyCode::Up));
    assert_eq!(
        copied(&app.update(key(KeyCode::Char('y')))),
        "how do we deploy?"
    );
    app.update(key(KeyCode::Right));
    assert!(screen(&app).contains("this message has no code block"));

    // A click on the second block's line selects that block.
    let shown = screen(&app);
    let row = shown
        .lines()
        .position(|l| l.contains("make deploy ENV=prod"))
        .unwrap();
    click(&mut app, 10, u16::try_from(row).unwrap());
    assert_eq!(app.focus, Focus::Chat);
    assert_eq!(
        copied(&app.update(key(KeyCode::Char('y')))),
        "make deploy ENV=prod"
    );

    // A tool card: its input and its result.
    let (tab, req) = {
        app.focus = Focus::Input;
        send(&mut app, "what is stored?")
    };
    let input = r#"{"command":"view","path":"/memories"}"#;
    apply(&mut app, text_then_tool(tab, req, "Looking.", input));
    app.update(tool_finished(tab, req, "4K\t/memories", false));
    app.update(ended(tab, req, Ok(())));
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Up));
    let text = copied(&app.update(key(KeyCode::Char('y')))).to_owned();
    assert!(
        text.starts_with("memory view /memories\n\ninput:\n{"),
        "{text}"
    );
    assert!(text.ends_with("result:\n4K\t/memories"), "{text}");
    // Outside the chat, Ctrl+Y still copies the last answer.
    app.focus = Focus::Input;
    assert_eq!(copied(&app.update(ctrl('y'))), "Looking.");
}

/// The cell at the first place `needle` is drawn, and its style.
fn style_at(app: &memdeck::app::App, needle: &str, nth: usize) -> ratatui::style::Style {
    let terminal = draw(app);
    let buffer = terminal.backend().buffer().clone();
    let shown = screen(app);
    let mut found = shown.lines().enumerate().flat_map(|(y, line)| {
        line.match_indices(needle)
            // `screen` quotes each line: one column to take off.
            .map(move |(i, _)| (line[..i].chars().count() - 1, y))
            .collect::<Vec<_>>()
    });
    let (x, y) = found
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle} #{nth} not drawn:\n{shown}"));
    buffer[(x as u16, y as u16)].style()
}

/// Ctrl+F in the chat: hits counted and highlighted as typed (smart case), Enter and
/// Shift+Enter go round them scrolling the view to each, Esc closes and the marks go; a tab
/// change closes it too.
#[test]
fn the_chat_search_counts_highlights_and_walks_the_hits() {
    use ratatui::style::Modifier;
    let mut app = app(120, 30);
    let (tab, req) = send(&mut app, "Tell me about Globex.");
    let mut long = String::from("Globex first.\n\n");
    for i in 0..60 {
        long.push_str(&format!("Filler line {i}.\n\n"));
    }
    long.push_str("Globex again at the end, and globex in lower case.\n");
    apply(&mut app, answer(tab, req, &long));
    app.update(ended(tab, req, Ok(())));
    screen(&app);
    app.update(ctrl('f'));
    assert!(screen(&app).contains("Find in Alice's chat"));
    type_text(&mut app, "globex");
    let shown = screen(&app);
    assert!(shown.contains("3/4"), "{shown}");
    // From the view's top (the bottom of the chat): the first hit at or below it is shown,
    // reversed; the other hit on its line has the flash background.
    let current = style_at(&app, "Globex", 0);
    assert!(
        current.add_modifier.contains(Modifier::REVERSED),
        "{current:?}"
    );
    let other = style_at(&app, "globex", 0);
    assert!(
        !other.add_modifier.contains(Modifier::REVERSED),
        "{other:?}"
    );
    assert!(other.add_modifier.contains(Modifier::BOLD), "{other:?}");
    // A capital makes case matter.
    for _ in 0..6 {
        app.update(key(KeyCode::Backspace));
    }
    type_text(&mut app, "Globex");
    let at = |app: &memdeck::app::App| find_count(app, "Globex");
    assert_eq!(at(&app), "3/3");
    // Round to the first: the person's message, far above; the view goes there.
    app.update(key(KeyCode::Enter));
    assert_eq!(at(&app), "1/3");
    assert!(
        screen(&app).contains("Tell me about Globex"),
        "{}",
        screen(&app)
    );
    assert!(
        style_at(&app, "Globex", 0)
            .add_modifier
            .contains(Modifier::REVERSED)
    );
    assert!(
        !style_at(&app, "Globex", 1)
            .add_modifier
            .contains(Modifier::REVERSED)
    );
    app.update(key(KeyCode::Down));
    assert_eq!(at(&app), "2/3");
    app.update(with(KeyCode::Enter, KeyModifiers::SHIFT));
    assert_eq!(at(&app), "1/3");
    app.update(key(KeyCode::Up));
    assert_eq!(at(&app), "3/3");
    app.update(key(KeyCode::Esc));
    assert!(app.find.is_none());
    assert!(!screen(&app).contains("Find in"));
    let plain = style_at(&app, "Globex", 0);
    assert!(!plain.add_modifier.contains(Modifier::REVERSED));
    assert!(
        app.tabs[0].input.is_empty(),
        "the search typed nothing into the draft"
    );
    // Open again, switch tab: closed.
    app.update(ctrl('f'));
    app.update(alt(KeyCode::Char('2')));
    assert!(app.find.is_none());
}

/// `/` in the panel searches the files' names and text through the store; each hit opens its
/// file at the line; results of an older query are dropped.
#[test]
fn the_panel_search_asks_the_store_and_opens_each_hit() {
    use memdeck::app::find::FoundFile;
    let mut app = app(160, 48);
    app.focus = Focus::Panel;
    app.update(key(KeyCode::Char('/')));
    let effects = type_text(&mut app, "globex");
    assert!(
        effects.contains(&Effect::Memory(MemoryJob::Search("globex".into()))),
        "{effects:?}"
    );
    assert!(screen(&app).contains("searching…"));
    let found = |query: &str| MemoryEvent::Found {
        query: query.into(),
        result: Ok(vec![
            FoundFile {
                path: "/memories/clients/globex.md".into(),
                name: true,
                lines: vec![(6, "Globex runs 12 plants.".into())],
                total: 1,
            },
            FoundFile {
                path: "/memories/notes.md".into(),
                name: false,
                lines: vec![(2, "Alice met Globex in Berlin.".into())],
                total: 1,
            },
        ]),
    };
    // An older query's answer is dropped.
    app.update(Action::Memory(found("globe")));
    assert!(app.panel.found.is_none());
    let effects = app.update(Action::Memory(found("globex")));
    assert_eq!(
        effects,
        [Effect::Memory(MemoryJob::Open(
            "/memories/clients/globex.md".into()
        ))]
    );
    let shown = screen(&app);
    assert!(
        shown.contains("clients/globex.md:6  Globex runs 12 plants."),
        "{shown}"
    );
    assert!(
        shown.contains("notes.md:2  Alice met Globex in Berlin."),
        "{shown}"
    );
    assert!(shown.contains("1/3"), "{shown}");
    // The same file's line: no second read, the viewer goes to line 6.
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert_eq!(app.panel.open.as_ref().unwrap().focus_line, Some(6));
    let effects = app.update(key(KeyCode::Down));
    assert_eq!(
        effects,
        [Effect::Memory(MemoryJob::Open("/memories/notes.md".into()))]
    );
    assert_eq!(app.panel.selected.as_deref(), Some("/memories/notes.md"));
    app.update(key(KeyCode::Esc));
    assert!(app.find.is_none());
    assert_eq!(
        app.panel.open.as_ref().map(|o| o.path.as_str()),
        Some("/memories/notes.md"),
        "the file stays open"
    );
}

/// While the search is open, text streaming in is counted as it arrives (the hits are kept
/// between frames only while the lines they came from stay the same).
#[test]
fn the_chat_search_counts_text_that_streams_in() {
    let mut app = app(120, 30);
    let (tab, req) = send(&mut app, "Tell me about Globex.");
    screen(&app);
    app.update(ctrl('f'));
    type_text(&mut app, "globex");
    let count = |app: &memdeck::app::App| find_count(app, "globex");
    assert_eq!(count(&app), "1/1");
    apply(
        &mut app,
        answer(tab, req, "Globex runs 12 plants; globex wants SSO."),
    );
    screen(&app);
    assert_eq!(count(&app), "1/3");
    app.update(ended(tab, req, Ok(())));
    assert_eq!(count(&app), "1/3");
}

/// What the search field shows after `query` and its cursor: "3/12", "no", "searching…".
fn find_count(app: &memdeck::app::App, query: &str) -> String {
    let shown = screen(app);
    let line = shown
        .lines()
        .find(|l| l.contains(&format!("{query}▏")))
        .unwrap()
        .to_owned();
    line.split_whitespace().nth(1).unwrap().to_owned()
}
