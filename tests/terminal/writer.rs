//! The screen writer: whatever two frames are, the bytes it writes turn a terminal showing the
//! first into one showing the second. Checked by playing the bytes on a small terminal model
//! (cursor moves, SGR attributes, wide characters clobbering their neighbours).
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::vt;

use memdeck::tui::screen::{Screen, encode};
use proptest::prelude::*;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use vt::{PLAIN, Term};

fn piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "a",
        "word ",
        "  ",
        "日本",
        "語",
        "👍",
        "👩\u{200d}👩\u{200d}👧",
        "e\u{301}",
        "─│┌",
        "…·",
        "✓",
        "⠋",
        "x",
    ])
}

fn style() -> impl Strategy<Value = Style> {
    let color = prop::sample::select(vec![
        Color::Reset,
        Color::Red,
        Color::LightRed,
        Color::DarkGray,
        Color::White,
        Color::Indexed(208),
        Color::Rgb(60, 60, 20),
    ]);
    let modifier = prop::sample::select(vec![
        Modifier::empty(),
        Modifier::BOLD,
        Modifier::DIM,
        Modifier::BOLD | Modifier::DIM,
        Modifier::REVERSED,
        Modifier::ITALIC | Modifier::UNDERLINED,
        Modifier::CROSSED_OUT,
    ]);
    (color.clone(), color.clone(), color, modifier).prop_map(|(fg, bg, ul, m)| {
        Style::new()
            .fg(fg)
            .bg(bg)
            .underline_color(ul)
            .add_modifier(m)
    })
}

fn frame() -> impl Strategy<Value = Vec<(u16, u16, String, Style)>> {
    prop::collection::vec(
        (
            0u16..12,
            0u16..4,
            prop::collection::vec(piece(), 1..5).prop_map(|p| p.concat()),
            style(),
        ),
        0..10,
    )
}

fn render(area: Rect, strokes: &[(u16, u16, String, Style)]) -> Buffer {
    let mut buf = Buffer::empty(area);
    for (x, y, text, style) in strokes {
        buf.set_stringn(*x, *y, text, usize::from(area.width - x), *style);
    }
    buf
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn the_bytes_turn_one_frame_into_the_next(a in frame(), b in frame(), c in frame()) {
        let area = Rect::new(0, 0, 12, 4);
        let mut term = Term::new(12, 4);
        let mut screen = Screen::new(Vec::new(), area);
        for strokes in [&a, &b, &c, &a] {
            screen.draw(|buf| *buf = render(area, strokes)).unwrap();
            let bytes = std::mem::take(screen.writer());
            term.play(&bytes);
            term.assert_shows(&render(area, strokes));
            prop_assert_eq!(term.pen, PLAIN, "the pen is left plain");
        }
    }
}

#[test]
fn clearing_writes_the_next_frame_whole() {
    let area = Rect::new(0, 0, 12, 4);
    let strokes = vec![(0, 0, "hello".to_owned(), Style::new().bold())];
    let mut screen = Screen::new(Vec::new(), area);
    screen.draw(|buf| *buf = render(area, &strokes)).unwrap();
    screen.writer().clear();
    // Unchanged: nothing to write.
    screen.draw(|buf| *buf = render(area, &strokes)).unwrap();
    assert!(screen.writer().is_empty());
    // After a clear (a resize, a suspend) the same frame is written again, whole.
    screen.clear(area).unwrap();
    screen.draw(|buf| *buf = render(area, &strokes)).unwrap();
    let mut term = Term::new(12, 4);
    term.play(screen.writer());
    term.assert_shows(&render(area, &strokes));
    // Each frame is one synchronized update: the terminal shows it whole or not yet.
    let written = screen.writer().clone();
    assert!(
        written.starts_with(b"\x1b[0m\x1b[2J\x1b[?2026h"),
        "{written:?}"
    );
    assert!(written.ends_with(memdeck::tui::screen::SYNC_END));
    assert!(!term.synchronized, "every update that began ended");
}

#[test]
fn a_frame_costs_bytes_only_for_what_changed() {
    let area = Rect::new(0, 0, 40, 4);
    let mut before = Buffer::empty(area);
    before.set_string(0, 0, "the same line of text", Style::new());
    let mut after = before.clone();
    after.set_string(0, 1, "new", Style::new().fg(Color::Red));
    let mut out = Vec::new();
    encode(&before, &after, &mut out);
    assert_eq!(out, b"\x1b[2;1H\x1b[38;5;1mnew\x1b[0m");
}

/// Found in tmux: the memory index line ("☰ memory index …") left letters of the line that
/// was there before, and the rest of the row one column off, because Unicode 16 made ☰ wide
/// while the terminal took it for one column. Whatever a terminal thinks of a wide symbol, the
/// row around it ends up as the frame says.
#[test]
fn a_terminal_that_takes_a_wide_symbol_for_narrow_keeps_the_rest_of_the_row() {
    let area = Rect::new(0, 0, 24, 1);
    for narrow in [vec![], vec!["☰"]] {
        let mut term = Term::new(24, 1);
        term.narrow = narrow.clone();
        let mut screen = Screen::new(Vec::new(), area);
        for text in ["their stores in Canada", "  ☰ memory index: 1", "x ☰☰ y"] {
            screen
                .draw(|buf| *buf = render(area, &[(0, 0, text.to_owned(), Style::new())]))
                .unwrap();
            let bytes = std::mem::take(screen.writer());
            term.play(&bytes);
            let shown = term.text().trim_end().to_owned();
            let want = if narrow.is_empty() {
                text.to_owned()
            } else {
                // The narrow terminal shows the symbol and a blank where the frame has the
                // symbol's second column.
                text.replace('☰', "☰ ")
            };
            assert_eq!(shown, want, "after {text:?} with narrow {narrow:?}");
        }
    }
}
