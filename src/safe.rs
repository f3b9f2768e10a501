//! Text for a terminal outside the TUI: what `ask`, `export`, `sessions show`, `doctor` and
//! the `memory` commands print comes from models, files and the network, so it goes through
//! the same mapping as the TUI's text ([`crate::ui::text::sanitize`]): every control and
//! invisible format character is shown (ESC as `␛`, a bidi override as `⟨U+202E⟩`), so nothing
//! printed can retitle the window, clear the screen, write the clipboard (OSC 52), hide a link
//! or reorder text. Newlines and tabs pass. JSON keeps being JSON: such characters (which can
//! only be inside its strings) are written as `\uXXXX` escapes instead. `--raw` prints the
//! bytes as they are, for scripts that want them.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// `--raw`: print bytes as they are.
static RAW: AtomicBool = AtomicBool::new(false);

/// Turn the sanitising of everything printed off (`--raw`) or on.
pub fn set_raw(raw: bool) {
    RAW.store(raw, Ordering::Relaxed);
}

pub fn is_raw() -> bool {
    RAW.load(Ordering::Relaxed)
}

/// Zero-width joiners and variation selectors belong inside emoji sequences; they are not a
/// way to hide text and are kept.
pub fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200d}' | '\u{fe0e}' | '\u{fe0f}')
}

/// Append `c` as the screen may show it: a C0 control as its control picture (U+2400 + code),
/// DEL as `␡`, any other control or format character as `⟨U+XXXX⟩`, the rest as it is.
pub fn push_visible(out: &mut String, c: char) {
    match c {
        '\0'..='\u{1f}' => out.push(char::from_u32(0x2400 + u32::from(c)).unwrap_or('?')),
        '\u{7f}' => out.push('\u{2421}'),
        c if crate::memory::path::is_control_or_format(c) && !is_joiner(c) => {
            let _ = write!(out, "⟨U+{:04X}⟩", u32::from(c));
        }
        c => out.push(c),
    }
}

/// `text` fit for a terminal: newlines and tabs kept, every other control or format character
/// shown (see [`push_visible`]).
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\n' | '\t') {
            out.push(c);
        } else {
            push_visible(&mut out, c);
        }
    }
    out
}

/// JSON text with every control or format character a serialiser leaves raw (DEL, C1, bidi
/// and other invisible characters, all inside strings) written as `\uXXXX`: the same JSON
/// value, nothing a terminal acts on.
pub fn json_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c != '\n' && crate::memory::path::is_control_or_format(c) && !is_joiner(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// How a [`SafeWriter`] treats what passes through it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Text for people: [`printable`].
    Text,
    /// JSON lines: [`json_safe`].
    Json,
    /// As it is.
    Raw,
}

/// A writer that makes what passes through it safe for a terminal; UTF-8 split across writes
/// is put back together first (bytes that are not UTF-8 become U+FFFD).
pub struct SafeWriter<W: Write> {
    inner: W,
    mode: Mode,
    carry: Vec<u8>,
}

impl<W: Write> SafeWriter<W> {
    /// `mode`, unless `--raw` was given.
    pub fn new(inner: W, mode: Mode) -> Self {
        let mode = if is_raw() { Mode::Raw } else { mode };
        Self {
            inner,
            mode,
            carry: Vec::new(),
        }
    }

    fn convert(&self, text: &str) -> String {
        match self.mode {
            Mode::Text => printable(text),
            Mode::Json => json_safe(text),
            Mode::Raw => text.to_owned(),
        }
    }
}

impl<W: Write> Write for SafeWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.mode == Mode::Raw {
            return self.inner.write(buf);
        }
        self.carry.extend_from_slice(buf);
        let mut text = String::new();
        loop {
            match std::str::from_utf8(&self.carry) {
                Ok(all) => {
                    text.push_str(all);
                    self.carry.clear();
                    break;
                }
                Err(e) => {
                    let good = e.valid_up_to();
                    text.push_str(std::str::from_utf8(&self.carry[..good]).unwrap_or_default());
                    match e.error_len() {
                        // Invalid bytes: replaced, and on with the rest.
                        Some(bad) => {
                            text.push('\u{fffd}');
                            self.carry.drain(..good + bad);
                        }
                        // A sequence cut by the end of this write: kept for the next.
                        None => {
                            self.carry.drain(..good);
                            break;
                        }
                    }
                }
            }
        }
        let converted = self.convert(&text);
        self.inner.write_all(converted.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write> Drop for SafeWriter<W> {
    fn drop(&mut self) {
        if !self.carry.is_empty() {
            let _ = self.inner.write_all("\u{fffd}".as_bytes());
        }
        let _ = self.inner.flush();
    }
}

/// Standard output, made safe as text (see [`SafeWriter`]).
pub fn stdout() -> SafeWriter<io::Stdout> {
    SafeWriter::new(io::stdout(), Mode::Text)
}

/// Standard error, made safe as text.
pub fn stderr() -> SafeWriter<io::Stderr> {
    SafeWriter::new(io::stderr(), Mode::Text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_become_visible_and_json_stays_json() {
        let hostile = "a\u{1b}]0;title\u{7}b\u{1b}[2J\u{9b}c\u{202e}d\n\te\u{7f}";
        assert_eq!(
            printable(hostile),
            "a␛]0;title␇b␛[2J⟨U+009B⟩c⟨U+202E⟩d\n\te␡"
        );
        let json = serde_json::to_string(&serde_json::json!({"t": hostile})).unwrap();
        let safe = json_safe(&json);
        assert!(
            !safe.contains('\u{9b}') && !safe.contains('\u{202e}'),
            "{safe}"
        );
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["t"], hostile);
    }

    #[test]
    fn utf8_split_across_writes_is_kept_whole() {
        let mut out = Vec::new();
        {
            let mut w = SafeWriter {
                inner: &mut out,
                mode: Mode::Text,
                carry: Vec::new(),
            };
            let bytes = "é\u{1b}x".as_bytes();
            for b in bytes {
                w.write_all(&[*b]).unwrap();
            }
            w.write_all(&[0xff, b'z']).unwrap();
        }
        assert_eq!(String::from_utf8(out).unwrap(), "é␛x\u{fffd}z");
    }
}
