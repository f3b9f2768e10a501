//! The screen: what the terminal shows, the next frame, and the bytes that turn one into the
//! other.
//!
//! This stands in for ratatui's `Terminal` and crossterm backend on the hot path. A frame is
//! drawn into a plain ratatui [`Buffer`], compared with the one on screen, and the differences
//! are encoded straight into one byte vector and written with a single `write`. Compared with
//! `Terminal::draw` it does not ask the terminal for its size every frame (the app knows it
//! from resize events), measures a cell's width only when the cell is not plain ASCII, and
//! encodes cursor moves and colours without the formatting machinery: together about half of
//! a frame's cost while text streams. Widgets render exactly as they would under `Terminal`.

use std::io::{self, Write};

use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use unicode_width::UnicodeWidthStr;

/// Begin and end a synchronized update (DEC private mode 2026).
pub const SYNC_BEGIN: &[u8] = b"\x1b[?2026h";
pub const SYNC_END: &[u8] = b"\x1b[?2026l";

/// The pen: the attributes the terminal will give the next character it prints.
#[derive(Clone, Copy, PartialEq, Eq)]
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

/// SGR parameters for the modifiers, in the order they are written.
const MODIFIER_CODES: [(Modifier, &[u8]); 9] = [
    (Modifier::BOLD, b"1"),
    (Modifier::DIM, b"2"),
    (Modifier::ITALIC, b"3"),
    (Modifier::UNDERLINED, b"4"),
    (Modifier::SLOW_BLINK, b"5"),
    (Modifier::RAPID_BLINK, b"6"),
    (Modifier::REVERSED, b"7"),
    (Modifier::HIDDEN, b"8"),
    (Modifier::CROSSED_OUT, b"9"),
];

/// A terminal screen written through `out` (stdout in the app, a byte vector in tests).
pub struct Screen<W: Write> {
    out: W,
    /// What the terminal shows now.
    shown: Buffer,
    /// The frame being drawn.
    next: Buffer,
    /// The bytes of the frame being written, kept to reuse the allocation.
    bytes: Vec<u8>,
}

impl<W: Write> Screen<W> {
    /// A screen of `size`, assumed blank (the caller has just cleared it).
    pub fn new(out: W, size: Rect) -> Self {
        Self {
            out,
            shown: Buffer::empty(size),
            next: Buffer::empty(size),
            bytes: Vec::with_capacity(64 * 1024),
        }
    }

    pub fn size(&self) -> Rect {
        self.shown.area
    }

    /// The writer, for tests that read what was written.
    pub fn writer(&mut self) -> &mut W {
        &mut self.out
    }

    /// What the terminal shows (the last frame written).
    pub fn shown(&self) -> &Buffer {
        &self.shown
    }

    /// Clear the terminal and forget what it showed, so the next frame is written whole (after
    /// a resize, or when something else may have drawn on it, as around a suspend).
    pub fn clear(&mut self, size: Rect) -> io::Result<()> {
        self.shown = Buffer::empty(size);
        self.next = Buffer::empty(size);
        self.out.write_all(b"\x1b[0m\x1b[2J")?;
        self.out.flush()
    }

    /// Draw a frame with `render` and write what changed, bracketed as one synchronized update
    /// (DEC mode 2026: a terminal that knows it shows the frame at once, never half drawn; one
    /// that does not ignores the bracket).
    pub fn draw(&mut self, render: impl FnOnce(&mut Buffer)) -> io::Result<()> {
        self.next.reset();
        render(&mut self.next);
        self.bytes.clear();
        self.bytes.extend_from_slice(SYNC_BEGIN);
        encode(&self.shown, &self.next, &mut self.bytes);
        if self.bytes.len() > SYNC_BEGIN.len() {
            self.bytes.extend_from_slice(SYNC_END);
            self.out.write_all(&self.bytes)?;
            self.out.flush()?;
        }
        std::mem::swap(&mut self.shown, &mut self.next);
        Ok(())
    }
}

/// Whether two cells with these symbols look the same. Cheaper than `Cell`'s derived
/// equality (which compares the symbols through `memcmp` first); comparing is most of what
/// writing a frame costs, as nearly every cell is unchanged.
fn same(a: &Cell, b: &Cell, a_symbol: &str, b_symbol: &str) -> bool {
    a.fg == b.fg
        && a.bg == b.bg
        && a.modifier == b.modifier
        && a.underline_color == b.underline_color
        && match (a_symbol.as_bytes(), b_symbol.as_bytes()) {
            ([x], [y]) => x == y,
            (x, y) => x == y,
        }
}

/// Columns a symbol takes. A cell never holds a zero-width symbol (ratatui drops those), so
/// ASCII, and the box drawing every border is made of, are answered without a table lookup.
fn width(symbol: &str) -> usize {
    if symbol.len() == 1 {
        return 1;
    }
    let mut chars = symbol.chars();
    match (chars.next(), chars.next()) {
        (Some('\u{2500}'..='\u{259f}'), None) => 1,
        (Some(c), None) => unicode_width::UnicodeWidthChar::width(c).unwrap_or(0),
        _ => symbol.width(),
    }
}

