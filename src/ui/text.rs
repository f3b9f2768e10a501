//! Text made ready for the screen: safe, tab-expanded, and wrapped by display width.
//!
//! Model output and memory files are untrusted text. [`sanitize`] makes every control and
//! invisible format character visible (ESC becomes `␛`, a bidi override `⟨U+202E⟩`), so nothing
//! can move the cursor, clear the screen, set the clipboard or reorder text. [`wrap`] breaks a
//! line into rows of at most `width` columns, measuring by display width (CJK and emoji take two
//! columns) and never splitting a grapheme cluster (a ZWJ emoji family, a flag, a letter with
//! combining marks stays whole). Chat messages are wrapped once per width and kept.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// Columns between tab stops.
pub const TAB_STOP: usize = 8;

/// `line` (no `\n`) with tabs expanded to the next tab stop and every control or format
/// character shown visibly.
pub fn sanitize(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut column = 0;
    for grapheme in line.graphemes(true) {
        if grapheme == "\t" {
            let spaces = TAB_STOP - column % TAB_STOP;
            out.extend(std::iter::repeat_n(' ', spaces));
            column += spaces;
            continue;
        }
        let start = out.len();
        for c in grapheme.chars() {
            crate::safe::push_visible(&mut out, c);
        }
        column += out[start..].width();
    }
    out
}

/// Rows of at most `width` columns (at least 1), breaking after spaces where possible and
/// between grapheme clusters otherwise. A cluster wider than `width` gets a row of its own.
/// `line` should be sanitized and contain no `\n`.
pub fn wrap(line: &str, width: usize) -> Vec<String> {
    wrap_rows([(line, ())], width)
}

/// A row being filled: plain text, or styled spans.
trait Row: Default {
    type Style: Copy;
    fn push(&mut self, text: &str, style: Self::Style);
    /// Drop the spaces at the end (a row broken after a space does not keep it).
    fn trim_end(&mut self);
    fn is_empty(&self) -> bool;
}

impl Row for String {
    type Style = ();

    fn push(&mut self, text: &str, (): ()) {
        self.push_str(text);
    }

    fn trim_end(&mut self) {
        let kept = str::trim_end(self).len();
        self.truncate(kept);
    }

    fn is_empty(&self) -> bool {
        str::is_empty(self)
    }
}

impl Row for Vec<Span<'static>> {
    type Style = Style;

    fn push(&mut self, text: &str, style: Style) {
        match self.last_mut() {
            Some(last) if last.style == style => last.content.to_mut().push_str(text),
            _ => Vec::push(self, Span::styled(text.to_owned(), style)),
        }
    }

    fn trim_end(&mut self) {
        while let Some(last) = self.last_mut() {
            let kept = last.content.trim_end().len();
            last.content.to_mut().truncate(kept);
            if !last.content.is_empty() {
                break;
            }
            self.pop();
        }
    }

    fn is_empty(&self) -> bool {
        Vec::is_empty(self)
    }
}

/// The wrapping rules, once, for plain and styled rows.
fn wrap_rows<'a, R: Row>(
    pieces: impl IntoIterator<Item = (&'a str, R::Style)>,
    width: usize,
) -> Vec<R> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut row = R::default();
    let mut row_width = 0;
    let end_row = |rows: &mut Vec<R>, row: &mut R| {
        row.trim_end();
        rows.push(std::mem::take(row));
    };
    for (text, style) in pieces {
        for word in segments(text) {
            let word_width = word.width();
            if row_width + word_width <= width {
                row.push(word, style);
                row_width += word_width;
                continue;
            }
            // The word does not fit: a space at the break point is dropped, not carried over.
            if word.chars().all(char::is_whitespace) {
                end_row(&mut rows, &mut row);
                row_width = 0;
                continue;
            }
            if row_width > 0 && word_width <= width {
                end_row(&mut rows, &mut row);
                row.push(word, style);
                row_width = word_width;
                continue;
            }
            // Longer than a row: cut between grapheme clusters.
            for grapheme in word.graphemes(true) {
                let w = grapheme.width();
                if row_width + w > width && row_width > 0 {
                    rows.push(std::mem::take(&mut row));
                    row_width = 0;
                }
                row.push(grapheme, style);
                row_width += w;
            }
        }
    }
    if !row.is_empty() || rows.is_empty() {
        rows.push(row);
    }
    rows
}

