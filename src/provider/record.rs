//! Record and replay. `--record FILE` saves every model call's stream with its timing as it
//! happens; `--replay FILE` plays the calls back with no network, at the same pace, when the same
//! prompts are sent in the same order in each tab.
//!
//! A recording is JSON lines: a header, then one line per model call, written when the call's
//! stream ends (a killed app loses only the calls in flight). A call is keyed by its tab (the
//! persona), the person's message that began the turn, and its step within the turn (step 0 is
//! the prompt, later steps carry tool results). Replay groups a tab's calls into turns and keeps
//! a cursor per tab: a turn's first call must bring the next recorded prompt, or the tab shows a
//! message naming the prompt the recording expects. The memory tool still runs for real on
//! replay, so a replay started from the same memories leaves the same memories behind.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{EventStream, ModelInfo, ModelList, Provider, ProviderError, Request, StreamEvent};

/// The version written in a recording's header.
pub const FORMAT: u32 = 1;

/// A recording's first line.
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    memdeck_recording: u32,
    /// The backend the calls went to, as its label.
    backend: String,
    /// When the recording began (UTC).
    created: String,
}

/// One model call as it was streamed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Call {
    /// The tab: its persona's name.
    pub tab: String,
    /// The person's message that began the turn.
    pub prompt: String,
    /// The call's place in its turn: 0 for the prompt, then one per round of tool results.
    pub step: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Every event with the milliseconds from the call's start to its arrival.
    pub events: Vec<(u64, StreamEvent)>,
    /// How the stream ended when it did not end cleanly, and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ProviderError>,
    pub end_ms: u64,
}

/// Where a request stands in its tab's conversation.
#[derive(Debug, PartialEq, Eq)]
pub struct Place {
    /// The person's latest message (its text blocks joined).
    pub prompt: String,
    /// Model answers since that message: the call's step within its turn.
    pub step: usize,
    /// The person's earlier messages, oldest first.
    pub earlier: Vec<String>,
}

/// Find the turn a request belongs to. A person's message is a user message with text (tool
/// results are user messages without).
pub fn place(messages: &[Value]) -> Place {
    let mut prompts = Vec::new();
    let mut step = 0;
    for message in messages {
        match message["role"].as_str() {
            Some("user") => {
                if let Some(text) = person_text(&message["content"]) {
                    prompts.push(text);
                    step = 0;
                }
            }
            Some("assistant") => step += 1,
            _ => {}
        }
    }
    let prompt = prompts.pop().unwrap_or_default();
    Place {
        prompt,
        step,
        earlier: prompts,
    }
}

fn person_text(content: &Value) -> Option<String> {
    if let Some(text) = content.as_str() {
        return Some(text.to_owned());
    }
    let texts: Vec<&str> = content
        .as_array()?
        .iter()
        .filter(|b| b["type"] == "text")
        .filter_map(|b| b["text"].as_str())
        .collect();
    (!texts.is_empty()).then(|| texts.join("\n"))
}

fn millis(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// A recording being written.
struct Sink {
    file: File,
    path: PathBuf,
    secrets: Vec<String>,
    failed: bool,
}

impl Sink {
    fn append(&mut self, call: &Call) {
        let line = match serde_json::to_string(call) {
            Ok(line) => {
                let secrets: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
                super::redact(&line, &secrets)
            }
            Err(e) => {
                tracing::error!("a recorded call could not be encoded: {e}");
                return;
            }
        };
        let result = self
            .file
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|()| self.file.flush());
        match result {
            Ok(()) => self.failed = false,
            // Logged once per failing run of writes, not for every call.
            Err(e) if !self.failed => {
                self.failed = true;
                tracing::error!(path = %self.path.display(), "cannot write the recording: {e}");
            }
            Err(_) => {}
        }
    }
}

/// A backend whose every call is also written to a recording.
pub struct Recorder {
    inner: Arc<dyn Provider>,
    sink: Arc<Mutex<Sink>>,
    path: PathBuf,
    /// Calls already in the file when it was opened (recordings are appended to).
    pub earlier_calls: usize,
}

