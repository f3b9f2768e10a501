//! The AWS event-stream binary framing (`application/vnd.amazon.eventstream`), as Bedrock's
//! streaming responses use it.
//!
//! A message is a 12-byte prelude (total length, headers length, the prelude's CRC-32, all
//! big-endian u32), the headers, the payload, and a CRC-32 of everything before it. A header is
//! a name (u8 length), a value type (u8) and a value. Bytes arrive in any pieces; [`Decoder`]
//! keeps what is not yet a whole message.

/// The largest message accepted: the format's limits (128 KiB of headers, 24 MiB of payload)
/// with the prelude and CRC.
const MAX_MESSAGE: usize = 128 * 1024 + 24 * 1024 * 1024 + 16;

/// A header's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Bool(bool),
    Byte(i8),
    Short(i16),
    Int(i32),
    Long(i64),
    Bytes(Vec<u8>),
    String(String),
    Timestamp(i64),
    Uuid([u8; 16]),
}

/// One message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    pub headers: Vec<(String, Value)>,
    pub payload: Vec<u8>,
}

impl Message {
    /// A string header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find_map(|(n, v)| match v {
            Value::String(s) if n == name => Some(s.as_str()),
            _ => None,
        })
    }

    /// The message as bytes (for tests and mock servers).
    pub fn encode(&self) -> Vec<u8> {
        let mut headers = Vec::new();
        for (name, value) in &self.headers {
            headers.push(u8::try_from(name.len()).unwrap_or(u8::MAX));
            headers.extend_from_slice(name.as_bytes());
            match value {
                Value::Bool(true) => headers.push(0),
                Value::Bool(false) => headers.push(1),
                Value::Byte(v) => {
                    headers.push(2);
                    headers.extend_from_slice(&v.to_be_bytes());
                }
                Value::Short(v) => {
                    headers.push(3);
                    headers.extend_from_slice(&v.to_be_bytes());
                }
                Value::Int(v) => {
                    headers.push(4);
                    headers.extend_from_slice(&v.to_be_bytes());
                }
                Value::Long(v) => {
                    headers.push(5);
                    headers.extend_from_slice(&v.to_be_bytes());
                }
                Value::Bytes(v) => {
                    headers.push(6);
                    headers.extend_from_slice(&u16::try_from(v.len()).unwrap_or(0).to_be_bytes());
                    headers.extend_from_slice(v);
                }
                Value::String(v) => {
                    headers.push(7);
                    headers.extend_from_slice(&u16::try_from(v.len()).unwrap_or(0).to_be_bytes());
                    headers.extend_from_slice(v.as_bytes());
                }
                Value::Timestamp(v) => {
                    headers.push(8);
                    headers.extend_from_slice(&v.to_be_bytes());
                }
                Value::Uuid(v) => {
                    headers.push(9);
                    headers.extend_from_slice(v);
                }
            }
        }
        let total = 12 + headers.len() + self.payload.len() + 4;
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&u32::try_from(total).unwrap_or(0).to_be_bytes());
        out.extend_from_slice(&u32::try_from(headers.len()).unwrap_or(0).to_be_bytes());
        let prelude_crc = crc32fast::hash(&out);
        out.extend_from_slice(&prelude_crc.to_be_bytes());
        out.extend_from_slice(&headers);
        out.extend_from_slice(&self.payload);
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_be_bytes());
        out
    }
}

/// Messages from bytes that arrive in any pieces.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
}

impl Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes held that are not yet a whole message.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// The next whole message, `None` until one has arrived, or why the bytes are not the
    /// format (after which the stream cannot be trusted).
    pub fn next_message(&mut self) -> Result<Option<Message>, String> {
        if self.buf.len() < 12 {
            return Ok(None);
        }
        let word = |at: usize| {
            u32::from_be_bytes([
                self.buf[at],
                self.buf[at + 1],
                self.buf[at + 2],
                self.buf[at + 3],
            ])
        };
        let total = word(0) as usize;
        let headers_len = word(4) as usize;
        if crc32fast::hash(&self.buf[..8]) != word(8) {
            return Err("an event-stream prelude failed its CRC".to_owned());
        }
        if total < 16 || headers_len > total - 16 || total > MAX_MESSAGE {
            return Err(format!(
                "an event-stream message claims {total} bytes with {headers_len} of headers"
            ));
        }
        if self.buf.len() < total {
            return Ok(None);
        }
        let crc = word(total - 4);
        if crc32fast::hash(&self.buf[..total - 4]) != crc {
            return Err("an event-stream message failed its CRC".to_owned());
        }
        let headers = parse_headers(&self.buf[12..12 + headers_len])?;
        let payload = self.buf[12 + headers_len..total - 4].to_vec();
        self.buf.drain(..total);
        Ok(Some(Message { headers, payload }))
    }
}

