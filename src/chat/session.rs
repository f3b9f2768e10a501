//! Saved sessions: every tab's conversation, its persona and the layout, written as they happen
//! to an append-only journal (one JSON record a line) and replayed at the next start.
//!
//! A turn is written when it ends, whole: its messages (a valid history, as the agent leaves
//! it even when the turn was cut off) and what the chat pane showed. A killed app therefore
//! loses at most the turn in flight. A line cut short by a crash is skipped on replay.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::transcript::Item;
use crate::chat::Persona;

/// One line of the journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Record {
    /// A tab opened, or its persona changed.
    Tab {
        tab: u64,
        persona: Persona,
    },
    Close {
        tab: u64,
    },
    /// A turn ended. The conversation is cut back to `from` messages first (a retry replaces
    /// the failed turn), then `messages` are added.
    Turn {
        tab: u64,
        /// When the turn began (0 in journals written before this was recorded) and ended.
        #[serde(default)]
        start_ms: u64,
        at_ms: u64,
        from: usize,
        messages: Vec<Value>,
        items: Vec<Item>,
        /// The tab's token totals after the turn.
        input: u64,
        output: u64,
        saved: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
    },
    /// Which tab is in front, and whether the memory panel is shown.
    Layout {
        active: u64,
        panel: bool,
    },
}

/// When a turn ran, for its record.
#[derive(Clone, Copy, Debug)]
pub struct TurnTimes {
    pub start_ms: u64,
    pub at_ms: u64,
}

impl Record {
    /// The record of a turn of tab `tab` that ended: the conversation's messages from `from`
    /// on, the transcript's items from `first_item` on (a retry countdown is not kept), and the
    /// transcript's token totals.
    pub fn turn(
        tab: u64,
        times: TurnTimes,
        messages: &[Value],
        from: usize,
        transcript: &super::transcript::Transcript,
        first_item: usize,
        model: Option<String>,
    ) -> Self {
        Self::Turn {
            tab,
            start_ms: times.start_ms,
            at_ms: times.at_ms,
            from,
            messages: messages.get(from..).unwrap_or_default().to_vec(),
            items: transcript
                .items
                .get(first_item..)
                .unwrap_or_default()
                .iter()
                .filter(|item| !matches!(item, Item::Retry { .. }))
                .cloned()
                .collect(),
            input: transcript.total_input,
            output: transcript.total_output,
            saved: transcript.saved_by_context_editing,
            model,
        }
    }
}

/// A tab as the journal leaves it.
#[derive(Clone, Debug, PartialEq)]
pub struct SavedTab {
    pub id: u64,
    pub persona: Persona,
    pub messages: Vec<Value>,
    pub items: Vec<Item>,
    pub input: u64,
    pub output: u64,
    pub saved: u64,
    pub model: Option<String>,
    pub turns: usize,
    /// When its last turn ended (ms since the epoch).
    pub last_ms: u64,
    /// Each turn: when it began and ended, and its items in `items`.
    pub turn_log: Vec<TurnSpan>,
}

impl SavedTab {
    /// What the tab used, for its cost.
    pub fn usage(&self) -> crate::chat::cost::TabUsage<'_> {
        crate::chat::cost::TabUsage {
            persona: &self.persona.name,
            model: self.model.as_deref(),
            tokens: crate::chat::cost::Tokens {
                input: self.input,
                output: self.output,
                cache_read: super::transcript::cache_read(&self.items),
            },
            saved: self.saved,
        }
    }
}

/// One turn of a saved tab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TurnSpan {
    pub start_ms: u64,
    pub end_ms: u64,
    pub items: std::ops::Range<usize>,
}

/// A session, replayed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Saved {
    pub tabs: Vec<SavedTab>,
    pub active: Option<u64>,
    pub panel: Option<bool>,
    /// Lines that could not be read (a torn last line after a crash, or damage).
    pub unreadable: usize,
}

impl Saved {
    /// Every turn's time, for "last used".
    pub fn last_ms(&self) -> u64 {
        self.tabs.iter().map(|t| t.last_ms).max().unwrap_or(0)
    }
}

/// Replay a journal's text.
pub fn replay(text: &str) -> Saved {
    let mut saved = Saved::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(record) = serde_json::from_str::<Record>(line) else {
            saved.unreadable += 1;
            continue;
        };
        apply(&mut saved, record);
    }
    saved
}