impl Recorder {
    /// Record `inner`'s calls to `path`: a new recording, or the end of an existing one (so
    /// several runs of `memdeck ask` can build one recording). `secrets` never reach the file.
    pub fn open(
        inner: Arc<dyn Provider>,
        path: &Path,
        secrets: Vec<String>,
    ) -> Result<Self, ProviderError> {
        let setup = |what: &str, e: &dyn std::fmt::Display| {
            ProviderError::Setup(format!(
                "cannot {what} the recording {}: {e}",
                path.display()
            ))
        };
        let mut earlier_calls = 0;
        let exists = std::fs::metadata(path).is_ok_and(|m| m.len() > 0);
        if exists {
            let recording = Recording::load(path)?;
            earlier_calls = recording.calls.len();
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| setup("write", &e))?;
        if !exists {
            let header = Header {
                memdeck_recording: FORMAT,
                backend: inner.label(),
                created: crate::clock::format_utc(crate::clock::now_ms()),
            };
            let line = serde_json::to_string(&header).map_err(|e| setup("write", &e))?;
            file.write_all(format!("{line}\n").as_bytes())
                .and_then(|()| file.flush())
                .map_err(|e| setup("write", &e))?;
        }
        Ok(Self {
            inner,
            sink: Arc::new(Mutex::new(Sink {
                file,
                path: path.to_owned(),
                secrets,
                failed: false,
            })),
            path: path.to_owned(),
            earlier_calls,
        })
    }
}

/// A call being recorded; written when the stream is dropped, however it ended.
struct Pending {
    call: Call,
    start: Instant,
    sink: Arc<Mutex<Sink>>,
}

impl Pending {
    fn note(&mut self, item: &Result<StreamEvent, ProviderError>) {
        match item {
            Ok(event) => self.call.events.push((millis(self.start), event.clone())),
            Err(e) => self.call.error = Some(e.clone()),
        }
        self.call.end_ms = millis(self.start);
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.sink
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .append(&self.call);
    }
}

impl Provider for Recorder {
    fn compacts(&self) -> bool {
        self.inner.compacts()
    }

    fn label(&self) -> String {
        format!(
            "{}, recording to {}",
            self.inner.label(),
            self.path.display()
        )
    }

    fn stream(&self, request: &Request, cancel: CancellationToken) -> EventStream {
        let place = place(&request.messages);
        let mut pending = Pending {
            call: Call {
                tab: request.persona.clone(),
                prompt: place.prompt,
                step: place.step,
                model: request.model.clone(),
                events: Vec::new(),
                error: None,
                end_ms: 0,
            },
            start: Instant::now(),
            sink: self.sink.clone(),
        };
        let inner = self.inner.stream(request, cancel);
        Box::pin(inner.map(move |item| {
            pending.note(&item);
            item
        }))
    }

    fn models(&self) -> ModelList<'_> {
        self.inner.models()
    }
}

/// A recording read back.
#[derive(Clone, Debug, Default)]
pub struct Recording {
    pub backend: String,
    pub created: String,
    pub calls: Vec<Call>,
    /// A last line cut short (the app was killed while writing it), skipped.
    pub torn_tail: bool,
}

impl Recording {
    pub fn load(path: &Path) -> Result<Self, ProviderError> {
        let fail = |what: String| {
            ProviderError::Setup(format!("cannot replay {}: {what}", path.display()))
        };
        let file = File::open(path).map_err(|e| fail(e.to_string()))?;
        let mut lines = BufReader::new(file).lines().enumerate().peekable();
        let header: Header = match lines.next() {
            Some((_, Ok(line))) => serde_json::from_str(&line)
                .map_err(|_| fail("it is not a memdeck recording (no header line)".to_owned()))?,
            Some((_, Err(e))) => return Err(fail(e.to_string())),
            None => return Err(fail("the file is empty".to_owned())),
        };
        if header.memdeck_recording != FORMAT {
            return Err(fail(format!(
                "it is in recording format {}; this memdeck reads format {FORMAT}",
                header.memdeck_recording
            )));
        }
        let mut recording = Self {
            backend: header.backend,
            created: header.created,
            ..Self::default()
        };
        while let Some((index, line)) = lines.next() {
            let line = line.map_err(|e| fail(e.to_string()))?;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Call>(&line) {
                Ok(call) => recording.calls.push(call),
                // Only the last line can be torn by a crash; anything else is damage.
                Err(_) if lines.peek().is_none() => recording.torn_tail = true,
                Err(e) => return Err(fail(format!("line {}: {e}", index + 1))),
            }
        }
        Ok(recording)
    }
}

/// A recorded turn: its calls by step.
type Turn = Vec<Call>;

/// Where each tab is in its recorded turns.
#[derive(Debug, Default)]
struct Cursor {
    next_turn: usize,
    current: Option<usize>,
}

