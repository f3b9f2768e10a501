//! Colours and styles used across the screen.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

pub const DIM: Style = Style::new().fg(Color::DarkGray);
pub const ERROR: Style = Style::new().fg(Color::LightRed);
pub const OK: Style = Style::new().fg(Color::LightGreen);
pub const WARN: Style = Style::new().fg(Color::Yellow);
pub const FOCUSED_BORDER: Style = Style::new().fg(Color::White);
pub const BORDER: Style = Style::new().fg(Color::DarkGray);
pub const KEY: Style = Style::new().fg(Color::White).add_modifier(Modifier::BOLD);
pub const SELECTED: Style = Style::new().add_modifier(Modifier::REVERSED);
pub const FLASH: Style = Style::new().bg(Color::Rgb(60, 60, 20));

/// A persona's colour from its name in the personas file (`cyan`, `lightmagenta`, `#ff8800`);
/// an unknown name is white.
pub fn color(name: &str) -> Color {
    // The plain names are matched directly: this runs for every tab and panel row each frame,
    // and ratatui's parser lowercases and rewrites the name into new strings first.
    match name {
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" => Color::Gray,
        "darkgray" => Color::DarkGray,
        "lightred" => Color::LightRed,
        "lightgreen" => Color::LightGreen,
        "lightyellow" => Color::LightYellow,
        "lightblue" => Color::LightBlue,
        "lightmagenta" => Color::LightMagenta,
        "lightcyan" => Color::LightCyan,
        "white" => Color::White,
        _ => name.parse::<Color>().unwrap_or(Color::White),
    }
}

/// Whether `name` is a colour [`color`] knows (rather than one it turns into white).
pub fn is_color(name: &str) -> bool {
    name.parse::<Color>().is_ok()
}

/// The style of a persona's name.
pub fn persona(name: &str) -> Style {
    Style::new().fg(color(name)).add_modifier(Modifier::BOLD)
}

/// Borders: brighter when focused.
pub fn border(focused: bool) -> Style {
    if focused { FOCUSED_BORDER } else { BORDER }
}

pub use crate::chat::cost::thousands;

/// Keys and what they do, as one line: each key bold, its meaning dim, then `gap`.
pub fn key_hints(keys: &[(&str, &str)], gap: &str) -> Line<'static> {
    let mut spans = Vec::with_capacity(keys.len() * 2);
    for (key, what) in keys {
        spans.push(Span::styled((*key).to_owned(), KEY));
        spans.push(Span::styled(format!(" {what}{gap}"), DIM));
    }
    Line::from(spans)
}

/// Spinner frame for an instant: a tenth of a second per frame.
pub fn spinner(elapsed_ms: u128) -> char {
    const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    FRAMES[usize::try_from(elapsed_ms / 100 % 10).unwrap_or(0)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(4512), "4,512");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn colour_names_parse() {
        assert_eq!(color("cyan"), Color::Cyan);
        assert_eq!(color("#ff8800"), Color::Rgb(255, 136, 0));
        assert_eq!(color("no such colour"), Color::White);
        // The quick names agree with ratatui's parser.
        for name in [
            "black",
            "red",
            "green",
            "yellow",
            "blue",
            "magenta",
            "cyan",
            "gray",
            "darkgray",
            "lightred",
            "lightgreen",
            "lightyellow",
            "lightblue",
            "lightmagenta",
            "lightcyan",
            "white",
            "Light-Magenta",
            "208",
        ] {
            assert_eq!(color(name), name.parse::<Color>().unwrap(), "{name}");
        }
    }
}
