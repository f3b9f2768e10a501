//! Text for the screen: whatever the model or a memory file contains, nothing reaches the
//! terminal as a control sequence, no row is wider than asked, and no character is split or lost.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use memdeck::ui::text::{put_line, sanitize, wrap};
use proptest::prelude::*;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

fn piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "a",
        "word",
        " ",
        "  ",
        "\t",
        "\u{1b}[2J",
        "\u{1b}]52;c;aGk=\u{7}",
        "\r",
        "\u{7f}",
        "\u{0}",
        "日本語",
        "👩\u{200d}👩\u{200d}👧",
        "🇯🇵",
        "👍🏽",
        "e\u{301}",
        "שלום",
        "\u{2028}",
        "\u{200b}",
        "\u{202e}",
        "\u{feff}",
        "supercalifragilisticexpialidocious",
        "-",
        "4K\t/memories",
        "\u{e9}t\u{e9}",
        "\u{b7} \u{2026} \u{2192}",
        "\u{2500}\u{2502}\u{250c}",
        "\u{2713}\u{2717}\u{270e}",
        "\u{280b}",
        "\u{ad}",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn safe_narrow_and_lossless(pieces in prop::collection::vec(piece(), 0..30), width in 1usize..60) {
        let raw: String = pieces.concat();
        let safe = sanitize(&raw);
        prop_assert!(!safe.chars().any(|c| c.is_control()), "control left in {safe:?}");
        for bad in ['\u{202e}', '\u{200b}', '\u{feff}', '\u{2028}'] {
            prop_assert!(!safe.contains(bad), "{bad:?} left in {safe:?}");
        }
        let rows = wrap(&safe, width);
        prop_assert!(!rows.is_empty());
        for row in &rows {
            let single = row.graphemes(true).count() == 1;
            prop_assert!(row.width() <= width || single, "row {row:?} wider than {width}");
        }
        let visible = |s: &str| s.graphemes(true).filter(|g| !g.trim().is_empty()).map(str::to_owned).collect::<Vec<_>>();
        let joined: Vec<String> = rows.iter().flat_map(|r| visible(r)).collect();
        prop_assert_eq!(joined, visible(&safe));
    }

    /// The fast path draws exactly what ratatui's own `set_line` draws, over whatever was there
    /// before, for ASCII, wide, combining and control text, clipped anywhere.
    #[test]
    fn put_line_draws_what_set_line_draws(
        spans in prop::collection::vec((prop::collection::vec(piece(), 0..6), 0u8..4), 0..6),
        x in 0u16..24,
        y in 0u16..4,
        max_width in 0u16..30,
        line_bold in any::<bool>(),
    ) {
        let styles = [Style::new(), Style::new().fg(Color::Red), Style::new().bold(), Style::new().bg(Color::Blue).italic()];
        let spans: Vec<Span> = spans
            .into_iter()
            .map(|(pieces, s)| Span::styled(pieces.concat(), styles[usize::from(s)]))
            .collect();
        let mut line = Line::from(spans);
        if line_bold {
            line = line.bold();
        }
        let area = Rect::new(0, 0, 20, 3);
        let mut before = Buffer::empty(area);
        before.set_string(0, 0, "0123456789abcdefghij", Style::new().fg(Color::Green));
        before.set_string(0, 1, "日本語日本語日本語日本", Style::new().underlined());
        let mut expected = before.clone();
        let mut actual = before;
        if y < area.height && x < area.width {
            let end = expected.set_line(x, y, &line, max_width).0;
            prop_assert_eq!(put_line(&mut actual, x, y, &line, max_width), end);
        } else {
            prop_assert_eq!(put_line(&mut actual, x, y, &line, max_width), x);
        }
        prop_assert_eq!(actual, expected);
    }
}
