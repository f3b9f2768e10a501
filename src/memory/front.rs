//! Typed memories: an optional front matter block at the top of a memory file.
//!
//! ```text
//! ---
//! name: Acme Corp
//! description: the customer's budget, timeline and contacts
//! type: project
//! ---
//! Budget: $2M ...
//! ```
//!
//! A file starts with front matter when its first line is `---` and its second line reads as
//! `key: value`; it then has to be well formed (closed by a `---` line, one `key: value` per line,
//! no key twice, a known `type`, a one-line `description`). Writes that would leave such a file
//! malformed are refused with a message that says what to fix, so the header stays readable for
//! the memory index and the panel. A file without front matter (a first line that is anything
//! else, a lone `---` rule) is plain text and behaves exactly as before.

use std::fmt;

/// Longest description kept, in characters: one line of an index.
pub const MAX_DESCRIPTION: usize = 200;
/// Lines a header may span before its closing `---` must have come.
const MAX_HEADER_LINES: usize = 30;

/// What a memory is about (the four types of the memory system this follows).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemoryType {
    /// Who the people are: roles, preferences, how they work.
    User,
    /// Guidance people gave about how to work: corrections, preferences about answers.
    Feedback,
    /// The work: customers, decisions, deadlines, designs.
    Project,
    /// Where things are: links, systems, documents elsewhere.
    Reference,
}

impl MemoryType {
    pub const ALL: [Self; 4] = [Self::User, Self::Feedback, Self::Project, Self::Reference];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Feedback => "feedback",
            Self::Project => "project",
            Self::Reference => "reference",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

impl fmt::Display for MemoryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for MemoryType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for MemoryType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("no type {text:?}")))
    }
}

/// `text` with the keys of its front matter set (`Some`) or dropped (`None`), each in place
/// (a new key goes last); a text without front matter is returned as it is.
pub fn with_keys(text: &str, keys: &[(&str, Option<String>)]) -> String {
    let Some(header) = of(text) else {
        return text.to_owned();
    };
    let (head, body) = text.split_at(header.len.min(text.len()));
    let mut lines: Vec<String> = head.lines().map(str::to_owned).collect();
    for (key, value) in keys {
        let at = lines
            .iter()
            .position(|l| l.split_once(':').is_some_and(|(k, _)| k.trim() == *key));
        match (at, value) {
            (Some(i), Some(v)) => lines[i] = format!("{key}: {v}"),
            (Some(i), None) => {
                lines.remove(i);
            }
            (None, Some(v)) => {
                let close = lines.len().saturating_sub(1);
                lines.insert(close, format!("{key}: {v}"));
            }
            (None, None) => {}
        }
    }
    format!("{}\n{body}", lines.join("\n"))
}

/// A file's header, read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FrontMatter {
    pub name: Option<String>,
    pub description: Option<String>,
    pub kind: Option<MemoryType>,
    /// Other keys, kept in order (later features and people's own keys).
    pub other: Vec<(String, String)>,
    /// Bytes of the header, closing line included: where the body starts.
    pub len: usize,
}

/// Whether `text` begins a front matter block: a `---` line followed by a `key:` line.
pub fn starts_header(text: &str) -> bool {
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    lines.next() == Some("---") && lines.next().is_some_and(|l| key_of(l).is_some())
}