fn parse_headers(mut bytes: &[u8]) -> Result<Vec<(String, Value)>, String> {
    let bad = || "an event-stream header is malformed".to_owned();
    let take = |n: usize, bytes: &mut &[u8]| -> Result<Vec<u8>, String> {
        if bytes.len() < n {
            return Err(bad());
        }
        let (head, rest) = bytes.split_at(n);
        *bytes = rest;
        Ok(head.to_vec())
    };
    let mut headers = Vec::new();
    while !bytes.is_empty() {
        let len = take(1, &mut bytes)?[0] as usize;
        let name = String::from_utf8(take(len, &mut bytes)?).map_err(|_| bad())?;
        let kind = take(1, &mut bytes)?[0];
        let fixed = |b: Vec<u8>| -> [u8; 8] {
            let mut out = [0; 8];
            out[8 - b.len()..].copy_from_slice(&b);
            out
        };
        let value = match kind {
            0 => Value::Bool(true),
            1 => Value::Bool(false),
            2 => Value::Byte(i8::from_be_bytes([take(1, &mut bytes)?[0]])),
            3 => {
                let b = take(2, &mut bytes)?;
                Value::Short(i16::from_be_bytes([b[0], b[1]]))
            }
            4 => {
                let b = take(4, &mut bytes)?;
                Value::Int(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            }
            5 => Value::Long(i64::from_be_bytes(fixed(take(8, &mut bytes)?))),
            6 | 7 => {
                let l = take(2, &mut bytes)?;
                let data = take(usize::from(u16::from_be_bytes([l[0], l[1]])), &mut bytes)?;
                if kind == 6 {
                    Value::Bytes(data)
                } else {
                    Value::String(String::from_utf8(data).map_err(|_| bad())?)
                }
            }
            8 => Value::Timestamp(i64::from_be_bytes(fixed(take(8, &mut bytes)?))),
            9 => {
                let mut uuid = [0; 16];
                uuid.copy_from_slice(&take(16, &mut bytes)?);
                Value::Uuid(uuid)
            }
            other => return Err(format!("an event-stream header has unknown type {other}")),
        };
        headers.push((name, value));
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Message {
        Message {
            headers: vec![
                (":message-type".into(), Value::String("event".into())),
                (":event-type".into(), Value::String("chunk".into())),
                ("flag".into(), Value::Bool(true)),
                ("off".into(), Value::Bool(false)),
                ("b".into(), Value::Byte(-3)),
                ("s".into(), Value::Short(-300)),
                ("i".into(), Value::Int(70_000)),
                ("l".into(), Value::Long(-5_000_000_000)),
                ("raw".into(), Value::Bytes(vec![0, 255, 7])),
                ("t".into(), Value::Timestamp(1_700_000_000_000)),
                ("u".into(), Value::Uuid([7; 16])),
            ],
            payload: br#"{"bytes":"eyJ0eXBlIjoibWVzc2FnZV9zdG9wIn0="}"#.to_vec(),
        }
    }

    #[test]
    fn messages_round_trip_in_any_pieces() {
        let one = sample();
        let two = Message {
            headers: vec![(":message-type".into(), Value::String("exception".into()))],
            payload: b"{}".to_vec(),
        };
        let mut bytes = one.encode();
        bytes.extend(two.encode());
        for cut in 0..=bytes.len() {
            let mut d = Decoder::new();
            let mut got = Vec::new();
            for piece in [&bytes[..cut], &bytes[cut..]] {
                d.push(piece);
                while let Some(m) = d.next_message().unwrap() {
                    got.push(m);
                }
            }
            assert_eq!(got, [one.clone(), two.clone()], "cut at {cut}");
            assert_eq!(d.pending(), 0);
        }
        assert_eq!(one.header(":event-type"), Some("chunk"));
    }

    #[test]
    fn damage_is_refused() {
        let mut bytes = sample().encode();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let mut d = Decoder::new();
        d.push(&bytes);
        assert!(d.next_message().unwrap_err().contains("CRC"));
        let mut bytes = sample().encode();
        bytes[2] ^= 0x10;
        let mut d = Decoder::new();
        d.push(&bytes);
        assert!(d.next_message().unwrap_err().contains("prelude"));
    }
}
