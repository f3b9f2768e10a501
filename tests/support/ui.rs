//! Helpers for driving the app without a terminal: keys, text, stream events for a tab, and a
//! fixed clock so that screens are the same on every run.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use memdeck::app::{Action, App, Effect, Labels, RequestId, TabId};
use memdeck::chat::AgentEvent;
use memdeck::chat::persona::default_team;
use memdeck::memory::ToolResult;
use memdeck::provider::{Delta, StreamEvent};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use serde_json::json;

/// Wall-clock time the screens are drawn at: 2026-11-21 12:00:00 UTC.
pub const WALL_MS: u64 = 1_795_262_400_000;

pub fn app(width: u16, height: u16) -> App {
    let labels = Labels {
        provider: "demo model (offline)".to_owned(),
        store: "local directory ./memories".to_owned(),
    };
    let mut app = App::new(default_team(), labels, Rect::new(0, 0, width, height));
    app.wall_ms = WALL_MS;
    app
}

pub fn key(code: KeyCode) -> Action {
    Action::Term(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub fn ctrl(c: char) -> Action {
    Action::Term(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )))
}

pub fn alt(code: KeyCode) -> Action {
    Action::Term(Event::Key(KeyEvent::new(code, KeyModifiers::ALT)))
}

pub fn with(code: KeyCode, modifiers: KeyModifiers) -> Action {
    Action::Term(Event::Key(KeyEvent::new(code, modifiers)))
}

/// Type `text` key by key; returns every command.
pub fn type_text(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| app.update(key(KeyCode::Char(c))))
        .collect()
}

/// Type and send; returns the turn's tab and request.
pub fn send(app: &mut App, text: &str) -> (TabId, RequestId) {
    type_text(app, text);
    let effects = app.update(key(KeyCode::Enter));
    match effects.as_slice() {
        [
            Effect::StartTurn {
                tab,
                req,
                text: sent,
                ..
            },
        ] => {
            assert_eq!(sent, text);
            (*tab, *req)
        }
        other => panic!("Enter should start a turn, got {other:?}"),
    }
}

pub fn stream(tab: TabId, req: RequestId, event: StreamEvent) -> Action {
    Action::Agent {
        tab,
        req,
        event: AgentEvent::Stream(event),
    }
}

/// The events of a model call that starts with `text` and then writes a memory file, cut
/// after `json_prefix` of the tool input.
pub fn text_then_tool(tab: TabId, req: RequestId, text: &str, tool_input: &str) -> Vec<Action> {
    vec![
        stream(
            tab,
            req,
            StreamEvent::MessageStart {
                message: json!({"id": "msg_1", "role": "assistant", "content": [],
                                "usage": {"input_tokens": 1200, "output_tokens": 1}}),
            },
        ),
        stream(
            tab,
            req,
            StreamEvent::ContentBlockStart {
                index: 0,
                content_block: json!({"type": "text", "text": ""}),
            },
        ),
        stream(
            tab,
            req,
            StreamEvent::ContentBlockDelta {
                index: 0,
                delta: Delta::TextDelta {
                    text: text.to_owned(),
                },
            },
        ),
        stream(tab, req, StreamEvent::ContentBlockStop { index: 0 }),
        stream(
            tab,
            req,
            StreamEvent::ContentBlockStart {
                index: 1,
                content_block: json!({"type": "tool_use", "id": "toolu_1", "name": "memory", "input": {}}),
            },
        ),
        stream(
            tab,
            req,
            StreamEvent::ContentBlockDelta {
                index: 1,
                delta: Delta::InputJsonDelta {
                    partial_json: tool_input.to_owned(),
                },
            },
        ),
    ]
}

/// A finished text-only model call.
pub fn answer(tab: TabId, req: RequestId, text: &str) -> Vec<Action> {
    let mut events = text_then_tool(tab, req, text, "");
    events.truncate(4);
    events.push(stream(
        tab,
        req,
        StreamEvent::MessageDelta {
            delta: json!({"stop_reason": "end_turn"}),
            usage: Some(json!({"output_tokens": 42})),
            context_management: None,
        },
    ));
    events.push(stream(tab, req, StreamEvent::MessageStop));
    events
}

pub fn tool_finished(tab: TabId, req: RequestId, content: &str, is_error: bool) -> Action {
    Action::Agent {
        tab,
        req,
        event: AgentEvent::ToolFinished {
            id: "toolu_1".to_owned(),
            result: ToolResult {
                content: content.to_owned(),
                is_error,
            },
        },
    }
}

pub fn apply(app: &mut App, actions: Vec<Action>) -> Vec<Effect> {
    actions.into_iter().flat_map(|a| app.update(a)).collect()
}

/// Draw the app into a test terminal of its size, in the default theme.
pub fn draw(app: &App) -> Terminal<TestBackend> {
    draw_in(app, &memdeck::ui::theme::Theme::default())
}

/// Draw the app into a test terminal of its size, in `theme`'s colours.
pub fn draw_in(app: &App, theme: &memdeck::ui::theme::Theme) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(app.size.width, app.size.height)).unwrap();
    terminal
        .draw(|f| memdeck::ui::draw(f.buffer_mut(), app, theme))
        .unwrap();
    terminal
}

/// The screen as text.
pub fn screen(app: &App) -> String {
    draw(app).backend().to_string()
}

/// An instant `ms` after `base`.
pub fn later(base: Instant, ms: u64) -> Instant {
    base + Duration::from_millis(ms)
}
