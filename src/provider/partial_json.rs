//! A lenient reader for tool input that is still arriving.
//!
//! With fine-grained tool streaming the input JSON comes in raw fragments. [`preview`] reads
//! whatever prefix has arrived and returns the fields known so far: complete values as they
//! are, and the value being written cut where the text stops (a string up to its last whole
//! character, so `file_text` can be shown growing). It never fails; it stops at the first thing
//! it cannot read. It costs one pass over the text, so callers run it when they draw, not on
//! every fragment.

use serde_json::{Map, Number, Value};

/// The fields of the top-level object in `text`, as far as they can be read.
pub fn preview(text: &str) -> Map<String, Value> {
    let mut reader = Reader {
        bytes: text.as_bytes(),
        text,
        pos: 0,
    };
    reader.ws();
    if reader.peek() != Some(b'{') {
        return Map::new();
    }
    reader.object().0
}

struct Reader<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// An object from `{`, and whether its closing brace arrived.
    fn object(&mut self) -> (Map<String, Value>, bool) {
        self.pos += 1;
        let mut map = Map::new();
        loop {
            self.ws();
            match self.peek() {
                Some(b'}') => {
                    self.pos += 1;
                    return (map, true);
                }
                Some(b'"') => {}
                _ => return (map, false),
            }
            let (key, closed) = self.string();
            if !closed {
                return (map, false);
            }
            self.ws();
            if self.peek() != Some(b':') {
                return (map, false);
            }
            self.pos += 1;
            self.ws();
            let Some((value, complete)) = self.value() else {
                return (map, false);
            };
            map.insert(key, value);
            if !complete {
                return (map, false);
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return (map, true);
                }
                _ => return (map, false),
            }
        }
    }

    fn array(&mut self) -> (Value, bool) {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.ws();
            if self.peek() == Some(b']') {
                self.pos += 1;
                return (Value::Array(items), true);
            }
            let Some((value, complete)) = self.value() else {
                return (Value::Array(items), false);
            };
            items.push(value);
            if !complete {
                return (Value::Array(items), false);
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return (Value::Array(items), true);
                }
                _ => return (Value::Array(items), false),
            }
        }
    }

    /// A value and whether it was complete.
    fn value(&mut self) -> Option<(Value, bool)> {
        match self.peek()? {
            b'"' => {
                let (s, closed) = self.string();
                Some((Value::String(s), closed))
            }
            b'{' => {
                let (map, complete) = self.object();
                Some((Value::Object(map), complete))
            }
            b'[' => Some(self.array()),
            _ => self.scalar(),
        }
    }

    /// Numbers, `true`, `false`, `null`. A token cut by the end of the text is returned when it
    /// already reads as a value (a number's digits so far), and marked incomplete.
    fn scalar(&mut self) -> Option<(Value, bool)> {
        let start = self.pos;
        while matches!(
            self.peek(),
            Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E' | b'a'..=b'z')
        ) {
            self.pos += 1;
        }
        let token = &self.text[start..self.pos];
        let at_end = self.pos == self.bytes.len();
        let value = match token {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            _ => {
                if let Ok(n) = token.parse::<i64>() {
                    Value::Number(n.into())
                } else {
                    Value::Number(Number::from_f64(token.parse::<f64>().ok()?)?)
                }
            }
        };
        Some((value, !at_end))
    }

    /// A string from its opening quote: the decoded text and whether it was closed. An escape
    /// cut by the end of the text is left out.
    fn string(&mut self) -> (String, bool) {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let Some(i) = rest.find(['"', '\\']) else {
                out.push_str(rest);
                self.pos = self.bytes.len();
                return (out, false);
            };
            out.push_str(&rest[..i]);
            self.pos += i;
            if self.bytes[self.pos] == b'"' {
                self.pos += 1;
                return (out, true);
            }
            // An escape.
            let Some(&kind) = self.bytes.get(self.pos + 1) else {
                self.pos = self.bytes.len();
                return (out, false);
            };
            self.pos += 2;
            match kind {
                b'n' => out.push('\n'),
                b't' => out.push('\t'),
                b'r' => out.push('\r'),
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'u' => {
                    let Some(c) = self.unicode_escape() else {
                        self.pos = self.bytes.len();
                        return (out, false);
                    };
                    out.push(c);
                }
                other => out.push(char::from(other)),
            }
        }
    }

    /// The code point after `\u`, joining a surrogate pair; `None` when the text ends first.
    fn unicode_escape(&mut self) -> Option<char> {
        let hex4 = |r: &mut Self| {
            let digits = r.text.get(r.pos..r.pos + 4)?;
            let n = u32::from_str_radix(digits, 16).ok()?;
            r.pos += 4;
            Some(n)
        };
        let first = hex4(self)?;
        if (0xD800..0xDC00).contains(&first) {
            if self.text.get(self.pos..self.pos + 2) != Some("\\u") {
                // A lone high surrogate: incomplete if the text ends here, else invalid.
                return if self.pos + 2 > self.bytes.len() {
                    None
                } else {
                    Some('\u{FFFD}')
                };
            }
            self.pos += 2;
            let second = hex4(self)?;
            let code = 0x10000 + ((first - 0xD800) << 10) + (second.wrapping_sub(0xDC00) & 0x3FF);
            return Some(char::from_u32(code).unwrap_or('\u{FFFD}'));
        }
        Some(char::from_u32(first).unwrap_or('\u{FFFD}'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(text: &str) -> Value {
        Value::Object(preview(text))
    }

    #[test]
    fn fields_appear_as_they_arrive() {
        assert_eq!(at(""), json!({}));
        assert_eq!(at("{\"comm"), json!({}));
        assert_eq!(at("{\"command\": \"cre"), json!({"command": "cre"}));
        assert_eq!(
            at(
                "{\"command\": \"create\", \"path\": \"/memories/a.md\", \"file_text\": \"line one\\nline t"
            ),
            json!({"command": "create", "path": "/memories/a.md", "file_text": "line one\nline t"})
        );
        assert_eq!(at("{\"insert_line\": 1"), json!({"insert_line": 1}));
        assert_eq!(
            at("{\"insert_line\": 12, \"x\": tr"),
            json!({"insert_line": 12})
        );
        assert_eq!(at("{\"view_range\": [1, 2"), json!({"view_range": [1, 2]}));
        assert_eq!(at("{\"a\": {\"b\": \"x}"), json!({"a": {"b": "x}"}}));
        assert_eq!(at("{\"a\": {}, \"b\": 2}"), json!({"a": {}, "b": 2}));
    }

    #[test]
    fn cut_escapes_are_left_out_until_whole() {
        assert_eq!(at("{\"t\": \"a\\"), json!({"t": "a"}));
        assert_eq!(at("{\"t\": \"a\\u00"), json!({"t": "a"}));
        assert_eq!(at("{\"t\": \"a\\u00e9"), json!({"t": "aé"}));
        assert_eq!(at("{\"t\": \"\\ud83d"), json!({"t": ""}));
        assert_eq!(at("{\"t\": \"\\ud83d\\ude00!\"}"), json!({"t": "😀!"}));
        assert_eq!(at("{\"t\": \"q\\\"uote\"}"), json!({"t": "q\"uote"}));
    }

    #[test]
    fn every_prefix_of_a_real_input_reads_and_the_whole_matches_serde() {
        let full = r#"{"command": "str_replace", "path": "/memories/acme.md", "old_str": "budget: $2M\n", "new_str": "budget: €3M – «approved» 😀\n", "nested": {"a": [1, 2.5, true, null]}}"#;
        let mut last_len = 0;
        for (i, _) in full.char_indices() {
            let p = preview(&full[..i]);
            // Previews only grow: never fewer fields than before.
            assert!(p.len() >= last_len, "shrank at {i}");
            last_len = p.len();
        }
        assert_eq!(at(full), serde_json::from_str::<Value>(full).unwrap());
    }
}
