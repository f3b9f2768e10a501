//! Memory paths: the string stage of validation.
//!
//! The model names files as `/memories/...`. [`MemPath::parse`] turns such a string into a list
//! of checked segments before any filesystem call or Redis key is built from it. The rules are
//! stricter than the reference implementation (see `ARCHITECTURE.md`): anything that could escape
//! the store, forge a directory listing, or mean different things on different systems is refused
//! with an error that names the rule.

use std::fmt::{self, Write as _};

use unicode_normalization::is_nfc;

/// The virtual root the model sees.
pub const ROOT: &str = "/memories";
/// Longest accepted path, in bytes, including the `/memories` prefix.
pub const MAX_PATH_BYTES: usize = 1024;
/// Longest accepted name of one file or directory, in bytes.
pub const MAX_SEGMENT_BYTES: usize = 255;
/// Most segments below `/memories`.
pub const MAX_DEPTH: usize = 8;

/// A validated memory path: `/memories` followed by zero or more checked names.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MemPath {
    segments: Vec<String>,
}

/// Why a path was refused. The `Display` text is what the model and the user read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("Path must start with /memories, got: {0}")]
    Prefix(String),
    #[error("Path {0} would escape /memories directory")]
    Escape(String),
    #[error("Path {path} is {len} bytes long; memory paths are limited to 1,024 bytes")]
    TooLong { path: String, len: usize },
    #[error(
        "Path {path} contains the control or format character U+{code:04X}; memory paths may not \
         contain invisible or control characters"
    )]
    ControlChar { path: String, code: u32 },
    #[error(
        "Path {0} is not in Unicode NFC form; write accented letters as single composed characters"
    )]
    NotNfc(String),
    #[error(
        "Path {path} contains the character '{ch}'; memory paths may not contain backslashes, \
         colons or percent signs"
    )]
    ForbiddenChar { path: String, ch: char },
    #[error(
        "Path {path} contains U+{code:04X}, a character that looks like a slash or a dot; memory \
         paths may not contain it"
    )]
    Lookalike { path: String, code: u32 },
    #[error(
        "Path {path} contains U+{code:04X}, a fullwidth form of a plain character ({plain}); \
         memory paths use the plain one, so that two names never look the same"
    )]
    Fullwidth {
        path: String,
        code: u32,
        plain: char,
    },
    #[error(
        "Path {0} has an empty name (a doubled or trailing '/'); write each directory once, as in \
         /memories/notes/todo.md"
    )]
    EmptySegment(String),
    #[error("Path {0} contains a '.' segment; write the path without it")]
    DotSegment(String),
    #[error(
        "Path {path} names a hidden item '{name}'; names starting with '.' are reserved for \
         memdeck's own files"
    )]
    Hidden { path: String, name: String },
    #[error("Path {path} has a name of {len} bytes; each name is limited to 255 bytes")]
    SegmentTooLong { path: String, len: usize },
    #[error(
        "Path {path} is {depth} levels deep; memory paths are limited to 8 levels below /memories"
    )]
    TooDeep { path: String, depth: usize },
    #[error("Path {path} has a name ending in a dot or a space ('{name}'), which is not allowed")]
    TrailingDotOrSpace { path: String, name: String },
    #[error(
        "Path {path} uses the reserved device name '{name}' (CON, PRN, AUX, NUL, COM0-9 and \
         LPT0-9 are not allowed, with or without an extension)"
    )]
    ReservedName { path: String, name: String },
    #[error(
        "Path {path} names '{name}', which looks like an editor's temporary file; such names are \
         reserved"
    )]
    EditorTemp { path: String, name: String },
}

impl MemPath {
    /// The root, `/memories` itself.
    pub fn root() -> Self {
        Self {
            segments: Vec::new(),
        }
    }