/// The backend that plays a recording back.
pub struct Replay {
    path: PathBuf,
    recording: Recording,
    turns: HashMap<String, Vec<Turn>>,
    cursors: Mutex<HashMap<String, Cursor>>,
}

impl Replay {
    pub fn open(path: &Path) -> Result<Self, ProviderError> {
        let recording = Recording::load(path)?;
        let mut turns: HashMap<String, Vec<Turn>> = HashMap::new();
        for call in &recording.calls {
            let tab = turns.entry(call.tab.clone()).or_default();
            match tab.last_mut() {
                Some(turn) if call.step > 0 => turn.push(call.clone()),
                _ => tab.push(vec![call.clone()]),
            }
        }
        Ok(Self {
            path: path.to_owned(),
            recording,
            turns,
            cursors: Mutex::new(HashMap::new()),
        })
    }

    pub fn recording(&self) -> &Recording {
        &self.recording
    }

    /// The tabs in the recording with their turns' prompts, in recorded order.
    pub fn prompts(&self) -> Vec<(String, Vec<String>)> {
        let mut tabs: Vec<(String, Vec<String>)> = Vec::new();
        for call in self.recording.calls.iter().filter(|c| c.step == 0) {
            match tabs.iter_mut().find(|(tab, _)| *tab == call.tab) {
                Some((_, prompts)) => prompts.push(call.prompt.clone()),
                None => tabs.push((call.tab.clone(), vec![call.prompt.clone()])),
            }
        }
        tabs
    }

    /// The recorded call that answers `request`, or why there is none.
    fn find(&self, request: &Request) -> Result<Call, String> {
        let tab = &request.persona;
        let place = place(&request.messages);
        let turns = self.turns.get(tab).map_or(&[][..], Vec::as_slice);
        let file = file_name(&self.path);
        let mut cursors = self.cursors.lock().unwrap_or_else(PoisonError::into_inner);
        let cursor = cursors.entry(tab.clone()).or_insert_with(|| Cursor {
            next_turn: resume_at(&place.earlier, turns),
            current: None,
        });
        if place.step == 0 {
            let index = cursor.next_turn;
            let Some(turn) = turns.get(index) else {
                return Err(if turns.is_empty() {
                    format!("replay: {file} has nothing recorded for {tab}")
                } else {
                    format!(
                        "replay: {file} has no more turns for {tab}: the {} recorded were all \
                         played",
                        turns.len()
                    )
                });
            };
            if turn[0].prompt != place.prompt {
                return Err(format!(
                    "replay: {tab}'s turn {} in {file} was \"{}\", not \"{}\"; send the recorded \
                     prompts in the same order",
                    index + 1,
                    ellipsis(&turn[0].prompt),
                    ellipsis(&place.prompt)
                ));
            }
            cursor.current = Some(index);
            cursor.next_turn = index + 1;
            return Ok(turn[0].clone());
        }
        let turn = cursor
            .current
            .and_then(|i| turns.get(i))
            .filter(|turn| turn[0].prompt == place.prompt)
            .ok_or_else(|| {
                format!(
                    "replay: {file} has no recorded turn for {tab}'s \"{}\"",
                    ellipsis(&place.prompt)
                )
            })?;
        turn.get(place.step).cloned().ok_or_else(|| {
            format!(
                "replay: {tab}'s turn \"{}\" in {file} recorded {} model call(s), and this is \
                 call {}: the memories may differ from the recording's",
                ellipsis(&place.prompt),
                turn.len(),
                place.step + 1
            )
        })
    }
}

/// Where to start in a tab's recorded turns: after the longest run of the conversation's last
/// prompts that equals the recording's first turns (a session continued by `memdeck ask`, or
/// restored in the app, has already played them).
fn resume_at(earlier: &[String], turns: &[Turn]) -> usize {
    (0..=earlier.len().min(turns.len()))
        .rev()
        .find(|&k| {
            earlier[earlier.len() - k..]
                .iter()
                .zip(&turns[..k])
                .all(|(prompt, turn)| *prompt == turn[0].prompt)
        })
        .unwrap_or(0)
}