/// Apply one record to a session.
pub fn apply(saved: &mut Saved, record: Record) {
    match record {
        Record::Tab { tab, persona } => match saved.tabs.iter_mut().find(|t| t.id == tab) {
            Some(existing) => existing.persona = persona,
            None => saved.tabs.push(SavedTab {
                id: tab,
                persona,
                messages: Vec::new(),
                items: Vec::new(),
                input: 0,
                output: 0,
                saved: 0,
                model: None,
                turns: 0,
                last_ms: 0,
                turn_log: Vec::new(),
            }),
        },
        Record::Close { tab } => saved.tabs.retain(|t| t.id != tab),
        Record::Turn {
            tab,
            start_ms,
            at_ms,
            from,
            messages,
            items,
            input,
            output,
            saved: tokens_saved,
            model,
        } => {
            let Some(t) = saved.tabs.iter_mut().find(|t| t.id == tab) else {
                return;
            };
            t.messages.truncate(from);
            t.messages.extend(messages);
            let first = t.items.len();
            t.items.extend(items);
            t.turn_log.push(TurnSpan {
                start_ms: if start_ms == 0 { at_ms } else { start_ms },
                end_ms: at_ms,
                items: first..t.items.len(),
            });
            t.input = input;
            t.output = output;
            t.saved = tokens_saved;
            t.model = model;
            t.turns += 1;
            t.last_ms = at_ms;
        }
        Record::Layout { active, panel } => {
            saved.active = Some(active);
            saved.panel = Some(panel);
        }
    }
}

/// Where sessions are kept: `$XDG_STATE_HOME/memdeck/sessions`, else
/// `~/.local/state/memdeck/sessions`.
pub fn default_dir() -> PathBuf {
    crate::logging::state_dir().join("sessions")
}

/// Session names are file names (the rule of [`crate::memory::snapshot::check_file_name`]).
pub fn check_name(name: &str) -> Result<(), String> {
    crate::memory::snapshot::check_file_name("session", name)
}

/// The journal of session `name` in `dir`.
pub fn path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.jsonl"))
}

/// Read a session; a missing one is empty.
pub fn load(path: &Path) -> io::Result<Saved> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(replay(&String::from_utf8_lossy(&bytes))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Saved::default()),
        Err(e) => Err(e),
    }
}

/// An open journal, appended to.
pub struct Journal {
    file: File,
}

impl Journal {
    /// Open (or create) the journal at `path`. A last line left without its newline by a
    /// crash is ended first, so that the next record starts on a line of its own.
    pub fn open(path: &Path) -> io::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)?;
        let len = file.metadata()?.len();
        if len > 0 {
            use std::io::{Read, Seek, SeekFrom};
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1))?;
            file.read_exact(&mut last)?;
            if last[0] != b'\n' {
                file.write_all(b"\n")?;
            }
        }
        Ok(Self { file })
    }

    /// Append one record and make it durable: a turn that ended is never lost.
    pub fn append(&mut self, record: &Record) -> io::Result<()> {
        let mut line = serde_json::to_vec(record).map_err(io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.sync_data()
    }
}

