//! The screen writer: whatever two frames are, the bytes it writes turn a terminal showing the
//! first into one showing the second. Checked by playing the bytes on a small terminal model
//! (cursor moves, SGR attributes, wide characters clobbering their neighbours).
#![allow(clippy::unwrap_used, clippy::pedantic)]

use memdeck::screen::{Screen, encode};
use proptest::prelude::*;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use unicode_width::UnicodeWidthStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pen {
    fg: Color,
    bg: Color,
    underline: Color,
    modifier: Modifier,
}

const PLAIN: Pen = Pen {
    fg: Color::Reset,
    bg: Color::Reset,
    underline: Color::Reset,
    modifier: Modifier::empty(),
};

#[derive(Clone, Debug, PartialEq)]
enum Slot {
    Char(String, Pen),
    /// The right half of the wide character to the left.
    Covered,
}

/// A terminal that understands what the writer may send.
struct Term {
    width: usize,
    rows: Vec<Vec<Slot>>,
    x: usize,
    y: usize,
    pen: Pen,
}

fn palette(n: u8) -> Color {
    match n {
        0 => Color::Black,
        1 => Color::Red,
        2 => Color::Green,
        3 => Color::Yellow,
        4 => Color::Blue,
        5 => Color::Magenta,
        6 => Color::Cyan,
        7 => Color::Gray,
        8 => Color::DarkGray,
        9 => Color::LightRed,
        10 => Color::LightGreen,
        11 => Color::LightYellow,
        12 => Color::LightBlue,
        13 => Color::LightMagenta,
        14 => Color::LightCyan,
        15 => Color::White,
        n => Color::Indexed(n),
    }
}

impl Term {
    fn new(width: usize, height: usize) -> Self {
        Self {
            width,
            rows: vec![vec![Slot::Char(" ".into(), PLAIN); width]; height],
            x: 0,
            y: 0,
            pen: PLAIN,
        }
    }

    /// What is left of a wide character when half of it is overwritten: a blank in the
    /// current colours (as many terminals erase), so the writer must repaint it if that is not
    /// what the frame wants there.
    fn blank(&mut self, x: usize) {
        self.rows[self.y][x] = Slot::Char(" ".into(), self.pen);
    }

    fn print(&mut self, symbol: &str) {
        let w = symbol.width().max(1);
        assert!(self.x + w <= self.width, "printing past the edge");
        let x = self.x;
        // Overwriting either half of a wide character destroys the whole of it.
        if self.rows[self.y][x] == Slot::Covered {
            self.blank(x - 1);
        }
        for i in x..x + w {
            if i + 1 < self.width && self.rows[self.y][i + 1] == Slot::Covered && (i + 1 >= x + w) {
                self.blank(i + 1);
            }
        }
        self.rows[self.y][x] = Slot::Char(symbol.into(), self.pen);
        for i in x + 1..x + w {
            self.rows[self.y][i] = Slot::Covered;
        }
        self.x += w;
    }

    fn sgr(&mut self, params: &[usize]) {
        let mut i = 0;
        while i < params.len() {
            let p = params[i];
            let set = |m: Modifier, pen: &mut Pen| pen.modifier.insert(m);
            match p {
                0 => self.pen = PLAIN,
                1 => set(Modifier::BOLD, &mut self.pen),
                2 => set(Modifier::DIM, &mut self.pen),
                3 => set(Modifier::ITALIC, &mut self.pen),
                4 => set(Modifier::UNDERLINED, &mut self.pen),
                5 => set(Modifier::SLOW_BLINK, &mut self.pen),
                6 => set(Modifier::RAPID_BLINK, &mut self.pen),
                7 => set(Modifier::REVERSED, &mut self.pen),
                8 => set(Modifier::HIDDEN, &mut self.pen),
                9 => set(Modifier::CROSSED_OUT, &mut self.pen),
                39 => self.pen.fg = Color::Reset,
                49 => self.pen.bg = Color::Reset,
                59 => self.pen.underline = Color::Reset,
                38 | 48 | 58 => {
                    let color = if params[i + 1] == 5 {
                        i += 2;
                        palette(u8::try_from(params[i]).unwrap())
                    } else {
                        assert_eq!(params[i + 1], 2);
                        i += 4;
                        let c = |k: usize| u8::try_from(params[i - 3 + k]).unwrap();
                        Color::Rgb(c(1), c(2), c(3))
                    };
                    match p {
                        38 => self.pen.fg = color,
                        48 => self.pen.bg = color,
                        _ => self.pen.underline = color,
                    }
                }
                other => panic!("unexpected SGR parameter {other}"),
            }
            i += 1;
        }
    }

    fn play(&mut self, bytes: &[u8]) {
        let text = std::str::from_utf8(bytes).unwrap();
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(seq) = rest.strip_prefix("\x1b[") {
                let end = seq.find(|c: char| c.is_ascii_alphabetic()).unwrap();
                let params: Vec<usize> = seq[..end]
                    .split(';')
                    .filter(|p| !p.is_empty())
                    .map(|p| p.parse().unwrap())
                    .collect();
                match &seq[end..=end] {
                    "H" => {
                        self.y = params[0] - 1;
                        self.x = params[1] - 1;
                    }
                    "m" => self.sgr(if params.is_empty() { &[0] } else { &params }),
                    "J" => {
                        let (w, h) = (self.width, self.rows.len());
                        *self = Self::new(w, h);
                    }
                    other => panic!("unexpected sequence {other}"),
                }
                rest = &seq[end + 1..];
            } else {
                let next = rest.find('\x1b').unwrap_or(rest.len());
                for g in unicode_segmentation::UnicodeSegmentation::graphemes(&rest[..next], true) {
                    self.print(g);
                }
                rest = &rest[next..];
            }
        }
    }

    /// Check the terminal shows `buf`, read as a terminal would draw it: a wide character
    /// takes the next column too, whatever the buffer holds there.
    fn assert_shows(&self, buf: &Buffer) {
        let width = usize::from(buf.area.width);
        for (y, row) in buf.content.chunks(width).enumerate() {
            let mut x = 0;
            while x < width {
                let cell = &row[x];
                let pen = Pen {
                    fg: cell.fg,
                    bg: cell.bg,
                    underline: cell.underline_color,
                    modifier: cell.modifier,
                };
                assert_eq!(
                    self.rows[y][x],
                    Slot::Char(cell.symbol().into(), pen),
                    "cell ({x},{y}) differs"
                );
                let w = cell.symbol().width().max(1);
                for covered in x + 1..x + w {
                    assert_eq!(self.rows[y][covered], Slot::Covered, "({covered},{y})");
                }
                x += w;
            }
        }
    }
}

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
