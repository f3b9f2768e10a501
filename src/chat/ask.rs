//! One turn for scripts: `memdeck ask`. The answer streams to a writer as plain text with one
//! line per tool call, or as JSON lines (every event, each tool result, and after each model
//! call the accumulated message in the API's shape).

use std::io::Write;

use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::extract::{self, Extract};
use super::{Accumulator, Agent, AgentEvent, Conversation, TurnError};
use crate::provider::{Delta, StreamEvent};

/// How `ask` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Text,
    Json,
}

/// Run `text` as one user turn, printing as it streams. Retry waits go to `notes`.
pub async fn ask(
    agent: &Agent,
    text: &str,
    output: Output,
    cancel: &CancellationToken,
    out: &mut (dyn Write + Send),
    notes: &mut (dyn Write + Send),
) -> Result<(), TurnError> {
    let io = Io {
        output,
        out,
        notes,
        extraction: None,
    };
    ask_in(
        agent,
        &mut Conversation::default(),
        text,
        cancel,
        io,
        &mut |_| {},
    )
    .await
}

/// Where `ask` prints, and how.
pub struct Io<'a> {
    pub output: Output,
    pub out: &'a mut (dyn Write + Send),
    pub notes: &'a mut (dyn Write + Send),
    /// Memories to look for after the turn: the mode, and the model to ask.
    pub extraction: Option<(Extract, Option<String>)>,
}

/// [`ask`] continuing `conversation` (a saved session's tab), every event also shown to
/// `observe`.
pub async fn ask_in(
    agent: &Agent,
    conversation: &mut Conversation,
    text: &str,
    cancel: &CancellationToken,
    io: Io<'_>,
    observe: &mut (dyn FnMut(&AgentEvent) + Send),
) -> Result<(), TurnError> {
    let mut printer = Printer {
        output: io.output,
        out: io.out,
        notes: io.notes,
        last_retry: None,
        mid_line: false,
        acc: Accumulator::new(),
    };
    let start = conversation.messages.len();
    let result = agent
        .run_turn(conversation, text, cancel, &mut |event| {
            printer.on_event(&event);
            observe(&event);
        })
        .await;
    if printer.mid_line {
        let _ = writeln!(printer.out);
    }
    if let (Ok(_), Some((mode, model))) = (&result, io.extraction)
        && mode != Extract::Off
    {
        let turn = &conversation.messages[start.min(conversation.messages.len())..];
        let found = extract::propose(
            agent.provider.as_ref(),
            &agent.store,
            &agent.persona.name,
            turn,
            model,
        )
        .await;
        printer.extracted(agent, mode, found).await;
    }
    let _ = printer.out.flush();
    result.map(|_| ())
}

struct Printer<'a> {
    output: Output,
    out: &'a mut (dyn Write + Send),
    notes: &'a mut (dyn Write + Send),
    /// The reason of the last retry said, so that the next one for it is short.
    last_retry: Option<String>,
    /// Text was printed without a newline yet.
    mid_line: bool,
    /// The current model call's message, for the JSON output's message lines.
    acc: Accumulator,
}