/// Every session in `dir`, by name, replayed.
pub fn list(dir: &Path) -> io::Result<Vec<(String, Saved)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(name) = name.strip_suffix(".jsonl") else {
            continue;
        };
        if check_name(name).is_ok() {
            out.push((name.to_owned(), load(&entry.path())?));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// A tab of a saved session continued from the command line (`memdeck ask --session`): the
/// persona's tab (made when the session has none), its conversation so far, and a transcript
/// that the turn's events fill, recorded exactly as the app records a turn.
pub struct Continued {
    journal: Journal,
    pub tab: u64,
    pub persona: Persona,
    pub conversation: crate::chat::Conversation,
    pub transcript: super::transcript::Transcript,
    pub model: Option<String>,
    from: usize,
    start_ms: u64,
}

impl Continued {
    /// Open session `path` at the tab of `persona` (by name, any case).
    pub fn open(path: &Path, persona: Persona) -> io::Result<Self> {
        let saved = load(path)?;
        let mut journal = Journal::open(path)?;
        let existing = saved
            .tabs
            .iter()
            .find(|t| t.persona.name.eq_ignore_ascii_case(&persona.name));
        let (tab, persona, messages, totals, model) = match existing {
            Some(t) => (
                t.id,
                t.persona.clone(),
                t.messages.clone(),
                (t.input, t.output, t.saved),
                t.model.clone(),
            ),
            None => {
                let id = saved.tabs.iter().map(|t| t.id).max().unwrap_or(0) + 1;
                journal.append(&Record::Tab {
                    tab: id,
                    persona: persona.clone(),
                })?;
                (id, persona, Vec::new(), (0, 0, 0), None)
            }
        };
        let from = messages.len();
        Ok(Self {
            journal,
            tab,
            persona,
            conversation: crate::chat::Conversation {
                messages,
                ..Default::default()
            },
            transcript: super::transcript::Transcript::restored(
                Vec::new(),
                totals.0,
                totals.1,
                totals.2,
            ),
            model,
            from,
            start_ms: crate::clock::now_ms(),
        })
    }

    /// Record the turn that ran (also when it was cut off).
    pub fn finish(mut self, at_ms: u64) -> io::Result<()> {
        let times = TurnTimes {
            start_ms: self.start_ms,
            at_ms,
        };
        let record = Record::turn(
            self.tab,
            times,
            &self.conversation.messages,
            self.from,
            &self.transcript,
            0,
            self.model,
        );
        self.journal.append(&record)
    }
}

/// A tab's chat as Markdown: what each person said, the answers, every memory tool call with
/// its outcome, and where a turn was cut off.
pub fn tab_markdown(tab: &SavedTab) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## {} ({})\n\n{} turn(s), {} tokens in, {} out\n",
        tab.persona.name, tab.persona.role, tab.turns, tab.input, tab.output
    );
    for item in &tab.items {
        match item {
            Item::User { text } => {
                let _ = writeln!(out, "**{}:** {}\n", tab.persona.name, text.trim());
            }
            Item::Text { text, .. } if !text.trim().is_empty() => {
                let _ = writeln!(out, "**Claude:** {}\n", text.trim());
            }
            Item::Tool(card) => {
                let (command, target) = card.call();
                let _ = writeln!(out, "> `memory {command} {target}` {}\n", card.outcome());
            }
            Item::ContextEdited {
                cleared_tool_uses,
                cleared_tokens,
            } => {
                let _ = writeln!(
                    out,
                    "_context edited: cleared {cleared_tool_uses} tool results, saved {cleared_tokens} tokens_\n"
                );
            }
            Item::Compaction { summary, .. } => {
                let _ = writeln!(
                    out,
                    "_the API compacted the conversation into this summary:_\n\n> {}\n",
                    summary.trim().replace('\n', "\n> ")
                );
            }
            Item::Error {
                message, cancelled, ..
            } => {
                let what = if *cancelled {
                    "cut off (cancelled)"
                } else {
                    message
                };
                let _ = writeln!(out, "_(the turn was {what})_\n");
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn persona(name: &str) -> Persona {
        Persona {
            name: name.into(),
            role: "r".into(),
            color: "cyan".into(),
        }
    }

    fn turn(tab: u64, from: usize, text: &str) -> Record {
        Record::Turn {
            tab,
            start_ms: 4,
            at_ms: 5,
            from,
            messages: vec![serde_json::json!({"role": "user", "content": text})],
            items: vec![Item::User { text: text.into() }],
            input: 10,
            output: 2,
            saved: 0,
            model: None,
        }
    }

    #[test]
    fn replay_follows_tabs_turns_retries_and_layout() {
        let records = [
            Record::Tab {
                tab: 1,
                persona: persona("Alice"),
            },
            Record::Tab {
                tab: 2,
                persona: persona("John"),
            },
            turn(1, 0, "one"),
            turn(1, 1, "two"),
            // A retry of the second turn: cut back to one message, then the new attempt.
            turn(1, 1, "two again"),
            Record::Tab {
                tab: 2,
                persona: persona("Johnny"),
            },
            Record::Tab {
                tab: 3,
                persona: persona("Sam"),
            },
            Record::Close { tab: 3 },
            Record::Layout {
                active: 2,
                panel: false,
            },
        ];
        let mut text: String = records
            .iter()
            .map(|r| serde_json::to_string(r).unwrap_or_default() + "\n")
            .collect();
        // A torn last line, as a crash leaves it.
        text.push_str("{\"record\":\"turn\",\"tab\":1,\"at_m");
        let saved = replay(&text);
        assert_eq!(saved.unreadable, 1);
        assert_eq!(saved.tabs.len(), 2);
        let alice = &saved.tabs[0];
        let texts: Vec<&str> = alice
            .messages
            .iter()
            .filter_map(|m| m["content"].as_str())
            .collect();
        assert_eq!(texts, ["one", "two again"]);
        assert_eq!(
            alice.items.len(),
            3,
            "the pane keeps the failed attempt's items"
        );
        assert_eq!(alice.turns, 3);
        assert_eq!(saved.tabs[1].persona.name, "Johnny");
        assert_eq!((saved.active, saved.panel), (Some(2), Some(false)));
    }

    #[test]
    fn names_are_file_names() {
        assert!(check_name("acme-demo_2.v1").is_ok());
        for bad in ["", ".hidden", "a/b", "../x", "x y", &"n".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
