//! A small terminal model: plays what the screen writer may send (cursor moves, SGR
//! attributes, erase display; wide characters clobbering their neighbours) and says what the
//! terminal shows.
#![allow(dead_code, clippy::unwrap_used, clippy::pedantic)]

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use unicode_width::UnicodeWidthStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pen {
    pub fg: Color,
    pub bg: Color,
    pub underline: Color,
    pub modifier: Modifier,
}

pub const PLAIN: Pen = Pen {
    fg: Color::Reset,
    bg: Color::Reset,
    underline: Color::Reset,
    modifier: Modifier::empty(),
};

#[derive(Clone, Debug, PartialEq)]
pub enum Slot {
    Char(String, Pen),
    /// The right half of the wide character to the left.
    Covered,
}

/// A terminal that understands what the writer may send.
pub struct Term {
    pub width: usize,
    pub rows: Vec<Vec<Slot>>,
    pub x: usize,
    pub y: usize,
    pub pen: Pen,
    /// Inside a synchronized update (DEC mode 2026), begun and not yet ended.
    pub synchronized: bool,
    /// Symbols this terminal takes for one column whatever Unicode says (an older width
    /// table: Unicode 16 made ☰ wide).
    pub narrow: Vec<&'static str>,
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
    pub fn new(width: usize, height: usize) -> Self {
        Self {
            width,
            rows: vec![vec![Slot::Char(" ".into(), PLAIN); width]; height],
            x: 0,
            y: 0,
            pen: PLAIN,
            synchronized: false,
            narrow: Vec::new(),
        }
    }

    /// What is left of a wide character when half of it is overwritten: a blank in the
    /// current colours (as many terminals erase), so the writer must repaint it if that is not
    /// what the frame wants there.
    fn blank(&mut self, x: usize) {
        self.rows[self.y][x] = Slot::Char(" ".into(), self.pen);
    }

    fn print(&mut self, symbol: &str) {
        let w = if self.narrow.contains(&symbol) {
            1
        } else {
            symbol.width().max(1)
        };
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

    pub fn play(&mut self, bytes: &[u8]) {
        let text = std::str::from_utf8(bytes).unwrap();
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(seq) = rest.strip_prefix("\x1b[?2026h") {
                assert!(
                    !self.synchronized,
                    "a synchronized update began inside another"
                );
                self.synchronized = true;
                rest = seq;
            } else if let Some(seq) = rest.strip_prefix("\x1b[?2026l") {
                assert!(
                    self.synchronized,
                    "a synchronized update ended that never began"
                );
                self.synchronized = false;
                rest = seq;
            } else if let Some(seq) = rest.strip_prefix("\x1b[") {
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
                        let (w, h, sync) = (self.width, self.rows.len(), self.synchronized);
                        *self = Self::new(w, h);
                        self.synchronized = sync;
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
    pub fn assert_shows(&self, buf: &Buffer) {
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

    /// What the terminal shows, as text: one line per row, trailing blanks trimmed.
    pub fn text(&self) -> String {
        let mut text = String::new();
        for row in &self.rows {
            let line: String = row
                .iter()
                .filter_map(|slot| match slot {
                    Slot::Char(symbol, _) => Some(symbol.as_str()),
                    Slot::Covered => None,
                })
                .collect();
            text.push_str(line.trim_end());
            text.push('\n');
        }
        text
    }
}
