//! Colours and styles used across the screen.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

/// The styles of every role on screen. Built in: `dark` (the default), `light` and
/// `high-contrast`, from `assets/themes/`; a theme file of one's own sets some roles and takes the
/// rest from `dark`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    pub dim: Style,
    pub error: Style,
    pub ok: Style,
    pub warn: Style,
    pub border: Style,
    pub focused_border: Style,
    pub key: Style,
    pub selected: Style,
    pub flash: Style,
    pub bar: Style,
    pub strong: Style,
    pub code: Style,
    pub gutter: Style,
    pub link: Style,
    pub marker: Style,
    pub path: Style,
    /// Made for a light background: persona colours that would fade on it (white, yellow,
    /// the light ones) are drawn darker.
    pub light_background: bool,
}

/// The themes that ship with memdeck: name and file.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("dark", include_str!("../../assets/themes/dark.toml")),
    ("light", include_str!("../../assets/themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../assets/themes/high-contrast.toml"),
    ),
];

/// A theme file: every role optional.
#[derive(Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    dim: Option<toml::Spanned<String>>,
    error: Option<toml::Spanned<String>>,
    ok: Option<toml::Spanned<String>>,
    warn: Option<toml::Spanned<String>>,
    border: Option<toml::Spanned<String>>,
    focused_border: Option<toml::Spanned<String>>,
    key: Option<toml::Spanned<String>>,
    strong: Option<toml::Spanned<String>>,
    code: Option<toml::Spanned<String>>,
    gutter: Option<toml::Spanned<String>>,
    link: Option<toml::Spanned<String>>,
    marker: Option<toml::Spanned<String>>,
    path: Option<toml::Spanned<String>>,
    bar_bg: Option<toml::Spanned<String>>,
    flash_bg: Option<toml::Spanned<String>>,
    background: Option<toml::Spanned<String>>,
}

impl Default for Theme {
    fn default() -> Self {
        // The built-in file is part of the binary and checked by a test.
        Self::parse(BUILT_IN[0].1, Self::fallback()).unwrap_or_else(|_| Self::fallback())
    }
}

impl Theme {
    /// The dark theme's values, as code: the base the built-in files are read onto.
    const fn fallback() -> Self {
        Self {
            dim: Style::new().fg(Color::DarkGray),
            error: Style::new().fg(Color::LightRed),
            ok: Style::new().fg(Color::LightGreen),
            warn: Style::new().fg(Color::Yellow),
            border: Style::new().fg(Color::DarkGray),
            focused_border: Style::new().fg(Color::White),
            key: Style::new().fg(Color::White).add_modifier(Modifier::BOLD),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            flash: Style::new().bg(Color::Rgb(60, 60, 20)),
            bar: Style::new().bg(Color::Rgb(30, 30, 30)),
            strong: Style::new().fg(Color::White).add_modifier(Modifier::BOLD),
            code: Style::new().fg(Color::LightGreen),
            gutter: Style::new().fg(Color::DarkGray),
            link: Style::new()
                .fg(Color::LightBlue)
                .add_modifier(Modifier::UNDERLINED),
            marker: Style::new().fg(Color::Gray),
            path: Style::new().fg(Color::LightBlue),
            light_background: false,
        }
    }