/// Append to `out` what turns a terminal showing `shown` into one showing `next`: cursor moves,
/// attribute changes and the symbols of the cells that differ. Leaves the pen plain.
pub fn encode(shown: &Buffer, next: &Buffer, out: &mut Vec<u8>) {
    debug_assert_eq!(shown.area, next.area);
    let area = next.area;
    let columns = usize::from(area.width);
    let mut pen = PLAIN;
    // Where the terminal's cursor is after the last print, if known.
    let mut cursor: Option<(usize, usize)> = None;
    for (row, (now, then)) in next
        .content
        .chunks(columns.max(1))
        .zip(shown.content.chunks(columns.max(1)))
        .enumerate()
    {
        let mut x = 0;
        // Columns before this one must be written even if unchanged: the terminal dropped
        // what it showed there when a wide character over them was overwritten.
        let mut force_until = 0;
        while x < columns {
            let (cell, old) = (&now[x], &then[x]);
            let (symbol, old_symbol) = (cell.symbol(), old.symbol());
            let w = width(symbol);
            if x >= force_until && same(cell, old, symbol, old_symbol) {
                x += w.max(1);
                continue;
            }
            // A wide character shown under the columns this cell takes is destroyed whole by
            // the terminal: repaint the columns it covered beyond them.
            for (j, under) in then.iter().enumerate().take(x + w.max(1)).skip(x) {
                force_until = force_until.max(j + width(under.symbol()));
            }
            if w >= 2 {
                set_pen(out, &mut pen, cell);
                // Terminals do not all agree which symbols are wide (Unicode 16 made the
                // trigrams ☰ wide; an older terminal takes them for one column). So: blank the
                // second column first, then print the symbol, then move explicitly. Either
                // way the terminal ends up showing the symbol and a blank, never what was
                // there before, and the rest of the row lands where it belongs.
                move_to(out, usize::from(area.x) + x + 1, usize::from(area.y) + row);
                out.push(b' ');
                move_to(out, usize::from(area.x) + x, usize::from(area.y) + row);
                out.extend_from_slice(symbol.as_bytes());
                cursor = None;
            } else {
                if cursor != Some((x, row)) {
                    move_to(out, usize::from(area.x) + x, usize::from(area.y) + row);
                }
                set_pen(out, &mut pen, cell);
                out.extend_from_slice(symbol.as_bytes());
                cursor = Some((x + w, row));
            }
            x += w.max(1);
        }
    }
    if pen != PLAIN {
        out.extend_from_slice(b"\x1b[0m");
    }
}

fn push_number(out: &mut Vec<u8>, n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + u8::try_from(n % 10).unwrap_or(0);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

fn move_to(out: &mut Vec<u8>, x: usize, y: usize) {
    out.extend_from_slice(b"\x1b[");
    push_number(out, y + 1);
    out.push(b';');
    push_number(out, x + 1);
    out.push(b'H');
}

/// The SGR parameters of a colour; `base` is 38 (foreground), 48 (background) or 58
/// (underline). Named colours use the 256-colour palette's first sixteen entries, as
/// crossterm does.
fn push_color(out: &mut Vec<u8>, base: usize, color: Color) {
    let index = match color {
        Color::Reset => {
            push_number(out, base + 1);
            return;
        }
        Color::Rgb(r, g, b) => {
            push_number(out, base);
            out.extend_from_slice(b";2");
            for c in [r, g, b] {
                out.push(b';');
                push_number(out, usize::from(c));
            }
            return;
        }
        Color::Indexed(i) => i,
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
    };
    push_number(out, base);
    out.extend_from_slice(b";5;");
    push_number(out, usize::from(index));
}

/// Change the pen to the cell's attributes with one SGR sequence. A change of modifiers starts
/// from a reset (turning single attributes off has interactions, bold and dim share one off
/// switch); colours alone are changed in place.
fn set_pen(out: &mut Vec<u8>, pen: &mut Pen, cell: &Cell) {
    let want = Pen {
        fg: cell.fg,
        bg: cell.bg,
        underline: cell.underline_color,
        modifier: cell.modifier,
    };
    if want == *pen {
        return;
    }
    out.extend_from_slice(b"\x1b[");
    let mut first = true;
    let mut param = |out: &mut Vec<u8>| {
        if !std::mem::take(&mut first) {
            out.push(b';');
        }
    };
    let from = if want.modifier == pen.modifier {
        *pen
    } else {
        param(out);
        out.push(b'0');
        for (modifier, code) in MODIFIER_CODES {
            if want.modifier.contains(modifier) {
                param(out);
                out.extend_from_slice(code);
            }
        }
        PLAIN
    };
    for (base, old, new) in [
        (38, from.fg, want.fg),
        (48, from.bg, want.bg),
        (58, from.underline, want.underline),
    ] {
        if old != new {
            param(out);
            push_color(out, base, new);
        }
    }
    out.push(b'm');
    *pen = want;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_moves() {
        let mut out = Vec::new();
        move_to(&mut out, 0, 0);
        move_to(&mut out, 159, 47);
        assert_eq!(out, b"\x1b[1;1H\x1b[48;160H");
    }

    #[test]
    fn colours_as_crossterm_writes_them() {
        let mut out = Vec::new();
        push_color(&mut out, 38, Color::LightRed);
        out.push(b' ');
        push_color(&mut out, 48, Color::Rgb(30, 0, 255));
        out.push(b' ');
        push_color(&mut out, 58, Color::Reset);
        out.push(b' ');
        push_color(&mut out, 38, Color::Indexed(208));
        assert_eq!(out, b"38;5;9 48;2;30;0;255 59 38;5;208");
    }

    #[test]
    fn an_unchanged_frame_writes_nothing() {
        let area = Rect::new(0, 0, 10, 2);
        let mut a = Buffer::empty(area);
        a.set_string(0, 0, "héllo 日本", ratatui::style::Style::new().bold());
        let mut out = Vec::new();
        encode(&a, &a.clone(), &mut out);
        assert!(out.is_empty(), "{:?}", String::from_utf8_lossy(&out));
    }
}