/// Runs of spaces and runs of everything else: the places a row may break. Punctuation stays
/// with its word ("(from" is one piece), and a run wider than a row is cut by the callers.
fn segments(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let space = first.is_whitespace();
        let end = rest
            .char_indices()
            .find(|&(_, c)| c.is_whitespace() != space)
            .map_or(rest.len(), |(i, _)| i);
        let (piece, tail) = rest.split_at(end);
        rest = tail;
        Some(piece)
    })
}

/// Styled text broken into rows of at most `width` columns, by the same rules as [`wrap`];
/// each row is a list of spans, adjacent pieces of one style merged. The pieces should be
/// sanitized and contain no `\n`.
pub fn wrap_styled(pieces: &[(String, Style)], width: usize) -> Vec<Vec<Span<'static>>> {
    wrap_rows(
        pieces.iter().map(|(text, style)| (text.as_str(), *style)),
        width,
    )
}

/// Draw `text` at (x, y) in at most `max_width` columns, exactly as `Buffer::set_stringn` does,
/// returning the column after it. Text made only of one-cell characters (printable ASCII, most
/// of any chat, and the screen's chrome) takes a fast path: one character is one cell, so the
/// grapheme segmentation and width lookups that dominate a frame's cost are skipped; anything
/// else goes through ratatui.
pub fn put_str(buf: &mut Buffer, x: u16, y: u16, text: &str, max_width: u16, style: Style) -> u16 {
    let area = buf.area;
    if y < area.y || y >= area.bottom() || x < area.x || x >= area.right() {
        return x;
    }
    if !text.chars().all(one_cell) {
        return buf.set_stringn(x, y, text, usize::from(max_width), style).0;
    }
    let room = area.right().saturating_sub(x).min(max_width);
    let start = buf.index_of(x, y);
    let mut n = 0;
    for (cell, c) in buf.content[start..start + usize::from(room)]
        .iter_mut()
        .zip(text.chars())
    {
        cell.set_char(c).set_style(style);
        n += 1;
    }
    x + n
}

/// Whether `c` is a grapheme cluster of its own, one column wide, next to any other such
/// character: printable ASCII, Latin letters with their accents precomposed, the punctuation,
/// arrows, box drawing and braille the screen's chrome is made of. Text made only of these is
/// drawn without grapheme segmentation.
fn one_cell(c: char) -> bool {
    matches!(c,
        ' '..='~'
        | '\u{a0}'..='\u{ac}'
        | '\u{ae}'..='\u{2ff}'
        | '\u{2010}'..='\u{2027}'
        | '\u{2030}'..='\u{205e}'
        | '\u{2190}'..='\u{21ff}'
        | '\u{2500}'..='\u{259f}'
        | '\u{25cf}'
        | '\u{2702}' | '\u{270e}' | '\u{2713}' | '\u{2717}'
        | '\u{2800}'..='\u{28ff}')
}

/// Draw a line as `Buffer::set_line` does (the line's style under each span's), through
/// [`put_str`]; returns the column after it.
pub fn put_line(buf: &mut Buffer, x: u16, y: u16, line: &Line<'_>, max_width: u16) -> u16 {
    let mut x = x;
    let mut room = max_width;
    for span in line {
        if room == 0 {
            break;
        }
        let next = put_str(buf, x, y, &span.content, room, line.style.patch(span.style));
        room = room.saturating_sub(next.saturating_sub(x));
        x = next;
    }
    x
}