    /// Check `raw` against every path rule, before any I/O.
    ///
    /// ```
    /// use memdeck::memory::MemPath;
    ///
    /// let path = MemPath::parse("/memories/customers/acme.md").unwrap();
    /// assert_eq!(path.segments(), ["customers", "acme.md"]);
    /// assert_eq!(
    ///     MemPath::parse("/memories/../etc/passwd").unwrap_err().to_string(),
    ///     "Path /memories/../etc/passwd would escape /memories directory"
    /// );
    /// assert!(MemPath::parse("/memoriesX").is_err());
    /// ```
    pub fn parse(raw: &str) -> Result<Self, PathError> {
        let shown = || display_raw(raw);
        if let Some(c) = raw.chars().find(|&c| is_control_or_format(c)) {
            return Err(PathError::ControlChar {
                path: shown(),
                code: u32::from(c),
            });
        }
        if raw.len() > MAX_PATH_BYTES {
            return Err(PathError::TooLong {
                path: shown(),
                len: raw.len(),
            });
        }
        if !is_nfc(raw) {
            return Err(PathError::NotNfc(shown()));
        }
        if let Some(ch) = raw.chars().find(|c| matches!(c, '\\' | ':' | '%')) {
            return Err(PathError::ForbiddenChar { path: shown(), ch });
        }
        if let Some(c) = raw.chars().find(|&c| is_separator_lookalike(c)) {
            return Err(PathError::Lookalike {
                path: shown(),
                code: u32::from(c),
            });
        }
        // U+FF01..=U+FF5E are the fullwidth twins of ASCII '!'..='~'.
        if let Some(c) = raw.chars().find(|c| ('\u{FF01}'..='\u{FF5E}').contains(c)) {
            return Err(PathError::Fullwidth {
                path: shown(),
                code: u32::from(c),
                plain: char::from_u32(u32::from(c) - 0xFEE0).unwrap_or('?'),
            });
        }
        let rest = match raw.strip_prefix(ROOT) {
            Some("" | "/") => return Ok(Self::root()),
            Some(rest) if rest.starts_with('/') => &rest[1..],
            _ => return Err(PathError::Prefix(shown())),
        };
        let parts: Vec<&str> = rest.split('/').collect();
        // `..` is refused before any other segment rule, with the reference's own wording.
        if parts.contains(&"..") {
            return Err(PathError::Escape(shown()));
        }
        if parts.len() > MAX_DEPTH {
            return Err(PathError::TooDeep {
                path: shown(),
                depth: parts.len(),
            });
        }
        let mut segments = Vec::with_capacity(parts.len());
        for part in parts {
            check_segment(part).map_err(|rule| rule.into_error(shown()))?;
            segments.push(part.to_owned());
        }
        Ok(Self { segments })
    }

    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// The last name, or `None` for the root.
    pub fn name(&self) -> Option<&str> {
        self.segments.last().map(String::as_str)
    }

    /// The directory holding this path, or `None` for the root.
    pub fn parent(&self) -> Option<MemPath> {
        let (_, head) = self.segments.split_last()?;
        Some(Self {
            segments: head.to_vec(),
        })
    }

    /// This path with one more name below it, checked by the same rules.
    pub fn join(&self, name: &str) -> Result<MemPath, PathError> {
        let mut segments = self.segments.clone();
        segments.push(name.to_owned());
        let joined = Self { segments };
        if joined.segments.len() > MAX_DEPTH {
            return Err(PathError::TooDeep {
                path: display_raw(&joined.to_string()),
                depth: joined.segments.len(),
            });
        }
        check_segment(name).map_err(|rule| rule.into_error(display_raw(&joined.to_string())))?;
        Ok(joined)
    }

    /// Whether `self` is `other` or lies below it.
    pub fn starts_with(&self, other: &MemPath) -> bool {
        self.segments.starts_with(&other.segments)
    }

    /// `self` with the leading `from` replaced by `to`; `None` when `self` is not under `from`.
    pub fn rebase(&self, from: &MemPath, to: &MemPath) -> Option<MemPath> {
        let tail = self.segments.strip_prefix(from.segments.as_slice())?;
        let mut segments = to.segments.clone();
        segments.extend(tail.iter().cloned());
        Some(Self { segments })
    }