/// A recording's name as labels show it (the whole path is in `memdeck config`).
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn ellipsis(text: &str) -> String {
    const MAX: usize = 60;
    let text = text.trim();
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

impl Provider for Replay {
    fn label(&self) -> String {
        format!(
            "replay of {} (recorded from {})",
            file_name(&self.path),
            self.recording.backend
        )
    }

    fn stream(&self, request: &Request, cancel: CancellationToken) -> EventStream {
        let (tx, rx) = mpsc::channel(64);
        let call = self.find(request);
        tokio::spawn(async move {
            let call = match call {
                Ok(call) => call,
                Err(message) => {
                    let _ = tx.send(Err(ProviderError::Replay(message))).await;
                    return;
                }
            };
            // Each event is due when it arrived in the recording, counted from the call's start.
            let start = tokio::time::Instant::now();
            let items = call
                .events
                .into_iter()
                .map(|(at, event)| (at, Ok(event)))
                .chain(call.error.map(|e| (call.end_ms, Err(e))));
            for (at, item) in items {
                let due = start + Duration::from_millis(at);
                if !super::send_when_due(&tx, due, &cancel, item).await {
                    return;
                }
            }
        });
        super::from_channel(rx)
    }

    /// The models the recording used, else the known ones (the replay answers the same
    /// whichever is picked).
    fn models(&self) -> ModelList<'_> {
        let mut models: Vec<ModelInfo> = Vec::new();
        for id in self.recording.calls.iter().filter_map(|c| c.model.as_ref()) {
            if !models.iter().any(|m| m.id == *id) {
                models.push(ModelInfo {
                    id: id.clone(),
                    display_name: id.clone(),
                    ..ModelInfo::default()
                });
            }
        }
        Box::pin(async move {
            Ok(if models.is_empty() {
                super::known_models()
            } else {
                models
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_request_knows_its_turn_and_step() {
        let messages = vec![
            json!({"role": "user", "content": "one"}),
            json!({"role": "assistant", "content": [{"type": "text", "text": "ok"}]}),
            json!({"role": "user", "content": [{"type": "text", "text": "two"}]}),
            json!({"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "memory", "input": {}}]}),
            json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "x"}]}),
        ];
        assert_eq!(
            place(&messages),
            Place {
                prompt: "two".into(),
                step: 1,
                earlier: vec!["one".into()]
            }
        );
        assert_eq!(place(&messages[..3]).step, 0);
    }

    fn turn(prompt: &str) -> Turn {
        vec![Call {
            tab: "Alice".into(),
            prompt: prompt.into(),
            step: 0,
            model: None,
            events: Vec::new(),
            error: None,
            end_ms: 0,
        }]
    }

    #[test]
    fn replay_resumes_after_the_prompts_already_played() {
        let turns = [turn("a"), turn("b"), turn("c")];
        let strings = |s: &[&str]| s.iter().map(|&s| s.to_owned()).collect::<Vec<_>>();
        assert_eq!(resume_at(&[], &turns), 0);
        assert_eq!(resume_at(&strings(&["a", "b"]), &turns), 2);
        // Older turns from before the recording do not count.
        assert_eq!(resume_at(&strings(&["x", "a"]), &turns), 1);
        assert_eq!(resume_at(&strings(&["x", "y"]), &turns), 0);
    }

    /// A recording cut at any byte (the app killed while writing) loads every whole call and
    /// skips the torn one; cut inside the header it is refused with a clear message.
    #[test]
    fn a_recording_cut_anywhere_keeps_its_whole_calls() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.rec");
        let header = r#"{"memdeck_recording":1,"backend":"demo","created":"2026-11-22 10:00:00Z"}"#;
        let calls: Vec<String> = (0..3)
            .map(|step| {
                let mut call = turn("hello").remove(0);
                call.step = step;
                call.events = vec![(5, StreamEvent::MessageStop)];
                serde_json::to_string(&call).unwrap()
            })
            .collect();
        let whole = format!("{header}\n{}\n", calls.join("\n"));
        for cut in 0..=whole.len() {
            std::fs::write(&path, &whole[..cut]).unwrap();
            let loaded = Recording::load(&path);
            if cut < header.len() {
                let error = loaded.unwrap_err().to_string();
                assert!(
                    error.contains("not a memdeck recording") || error.contains("empty"),
                    "{cut}: {error}"
                );
                continue;
            }
            let loaded = loaded.unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
            let body = whole[header.len()..cut].strip_prefix('\n').unwrap_or("");
            let tail = body.rsplit('\n').next().unwrap_or("");
            // A call cut just before its newline is whole JSON and counts.
            let tail_whole = serde_json::from_str::<Call>(tail).is_ok();
            let expected = body.matches('\n').count() + usize::from(tail_whole);
            assert_eq!(loaded.calls.len(), expected, "cut at {cut}");
            assert_eq!(
                loaded.torn_tail,
                !tail.is_empty() && !tail_whole,
                "cut at {cut}"
            );
        }
    }
}