/// The key of a `key: value` line: lowercase ASCII letters, digits, `_` and `-`, starting
/// with a letter.
fn key_of(line: &str) -> Option<&str> {
    let (key, _) = line.split_once(':')?;
    let mut chars = key.chars();
    let first = chars.next()?;
    (first.is_ascii_lowercase()
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'))
    .then_some(key)
}

/// A value without surrounding spaces and one pair of matching quotes.
fn unquote(value: &str) -> &str {
    let value = value.trim();
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}

/// Read a file's front matter: `Ok(None)` when the file has none, `Err` with what is wrong
/// when it starts one that is malformed.
pub fn parse(text: &str) -> Result<Option<FrontMatter>, String> {
    if !starts_header(text) {
        return Ok(None);
    }
    let mut header = FrontMatter::default();
    let mut offset = 0;
    let mut seen: Vec<String> = Vec::new();
    for (number, raw) in text.split_inclusive('\n').enumerate() {
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        if number == 0 {
            continue;
        }
        if line == "---" {
            header.len = offset;
            return Ok(Some(header));
        }
        if number > MAX_HEADER_LINES {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        let Some(key) = key_of(line) else {
            return Err(format!(
                "line {} of the front matter is not `key: value` (got {:?})",
                number + 1,
                clip(line, 40)
            ));
        };
        if seen.iter().any(|k| k == key) {
            return Err(format!("the front matter names `{key}` twice"));
        }
        seen.push(key.to_owned());
        let value = unquote(&line[key.len() + 1..]);
        match key {
            "name" | "description" if value.is_empty() => {
                return Err(format!("the front matter's `{key}` is empty"));
            }
            "name" => header.name = Some(value.to_owned()),
            "description" => {
                if value.chars().count() > MAX_DESCRIPTION {
                    return Err(format!(
                        "the front matter's description is longer than {MAX_DESCRIPTION} \
                         characters; keep it to one short line"
                    ));
                }
                header.description = Some(value.to_owned());
            }
            "type" => match MemoryType::parse(value) {
                Some(kind) => header.kind = Some(kind),
                None => {
                    return Err(format!(
                        "the front matter's type must be user, feedback, project or reference \
                         (got {:?})",
                        clip(value, 30)
                    ));
                }
            },
            _ => header.other.push((key.to_owned(), value.to_owned())),
        }
    }
    Err(format!(
        "the front matter is not closed: add a line `---` after its last `key: value` line \
         (within the first {MAX_HEADER_LINES} lines)"
    ))
}

/// Refuse a write that leaves `path`'s front matter malformed; plain files pass untouched.
pub fn check(path: &str, new_text: &str) -> Result<(), String> {
    parse(new_text).map(|_| ()).map_err(|problem| {
        format!(
            "Nothing was written to {path}: {problem}. The header at the top of a memory file \
             (between two `---` lines) holds name, description and type (user, feedback, project \
             or reference)."
        )
    })
}

/// The header of `text` when it has a well-formed one.
pub fn of(text: &str) -> Option<FrontMatter> {
    parse(text).ok().flatten()
}

/// The body of `text`: after its front matter, or all of it.
pub fn body(text: &str) -> &str {
    of(text).map_or(text, |h| &text[h.len..])
}

/// A one-line summary of a file for an index: the header's description, else the body's first
/// line with its Markdown heading marks taken off; clipped to [`MAX_DESCRIPTION`] characters.
pub fn describe(text: &str) -> String {
    if let Some(description) = of(text).and_then(|h| h.description) {
        return clip(&description, MAX_DESCRIPTION);
    }
    let first = body(text)
        .lines()
        .map(|l| l.trim().trim_start_matches('#').trim())
        .find(|l| !l.is_empty() && *l != "---")
        .unwrap_or("");
    clip(first, MAX_DESCRIPTION)
}

/// `text` on one line (control and format characters as spaces, runs of spaces as one), at most
/// `max` characters with an ellipsis when cut.
pub fn clip(text: &str, max: usize) -> String {
    let hidden = |c: char| {
        c.is_control()
            || (super::path::is_control_or_format(c) && !crate::safe::is_joiner(c))
            || c.is_whitespace()
    };
    let words: Vec<&str> = text.split(hidden).filter(|w| !w.is_empty()).collect();
    let line = words.join(" ");
    if line.chars().count() <= max {
        return line;
    }
    let mut out: String = line.chars().take(max.saturating_sub(1)).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_header_and_its_body() {
        let text = "---\nname: Acme\ndescription: \"budget, timeline\"\ntype: project\nowner: Alice\n---\nBudget $2M\n";
        let h = of(text).unwrap();
        assert_eq!(h.name.as_deref(), Some("Acme"));
        assert_eq!(h.description.as_deref(), Some("budget, timeline"));
        assert_eq!(h.kind, Some(MemoryType::Project));
        assert_eq!(h.other, vec![("owner".into(), "Alice".into())]);
        assert_eq!(body(text), "Budget $2M\n");
        assert_eq!(describe(text), "budget, timeline");
    }

    #[test]
    fn plain_files_have_none() {
        for text in [
            "",
            "# Acme\n",
            "---\n",
            "---\n\nA rule above, then text\n",
            "---\nJust a horizontal rule: then prose\n",
            "--- \nname: x\n---\n",
        ] {
            assert_eq!(parse(text), Ok(None), "{text:?}");
            assert_eq!(check("/memories/a.md", text), Ok(()));
        }
        assert_eq!(describe("\n\n## Acme Corp\n\nBudget\n"), "Acme Corp");
    }

    #[test]
    fn malformed_headers_say_what_is_wrong() {
        let cases = [
            ("---\ntype: customer\n---\n", "type must be user"),
            ("---\nname: a\nname: b\n---\n", "names `name` twice"),
            ("---\nname: a\nthis is prose\n---\n", "line 3"),
            ("---\nname: a\n", "not closed"),
            ("---\ndescription:\n---\n", "`description` is empty"),
        ];
        for (text, wanted) in cases {
            let err = check("/memories/a.md", text).unwrap_err();
            assert!(err.contains(wanted), "{text:?}: {err}");
            assert!(err.starts_with("Nothing was written to /memories/a.md"));
        }
        let long = format!("---\ndescription: {}\n---\n", "x".repeat(201));
        assert!(check("/m", &long).unwrap_err().contains("longer than 200"));
    }

    #[test]
    fn crlf_headers_read_too() {
        let text = "---\r\ntype: user\r\n---\r\nSam prefers email\r\n";
        assert_eq!(of(text).unwrap().kind, Some(MemoryType::User));
        assert_eq!(body(text), "Sam prefers email\r\n");
    }

    #[test]
    fn clip_keeps_one_short_line() {
        assert_eq!(clip("a\n\tb\u{202e}c", 20), "a b c");
        assert_eq!(clip("abcdefghij", 5), "abcd…");
        assert_eq!(clip("abcde", 5), "abcde");
        assert_eq!(clip("  lead", 10), "lead");
    }
}