    /// The path relative to the store root, as used on disk and as a Redis field.
    pub fn relative(&self) -> String {
        self.segments.join("/")
    }
}

impl fmt::Display for MemPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(ROOT)?;
        for segment in &self.segments {
            f.write_str("/")?;
            f.write_str(segment)?;
        }
        Ok(())
    }
}

/// A segment rule that failed, before the path is known for the message.
enum SegmentRule {
    Empty,
    Dot,
    Hidden(String),
    TooLong(usize),
    TrailingDotOrSpace(String),
    Reserved(String),
    EditorTemp(String),
}

impl SegmentRule {
    fn into_error(self, path: String) -> PathError {
        match self {
            Self::Empty => PathError::EmptySegment(path),
            Self::Dot => PathError::DotSegment(path),
            Self::Hidden(name) => PathError::Hidden { path, name },
            Self::TooLong(len) => PathError::SegmentTooLong { path, len },
            Self::TrailingDotOrSpace(name) => PathError::TrailingDotOrSpace { path, name },
            Self::Reserved(name) => PathError::ReservedName { path, name },
            Self::EditorTemp(name) => PathError::EditorTemp { path, name },
        }
    }
}

fn check_segment(name: &str) -> Result<(), SegmentRule> {
    match name {
        "" => return Err(SegmentRule::Empty),
        "." => return Err(SegmentRule::Dot),
        _ => {}
    }
    if name.starts_with('.') {
        return Err(SegmentRule::Hidden(name.to_owned()));
    }
    if name.len() > MAX_SEGMENT_BYTES {
        return Err(SegmentRule::TooLong(name.len()));
    }
    if name.ends_with('.') || name.ends_with(' ') {
        return Err(SegmentRule::TrailingDotOrSpace(name.to_owned()));
    }
    if is_reserved_device_name(name) {
        return Err(SegmentRule::Reserved(name.to_owned()));
    }
    if is_editor_leftover(name) {
        return Err(SegmentRule::EditorTemp(name.to_owned()));
    }
    Ok(())
}

/// Whether two names differ only in letter case, so that a case-insensitive disk (macOS and
/// Windows by default) would take them for one name.
pub fn differ_only_in_case(a: &str, b: &str) -> bool {
    a != b && (a.to_lowercase() == b.to_lowercase() || a.to_uppercase() == b.to_uppercase())
}

/// Whether a directory entry should stay out of every listing: hidden names (our temp, lock
/// and history files among them) and the leftovers editors make while saving.
pub fn is_unlisted_name(name: &[u8]) -> bool {
    name.first() == Some(&b'.') || std::str::from_utf8(name).is_ok_and(is_editor_leftover)
}

/// Names vim and emacs create beside a file while saving: `4913`, `a.md~`, `#a.md#`.
fn is_editor_leftover(name: &str) -> bool {
    name == "4913"
        || name.ends_with('~')
        || (name.len() >= 2 && name.starts_with('#') && name.ends_with('#'))
}

fn is_reserved_device_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).to_ascii_uppercase();
    match stem.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" => true,
        _ => {
            let bytes = stem.as_bytes();
            bytes.len() == 4
                && (stem.starts_with("COM") || stem.starts_with("LPT"))
                && bytes[3].is_ascii_digit()
        }
    }
}

/// Unicode Cc (controls), Cf (format characters) and the line and paragraph separators: all
/// invisible or able to break a listing apart.
pub fn is_control_or_format(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') || is_format_char(c)
}

/// The Unicode general category Cf (format characters).
fn is_format_char(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}