impl Printer<'_> {
    /// What extraction found: printed; written too when the mode is `auto` (with `on` there is
    /// nobody to accept, so nothing is written and the output says how to keep them).
    async fn extracted(
        &mut self,
        agent: &Agent,
        mode: Extract,
        found: Result<extract::Extracted, String>,
    ) {
        let found = match found {
            Ok(found) => found,
            Err(e) => {
                let _ = writeln!(self.notes, "memdeck: extraction failed: {e}");
                return;
            }
        };
        let actor = extract::actor(&agent.persona.name);
        for proposal in found.proposals {
            let kept = if mode == Extract::Auto {
                let store = agent.store.clone();
                let (p, a) = (proposal.clone(), actor.clone());
                Some(
                    tokio::task::spawn_blocking(move || extract::write(store.as_ref(), &p, &a))
                        .await
                        .unwrap_or_else(|e| Err(e.to_string())),
                )
            } else {
                None
            };
            match self.output {
                Output::Json => {
                    let mut line = json!({"type": "proposal", "path": proposal.path,
                        "name": proposal.name, "memory_type": proposal.kind.as_str(),
                        "description": proposal.description, "body": proposal.body,
                        "adds_to": proposal.adds_to});
                    match kept {
                        Some(Ok(what)) => line["kept"] = json!(what),
                        Some(Err(why)) => line["not_kept"] = json!(why),
                        None => {}
                    }
                    let _ = writeln!(self.out, "{line}");
                }
                Output::Text => {
                    let _ = writeln!(self.out, "[extracted] {}", proposal.title());
                    for line in proposal.body.lines() {
                        let _ = writeln!(self.out, "    {line}");
                    }
                    let said = match kept {
                        Some(Ok(what)) => format!("kept: {what}, as {actor}"),
                        Some(Err(why)) => format!("not kept: {why}"),
                        None => {
                            "not written (--extract auto writes, or keep it in the app)".to_owned()
                        }
                    };
                    let _ = writeln!(self.out, "    {said}");
                }
            }
        }
    }

    fn on_event(&mut self, event: &AgentEvent) {
        // A closed stdout (a pipe to `head`) must not stop the turn: its writes are ignored.
        match self.output {
            Output::Json => self.json(event),
            Output::Text => self.text(event),
        }
        let _ = self.out.flush();
    }

    fn json(&mut self, event: &AgentEvent) {
        match event {
            AgentEvent::Stream(e) => {
                if matches!(e, StreamEvent::MessageStart { .. }) {
                    self.acc = Accumulator::new();
                }
                let _ = self.acc.apply(e);
                if let Ok(line) = serde_json::to_string(e) {
                    let _ = writeln!(self.out, "{line}");
                }
                if let (StreamEvent::MessageStop, Some(message)) = (e, self.acc.message()) {
                    let _ = writeln!(self.out, "{message}");
                }
            }
            AgentEvent::ToolStarted { .. } | AgentEvent::MemoryChanged(_) => {}
            AgentEvent::Compacted { summary, usage } => {
                let line = json!({"type": "compacted", "summary": summary, "usage": usage});
                let _ = writeln!(self.out, "{line}");
            }
            AgentEvent::MemoryIndex {
                listed,
                total,
                bytes,
            } => {
                let line = json!({"type": "memory_index", "listed": listed, "total": total, "bytes": bytes});
                let _ = writeln!(self.out, "{line}");
            }
            AgentEvent::ToolFinished { id, result } => {
                let line = json!({"type": "tool_result", "tool_use_id": id, "content": result.content, "is_error": result.is_error});
                let _ = writeln!(self.out, "{line}");
            }
        }
    }

    fn text(&mut self, event: &AgentEvent) {
        match event {
            AgentEvent::Stream(StreamEvent::ContentBlockDelta {
                delta: Delta::TextDelta { text },
                ..
            }) => {
                let _ = write!(self.out, "{text}");
                self.mid_line = !text.ends_with('\n');
            }
            AgentEvent::Stream(StreamEvent::ContentBlockStop { .. }) if self.mid_line => {
                let _ = writeln!(self.out);
                self.mid_line = false;
            }
            AgentEvent::Stream(StreamEvent::MessageDelta { delta, .. }) => {
                if let Some(text) = delta["stop_reason"]
                    .as_str()
                    .and_then(crate::chat::transcript::stop_text)
                {
                    if self.mid_line {
                        let _ = writeln!(self.out);
                        self.mid_line = false;
                    }
                    let _ = writeln!(self.notes, "memdeck: {text}");
                }
            }
            AgentEvent::Stream(StreamEvent::RetryWait {
                attempt,
                wait_ms,
                reason,
            }) => {
                #[allow(clippy::cast_precision_loss)]
                let secs = *wait_ms as f64 / 1000.0;
                // The reason once; later attempts for the same reason only say when.
                if self.last_retry.as_deref() == Some(reason.as_str()) {
                    let _ = writeln!(
                        self.notes,
                        "memdeck: attempt {attempt} in {secs:.1} s (the same error)"
                    );
                } else {
                    let _ = writeln!(
                        self.notes,
                        "memdeck: {reason}; attempt {attempt} in {secs:.1} s"
                    );
                    self.last_retry = Some(reason.clone());
                }
            }
            AgentEvent::ToolStarted { name, input, .. } => {
                if self.mid_line {
                    let _ = writeln!(self.out);
                    self.mid_line = false;
                }
                let command = input["command"].as_str().unwrap_or("?");
                let path = input["path"]
                    .as_str()
                    .or_else(|| input["old_path"].as_str())
                    .unwrap_or("");
                let _ = write!(self.out, "[{name}] {command} {path} … ");
            }
            AgentEvent::ToolFinished { result, .. } => {
                if result.is_error {
                    let first = result.content.lines().next().unwrap_or_default();
                    let _ = writeln!(self.out, "error: {first}");
                } else {
                    let _ = writeln!(self.out, "ok");
                }
            }
            AgentEvent::Compacted { summary, .. } => {
                let _ = writeln!(
                    self.notes,
                    "memdeck: the conversation so far was summarised ({} characters) to save \
                     context",
                    summary.chars().count()
                );
            }
            AgentEvent::Stream(_)
            | AgentEvent::MemoryIndex { .. }
            | AgentEvent::MemoryChanged(_) => {}
        }
    }
}
