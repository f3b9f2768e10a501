//! Text for the screen: whatever the model or a memory file contains, nothing reaches the
//! terminal as a control sequence, no row is wider than asked, and no character is split or lost.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use memdeck::ui::text::{sanitize, wrap};
use proptest::prelude::*;
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
}