/// Characters that render like `/`, `\` or `.` and could make a name look like a path.
fn is_separator_lookalike(c: char) -> bool {
    matches!(
        c,
        '\u{2044}' // fraction slash
            | '\u{2215}' // division slash
            | '\u{2216}' // set minus
            | '\u{29F8}' // big solidus
            | '\u{29F9}' // big reverse solidus
            | '\u{FE68}' // small reverse solidus
            | '\u{FF0F}' // fullwidth solidus
            | '\u{FF3C}' // fullwidth reverse solidus
            | '\u{FF0E}' // fullwidth full stop
            | '\u{2024}' // one dot leader
            | '\u{2025}' // two dot leader
            | '\u{2026}' // horizontal ellipsis
            | '\u{2571}' // box drawings light diagonal upper right to lower left
            | '\u{2572}' // box drawings light diagonal upper left to lower right
            | '\u{29F5}' // reverse solidus operator
            | '\u{FE52}' // small full stop
    )
}

/// `raw` made safe to echo in a message: control and format characters become `\u{..}`.
pub fn display_raw(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if is_control_or_format(c) {
            let _ = write!(out, "\\u{{{:04X}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    if out.len() > 2 * MAX_PATH_BYTES {
        let mut end = 200;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
        out.push('…');
    }
    out
}

/// A name read from disk, shown safely whatever bytes it holds: invalid UTF-8 bytes become
/// `\xNN`, control and format characters `\u{..}`.
pub fn display_disk_name(name: &[u8]) -> String {
    let mut out = String::with_capacity(name.len());
    for chunk in name.utf8_chunks() {
        out.push_str(&display_raw(chunk.valid()));
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_root_spellings_and_plain_paths() {
        assert!(MemPath::parse("/memories").unwrap().is_root());
        assert!(MemPath::parse("/memories/").unwrap().is_root());
        let p = MemPath::parse("/memories/proj/notes.md").unwrap();
        assert_eq!(p.segments(), ["proj", "notes.md"]);
        assert_eq!(p.to_string(), "/memories/proj/notes.md");
        assert_eq!(p.parent().unwrap().to_string(), "/memories/proj");
    }

    #[test]
    fn eight_levels_pass_and_nine_fail() {
        assert!(MemPath::parse("/memories/a/b/c/d/e/f/g/h.md").is_ok());
        assert!(matches!(
            MemPath::parse("/memories/a/b/c/d/e/f/g/h/i.md"),
            Err(PathError::TooDeep { depth: 9, .. })
        ));
    }

    #[test]
    fn reserved_names_are_caught_case_insensitively() {
        for bad in ["CON", "nul.md", "Com1", "lpt9.txt", "aux"] {
            assert!(is_reserved_device_name(bad), "{bad}");
        }
        for ok in ["console.md", "com10", "nullable.md", "COMA"] {
            assert!(!is_reserved_device_name(ok), "{ok}");
        }
    }

    #[test]
    fn case_twins_are_told_apart_from_equal_and_different_names() {
        assert!(differ_only_in_case("Notes.md", "notes.md"));
        assert!(differ_only_in_case("\u{c9}t\u{e9}", "\u{e9}t\u{c9}"));
        assert!(differ_only_in_case("STRASSE", "strasse"));
        assert!(!differ_only_in_case("notes.md", "notes.md"));
        assert!(!differ_only_in_case("notes.md", "note.md"));
    }

    #[test]
    fn disk_names_are_escaped() {
        assert_eq!(display_disk_name(b"a\xffb"), "a\\xFFb");
        assert_eq!(display_disk_name(b"a\nb"), "a\\u{000A}b");
    }

    #[test]
    fn rebase_moves_a_subtree() {
        let from = MemPath::parse("/memories/a").unwrap();
        let to = MemPath::parse("/memories/b/c").unwrap();
        let p = MemPath::parse("/memories/a/x/y.md").unwrap();
        assert_eq!(
            p.rebase(&from, &to).unwrap().to_string(),
            "/memories/b/c/x/y.md"
        );
        assert!(to.rebase(&from, &to).is_none());
    }
}