    /// A built-in theme by name, or a theme file by path.
    pub fn find(name: &str) -> Result<Self, String> {
        if let Some((_, text)) = BUILT_IN.iter().find(|(n, _)| *n == name) {
            return Self::parse(text, Self::fallback());
        }
        let path = std::path::Path::new(name);
        let looks_like_file = name.contains('/')
            || path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
        let builtins: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
        if !looks_like_file {
            return Err(format!(
                "no theme called {name:?}: the themes are {}, or give a theme file's path",
                builtins.join(", ")
            ));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the theme {}: {e}", path.display()))?;
        Self::parse(&text, Self::default()).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// A theme file's roles set onto `base`.
    pub fn parse(text: &str, base: Self) -> Result<Self, String> {
        let file: ThemeFile =
            toml::from_str(text).map_err(|e| e.to_string().trim_end().to_owned())?;
        let line = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let colour =
            |name: &str, value: &Option<toml::Spanned<String>>| -> Result<Option<Color>, String> {
                let Some(value) = value else { return Ok(None) };
                let text = value.get_ref().trim();
                if text.eq_ignore_ascii_case("default") {
                    return Ok(Some(Color::Reset));
                }
                text.parse::<Color>().map(Some).map_err(|_| {
                    format!(
                        "line {}: {name} = {text:?} is not a colour (a name such as darkgray, a \
                     number from 0 to 255, #rrggbb, or default)",
                        line(value.span().start)
                    )
                })
            };
        let mut t = base;
        let fg = |style: &mut Style, name: &str, value: &Option<toml::Spanned<String>>| {
            if let Some(c) = colour(name, value)? {
                *style = style.fg(c);
            }
            Ok::<(), String>(())
        };
        fg(&mut t.dim, "dim", &file.dim)?;
        fg(&mut t.error, "error", &file.error)?;
        fg(&mut t.ok, "ok", &file.ok)?;
        fg(&mut t.warn, "warn", &file.warn)?;
        fg(&mut t.border, "border", &file.border)?;
        fg(
            &mut t.focused_border,
            "focused_border",
            &file.focused_border,
        )?;
        fg(&mut t.key, "key", &file.key)?;
        fg(&mut t.strong, "strong", &file.strong)?;
        fg(&mut t.code, "code", &file.code)?;
        fg(&mut t.gutter, "gutter", &file.gutter)?;
        fg(&mut t.link, "link", &file.link)?;
        fg(&mut t.marker, "marker", &file.marker)?;
        fg(&mut t.path, "path", &file.path)?;
        if let Some(c) = colour("bar_bg", &file.bar_bg)? {
            t.bar = t.bar.bg(c);
        }
        if let Some(c) = colour("flash_bg", &file.flash_bg)? {
            t.flash = t.flash.bg(c);
        }
        if let Some(background) = &file.background {
            t.light_background = match background.get_ref().as_str() {
                "light" => true,
                "dark" => false,
                other => {
                    return Err(format!(
                        "line {}: background = {other:?}: expected light or dark",
                        line(background.span().start)
                    ));
                }
            };
        }
        Ok(t)
    }

    /// A persona's colour from its name, readable on this theme's background.
    pub fn color(&self, name: &str) -> Color {
        let c = color(name);
        if !self.light_background {
            return c;
        }
        match c {
            Color::White | Color::Gray => Color::Black,
            Color::Yellow | Color::LightYellow => Color::Rgb(0x8a, 0x5a, 0x00),
            Color::LightRed => Color::Red,
            Color::LightGreen => Color::Green,
            Color::LightBlue => Color::Blue,
            Color::LightMagenta => Color::Magenta,
            Color::LightCyan => Color::Cyan,
            other => other,
        }
    }

    /// The style of a persona's name.
    pub fn persona(&self, name: &str) -> Style {
        Style::new()
            .fg(self.color(name))
            .add_modifier(Modifier::BOLD)
    }

    /// Borders: brighter when focused.
    pub fn border(&self, focused: bool) -> Style {
        if focused {
            self.focused_border
        } else {
            self.border
        }
    }

    /// Keys and what they do, as one line: each key bold, its meaning dim, then `gap`.
    pub fn key_hints(&self, keys: &[(&str, &str)], gap: &str) -> Line<'static> {
        let mut spans = Vec::with_capacity(keys.len() * 2);
        for (key, what) in keys {
            spans.push(Span::styled((*key).to_owned(), self.key));
            spans.push(Span::styled(format!(" {what}{gap}"), self.dim));
        }
        Line::from(spans)
    }
}

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

pub use crate::chat::cost::thousands;

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
    fn the_built_in_themes_load_and_dark_is_the_code_s_default() {
        for (name, text) in BUILT_IN {
            assert!(Theme::parse(text, Theme::fallback()).is_ok(), "{name}");
            assert!(Theme::find(name).is_ok(), "{name}");
        }
        assert_eq!(Theme::default(), Theme::fallback());
        let light = Theme::find("light").unwrap();
        assert_eq!(light.strong.fg, Some(Color::Black));
        assert_eq!(light.bar.bg, Some(Color::Rgb(0xe4, 0xe4, 0xe4)));
        // Modifiers stay: keys are bold whatever their colour.
        assert!(light.key.add_modifier.contains(Modifier::BOLD));
        // Personas stay readable: yellow darkens on a light background, exact colours stay.
        assert_eq!(light.color("yellow"), Color::Rgb(0x8a, 0x5a, 0x00));
        assert_eq!(light.color("#123456"), Color::Rgb(0x12, 0x34, 0x56));
        assert_eq!(Theme::default().color("yellow"), Color::Yellow);
    }

    #[test]
    fn theme_files_set_some_roles_and_bad_ones_say_where() {
        let t = Theme::parse("dim = \"gray\"\nbar_bg = \"default\"\n", Theme::default()).unwrap();
        assert_eq!(t.dim.fg, Some(Color::Gray));
        assert_eq!(t.bar.bg, Some(Color::Reset));
        assert_eq!(t.error, Theme::default().error);
        let err = Theme::parse("\ndim = \"greyish\"\n", Theme::default()).unwrap_err();
        assert_eq!(
            err,
            "line 2: dim = \"greyish\" is not a colour (a name such as darkgray, a number from 0 to 255, #rrggbb, or default)"
        );
        let err = Theme::parse("dimm = \"gray\"\n", Theme::default()).unwrap_err();
        assert!(err.contains("dimm") && err.contains("line 1"), "{err}");
        let err = Theme::find("sepia").unwrap_err();
        assert!(err.contains("dark, light, high-contrast"), "{err}");
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
