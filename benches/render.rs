//! Rendering cost: one frame with a 5,000-message history in view, and a 2,000-token answer
//! streamed into a 160×48 screen the way the loop does it (update, and a frame every 8 deltas:
//! 2 ms per token at 60 frames a second).
#![allow(clippy::unwrap_used, clippy::pedantic)]

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use memdeck::app::{Action, App, Effect, Labels, RequestId, TabId};
use memdeck::chat::persona::default_team;
use memdeck::chat::{AgentEvent, Conversation};
use memdeck::provider::{Delta, StreamEvent};
use memdeck::tui::screen::Screen;
use memdeck::ui::theme::Theme;
use ratatui::layout::Rect;
use serde_json::json;

fn app() -> App {
    let labels = Labels {
        provider: "demo model (offline)".into(),
        store: "local directory ./memories".into(),
    };
    App::new(default_team(), labels, Rect::new(0, 0, 160, 48))
}

fn send(app: &mut App, text: &str) -> (TabId, RequestId) {
    app.update(Action::Term(Event::Paste(text.into())));
    let effects = app.update(Action::Term(Event::Key(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    ))));
    match effects.as_slice() {
        [Effect::StartTurn { tab, req, .. }] => (*tab, *req),
        _ => unreachable!(),
    }
}

fn ev(tab: TabId, req: RequestId, event: StreamEvent) -> Action {
    Action::Agent {
        tab,
        req,
        event: AgentEvent::Stream(event),
    }
}

fn start(tab: TabId, req: RequestId) -> [Action; 2] {
    [
        ev(
            tab,
            req,
            StreamEvent::MessageStart {
                message: json!({"id": "m", "role": "assistant", "content": [], "usage": {"input_tokens": 10, "output_tokens": 1}}),
            },
        ),
        ev(
            tab,
            req,
            StreamEvent::ContentBlockStart {
                index: 0,
                content_block: json!({"type": "text", "text": ""}),
            },
        ),
    ]
}

fn delta(tab: TabId, req: RequestId, text: &str) -> Action {
    ev(
        tab,
        req,
        StreamEvent::ContentBlockDelta {
            index: 0,
            delta: Delta::TextDelta { text: text.into() },
        },
    )
}

fn end(app: &mut App, tab: TabId, req: RequestId) {
    app.update(ev(tab, req, StreamEvent::ContentBlockStop { index: 0 }));
    app.update(ev(tab, req, StreamEvent::MessageStop));
    app.update(Action::TurnEnded {
        tab,
        req,
        conversation: Conversation::default(),
        result: Ok(()),
    });
}

/// Tokens like a real answer: words, punctuation, now and then a list item or a new paragraph.
fn token(i: usize) -> &'static str {
    const WORDS: [&str; 12] = [
        " the",
        " customer",
        " wants",
        " to",
        " migrate",
        " 40",
        " TB",
        ",",
        " and",
        "\n\n- ",
        " **budget**",
        " is",
    ];
    WORDS[i % WORDS.len()]
}

fn bench(c: &mut Criterion) {
    let mut screen = Screen::new(std::io::sink(), Rect::new(0, 0, 160, 48));
    let theme = Theme::default();

    // 2,500 turns = 5,000 messages.
    let mut big = app();
    for i in 0..2500 {
        let (tab, req) = send(&mut big, &format!("question {i} about the customer"));
        for a in start(tab, req) {
            big.update(a);
        }
        big.update(delta(
            tab,
            req,
            "An answer with **some** words, a [link](https://x.io) and `code`.",
        ));
        end(&mut big, tab, req);
    }
    screen
        .draw(|buf| memdeck::ui::draw(buf, &big, &theme))
        .unwrap();
    c.bench_function("frame with 5,000 messages (160x48, warm cache)", |b| {
        b.iter(|| {
            screen
                .draw(|buf| memdeck::ui::draw(buf, &big, &theme))
                .unwrap();
        });
    });

    // The chat's search over the same 5,000 messages: every line matched, then the hits kept.
    let view = &big.tabs[0].view;
    c.bench_function("search a 5,000-message chat (lines matched)", |b| {
        b.iter(|| {
            *view.found.borrow_mut() = None;
            view.hits("customer").len()
        });
    });
    c.bench_function("search a 5,000-message chat (hits kept)", |b| {
        b.iter(|| view.hits("customer").len());
    });

    let mut same = Vec::new();
    let shown = screen.shown().clone();
    c.bench_function("compare a 160x48 frame with itself", |b| {
        b.iter(|| {
            same.clear();
            memdeck::tui::screen::encode(&shown, &shown, &mut same);
        });
    });

    c.bench_function("stream 2,000 tokens, a frame every 25 (160x48)", |b| {
        b.iter(|| {
            stream_2000(&mut |a| {
                screen
                    .draw(|buf| memdeck::ui::draw(buf, a, &theme))
                    .unwrap()
            });
        });
    });

    // The baseline `src/screen.rs` replaces: the same stream drawn through ratatui's own
    // `Terminal` and crossterm backend (a fixed viewport, so it never asks a terminal its size).
    let backend = ratatui::backend::CrosstermBackend::new(std::io::sink());
    let mut terminal = ratatui::Terminal::with_options(
        backend,
        ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Fixed(Rect::new(0, 0, 160, 48)),
        },
    )
    .unwrap();
    c.bench_function(
        "stream 2,000 tokens, a frame every 25 (160x48), ratatui Terminal",
        |b| {
            b.iter(|| {
                stream_2000(&mut |a| {
                    terminal
                        .draw(|f| memdeck::ui::draw(f.buffer_mut(), a, &theme))
                        .unwrap();
                });
            });
        },
    );
}

/// A 2,000-token answer streamed into a fresh app, `frame` drawn every 25 deltas and at the end.
fn stream_2000(frame: &mut dyn FnMut(&App)) {
    let mut a = app();
    let (tab, req) = send(&mut a, "tell me everything");
    for action in start(tab, req) {
        a.update(action);
    }
    for i in 0..2000 {
        a.update(delta(tab, req, token(i)));
        if i % 25 == 24 {
            frame(&a);
        }
    }
    end(&mut a, tab, req);
    frame(&a);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