/// Mark the hits of `query` on a drawn row: every hit on the flash background, the one at
/// column `current` reversed. `text` is the row as drawn from column `x`, `width` wide.
pub fn highlight(
    buf: &mut Buffer,
    (x, y, width): (u16, u16, u16),
    text: &str,
    query: &str,
    current: Option<usize>,
    theme: &crate::ui::theme::Theme,
) {
    for (start, end) in crate::app::find::columns(text, query) {
        let Ok(start16) = u16::try_from(start) else {
            break;
        };
        if start16 >= width {
            break;
        }
        let end = u16::try_from(end).unwrap_or(u16::MAX).min(width);
        let style = if current == Some(start) {
            ratatui::style::Style::new()
                .add_modifier(ratatui::style::Modifier::REVERSED | ratatui::style::Modifier::BOLD)
        } else {
            theme.flash.add_modifier(ratatui::style::Modifier::BOLD)
        };
        buf.set_style(Rect::new(x + start16, y, end - start16, 1), style);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character the fast path draws alone is one column wide and a grapheme cluster of
    /// its own, whatever such character stands next to it.
    #[test]
    fn one_cell_characters_are_single_narrow_clusters() {
        let all: Vec<char> = (0..=0x2fff_u32)
            .filter_map(char::from_u32)
            .filter(|&c| one_cell(c))
            .collect();
        assert!(all.len() > 1000);
        for &c in &all {
            assert_eq!(unicode_width::UnicodeWidthChar::width(c), Some(1), "{c:?}");
            for other in ['a', ' ', '\u{e9}', '\u{2500}', '\u{2026}', '\u{2800}', c] {
                let pair: String = [other, c, other].iter().collect();
                assert_eq!(pair.graphemes(true).count(), 3, "{pair:?}");
            }
        }
    }

    #[test]
    fn controls_become_visible_and_tabs_expand() {
        assert_eq!(sanitize("\u{1b}[2J\u{7}"), "␛[2J␇");
        assert_eq!(sanitize("\u{1b}]52;c;aGk=\u{7}"), "␛]52;c;aGk=␇");
        assert_eq!(sanitize("a\rb"), "a␍b");
        assert_eq!(sanitize("gpj\u{202e}.md"), "gpj⟨U+202E⟩.md");
        assert_eq!(sanitize("4K\t/memories"), "4K      /memories");
        assert_eq!(sanitize("     1\thello"), "     1  hello");
        assert_eq!(sanitize("日本\tx"), "日本    x");
        // Emoji sequences keep their joiners.
        assert_eq!(sanitize("👩\u{200d}👩\u{200d}👧"), "👩\u{200d}👩\u{200d}👧");
    }

    #[test]
    fn wraps_at_spaces_by_display_width() {
        assert_eq!(wrap("the quick brown fox", 10), ["the quick", "brown fox"]);
        assert_eq!(wrap("", 10), [""]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(
            wrap("日本語のテキスト", 5),
            ["日本", "語の", "テキ", "スト"]
        );
        assert_eq!(
            wrap("a 👩\u{200d}👩\u{200d}👧 b", 3),
            ["a", "👩\u{200d}👩\u{200d}👧", "b"]
        );
        assert_eq!(
            wrap("a 👩\u{200d}👩\u{200d}👧 b", 4),
            ["a 👩\u{200d}👩\u{200d}👧", "b"]
        );
        assert_eq!(
            wrap("e\u{301}e\u{301}e\u{301}", 2),
            ["e\u{301}e\u{301}", "e\u{301}"]
        );
        assert_eq!(wrap("日", 1), ["日"]);
    }

    #[test]
    fn styled_wrapping_matches_plain_wrapping() {
        let bold = Style::new().bold();
        let pieces = vec![
            ("the quick ".to_owned(), Style::new()),
            ("brown".to_owned(), bold),
            (" fox 日本語のテキスト".to_owned(), Style::new()),
        ];
        let plain: String = pieces.iter().map(|(t, _)| t.as_str()).collect();
        for width in 1..30 {
            let rows: Vec<String> = wrap_styled(&pieces, width)
                .iter()
                .map(|row| row.iter().map(|s| s.content.as_ref()).collect())
                .collect();
            assert_eq!(rows, wrap(&plain, width), "width {width}");
        }
        let rows = wrap_styled(&pieces, 10);
        assert_eq!(rows[1][0].content, "brown");
        assert_eq!(rows[1][0].style, bold);
    }
}
