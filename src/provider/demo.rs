//! The built-in offline demo model: a deterministic stand-in for Claude.
//!
//! It reads the conversation it is sent and follows the memory protocol: it first views
//! `/memories`; when the person states facts it stores them in a topic file (created when new,
//! appended to after viewing it when it exists); when the person asks something it views the
//! files that matter and answers by quoting them and naming the file; on "forget" it deletes the
//! topic's file. Its answers stream as the same events as the API's (word-sized text deltas,
//! tool input in small JSON fragments, usage numbers, context-editing reports), paced at a
//! chosen speed. It is labelled "demo model (offline)" wherever a provider is shown.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Delta, EventStream, Provider, Request, StreamEvent};

pub const LABEL: &str = "demo model (offline)";

/// The demo model.
#[derive(Clone, Debug)]
pub struct Demo {
    /// Output tokens per second; 0 streams as fast as possible (tests).
    pub tokens_per_second: f64,
}

impl Default for Demo {
    fn default() -> Self {
        Self {
            tokens_per_second: 60.0,
        }
    }
}

impl Provider for Demo {
    fn label(&self) -> String {
        LABEL.to_owned()
    }

    /// The demo answers the same whatever the model: the picker shows the known Claude
    /// models, so a rehearsal looks like the real thing.
    fn models(&self) -> super::ModelList<'_> {
        Box::pin(async { Ok(super::known_models()) })
    }

    fn stream(&self, request: &Request, cancel: CancellationToken) -> EventStream {
        let events = render(&plan(request), request);
        let per_token = if self.tokens_per_second > 0.0 {
            Duration::from_secs_f64(1.0 / self.tokens_per_second)
        } else {
            Duration::ZERO
        };
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            // Each event is due at a fixed time from the start, so the pace holds even when the
            // task runs late (the app's event loop rests between frames): what is overdue is
            // sent without waiting, as a network's buffered bytes would arrive together.
            let mut due = tokio::time::Instant::now();
            for (event, tokens) in events {
                // Unpaced, everything is due at once: the channel's capacity hands the events
                // over in batches, as a network's buffered bytes arrive.
                due += per_token * tokens;
                if !super::send_when_due(&tx, due, &cancel, Ok(event)).await {
                    return;
                }
            }
        });
        super::from_channel(rx)
    }
}

/// What the demo model answers: text and tool calls, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub blocks: Vec<PlannedBlock>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PlannedBlock {
    Text(String),
    Tool(Value),
}

/// A tool call of this turn and what came back.
struct Done {
    input: Value,
    result: String,
    is_error: bool,
}

/// Decide the next answer from the conversation.
pub fn plan(request: &Request) -> Plan {
    let person = person_name(&request.system);
    let (prompt, done) = current_turn(&request.messages);
    let text = |t: &str| PlannedBlock::Text(t.to_owned());
    let tool = PlannedBlock::Tool;
    let Some(listing) = done
        .iter()
        .find(|d| d.input["command"] == "view" && d.input["path"] == "/memories")
    else {
        return Plan {
            blocks: vec![
                text("Let me check our shared memory first."),
                tool(json!({"command": "view", "path": "/memories"})),
            ],
        };
    };
    let files = listed_files(&listing.result);
    let lower = prompt.to_lowercase();
    if lower.contains("forget") || lower.starts_with("delete") {
        return forget(&files, &lower, &done);
    }
    if is_question(&lower) {
        return answer(&files, &lower, &done);
    }
    remember(&prompt, &person, &files, &done)
}

/// The person named in our system prompt ("… talking with Alice (Discovery). …").
fn person_name(system: &str) -> String {
    system
        .split_once("talking with ")
        .and_then(|(_, rest)| rest.split(['(', ',', '.']).next())
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map_or_else(|| "the user".to_owned(), str::to_owned)
}

/// The text of the last plain user message, and the tool calls made since.
fn current_turn(messages: &[Value]) -> (String, Vec<Done>) {
    let start = messages
        .iter()
        .rposition(|m| m["role"] == "user" && m["content"].is_string())
        .unwrap_or(0);
    let prompt = messages
        .get(start)
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_owned();
    let mut done = Vec::new();
    for pair in messages[start.min(messages.len())..].windows(2) {
        let (asked, answered) = (&pair[0], &pair[1]);
        if asked["role"] != "assistant" {
            continue;
        }
        for block in asked["content"].as_array().into_iter().flatten() {
            if block["type"] != "tool_use" {
                continue;
            }
            let result = answered["content"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|r| r["tool_use_id"] == block["id"]);
            if let Some(r) = result {
                done.push(Done {
                    input: block["input"].clone(),
                    result: r["content"].as_str().unwrap_or_default().to_owned(),
                    is_error: r["is_error"] == true,
                });
            }
        }
    }
    (prompt, done)
}

/// Files (not directories) in a `view /memories` listing.
fn listed_files(listing: &str) -> Vec<String> {
    listing
        .lines()
        .skip(2)
        .filter_map(|l| l.split_once('\t').map(|(_, p)| p.to_owned()))
        .filter(|p| !p.ends_with('/'))
        .collect()
}

const QUESTION_STARTS: [&str; 24] = [
    "what",
    "who",
    "when",
    "where",
    "which",
    "how",
    "why",
    "can",
    "could",
    "do",
    "does",
    "is",
    "are",
    "should",
    "would",
    "will",
    "tell",
    "propose",
    "design",
    "draft",
    "write",
    "summarize",
    "suggest",
    "recommend",
];

fn is_question(lower: &str) -> bool {
    let first = lower.split_whitespace().next().unwrap_or_default();
    lower.trim_end().ends_with('?')
        || QUESTION_STARTS.contains(&first.trim_matches(|c: char| !c.is_alphanumeric()))
}

/// Words that name a topic: capitalised words other than the first of a sentence, the person,
/// or common ones.
fn topic(prompt: &str, person: &str) -> String {
    const COMMON: [&str; 12] = [
        "I", "We", "The", "Our", "They", "He", "She", "It", "This", "That", "Please", "Remember",
    ];
    let mut first_of_sentence = true;
    for raw in prompt.split_whitespace() {
        let word: String = raw
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '-')
            .collect();
        let capital = word.chars().next().is_some_and(char::is_uppercase);
        if capital && !first_of_sentence && word != person && !COMMON.contains(&word.as_str()) {
            return word.to_lowercase();
        }
        // A sentence start may still be a name if it is all capitals (ACME).
        if first_of_sentence
            && word.len() > 1
            && word.chars().all(|c| c.is_uppercase() || c.is_ascii_digit())
        {
            return word.to_lowercase();
        }
        first_of_sentence = raw.ends_with(['.', '!', '?']);
    }
    "team-notes".to_owned()
}

fn sentences(prompt: &str) -> Vec<String> {
    prompt
        .split_inclusive(['.', '!', '\n'])
        .map(|s| s.trim().trim_end_matches('.').trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn remember(prompt: &str, person: &str, files: &[String], done: &[Done]) -> Plan {
    let name = topic(prompt, person);
    let path = format!("/memories/{name}.md");
    let mut facts = String::new();
    for sentence in sentences(prompt) {
        let _ = writeln!(facts, "- {sentence} (from {person})");
    }
    let saved = done.iter().any(|d| {
        d.input["path"] == path.as_str()
            && matches!(d.input["command"].as_str(), Some("create" | "insert"))
            && !d.is_error
    });
    if saved {
        return Plan {
            blocks: vec![PlannedBlock::Text(format!(
                "Noted. I saved this to {path} so the whole team can use it:\n{facts}"
            ))],
        };
    }
    if !files.contains(&path) {
        let title = name.to_uppercase();
        return Plan {
            blocks: vec![
                PlannedBlock::Text(format!("Nothing on {title} yet; I'll create {path}.")),
                PlannedBlock::Tool(
                    json!({"command": "create", "path": path, "file_text": format!("# {title}\n\n{facts}")}),
                ),
            ],
        };
    }
    let viewed = done
        .iter()
        .find(|d| d.input["command"] == "view" && d.input["path"] == path.as_str());
    match viewed {
        None => Plan {
            blocks: vec![
                PlannedBlock::Text(format!(
                    "{path} exists; let me read it before adding to it."
                )),
                PlannedBlock::Tool(json!({"command": "view", "path": path})),
            ],
        },
        Some(view) => {
            let mut lines = view.result.lines().skip(1).count();
            if view.result.ends_with('\t') {
                lines -= 1;
            }
            Plan {
                blocks: vec![PlannedBlock::Tool(
                    json!({"command": "insert", "path": path, "insert_line": lines, "insert_text": facts}),
                )],
            }
        }
    }
}

/// Files whose name appears in the question, or all of them (at most three).
fn relevant(files: &[String], lower: &str) -> Vec<String> {
    let named: Vec<String> = files
        .iter()
        .filter(|f| {
            let stem = f.rsplit('/').next().unwrap_or(f).trim_end_matches(".md");
            lower.contains(stem)
        })
        .cloned()
        .collect();
    let mut chosen = if named.is_empty() {
        files.to_vec()
    } else {
        named
    };
    chosen.truncate(3);
    chosen
}

fn answer(files: &[String], lower: &str, done: &[Done]) -> Plan {
    let wanted = relevant(files, lower);
    if wanted.is_empty() {
        return Plan {
            blocks: vec![PlannedBlock::Text(
                "Our shared memory has nothing on that yet. Tell me the facts and I'll save them for the team."
                    .to_owned(),
            )],
        };
    }
    if let Some(next) = wanted.iter().find(|f| {
        !done
            .iter()
            .any(|d| d.input["command"] == "view" && d.input["path"] == f.as_str())
    }) {
        return Plan {
            blocks: vec![PlannedBlock::Tool(json!({"command": "view", "path": next}))],
        };
    }
    let mut out = String::from("Here is what our shared memory says:\n");
    let mut facts = Vec::new();
    for file in &wanted {
        let Some(view) = done.iter().find(|d| d.input["path"] == file.as_str()) else {
            continue;
        };
        let _ = write!(out, "\nFrom {file}:\n");
        for line in view.result.lines().skip(1) {
            let text = line.split_once('\t').map_or(line, |(_, t)| t).trim();
            if let Some(fact) = text.strip_prefix("- ") {
                let _ = writeln!(out, "> {fact}");
                facts.push(fact.to_owned());
            }
        }
    }
    if ["architecture", "design", "propos", "plan"]
        .iter()
        .any(|w| lower.contains(w))
    {
        out.push_str("\nBuilt from those facts, a proposal:\n");
        out.push_str(
            "1. Start from the requirements above; each one becomes a work item with an owner.\n",
        );
        out.push_str("2. Size the system for the figures above, with room to grow by half.\n");
        out.push_str(
            "3. Roll out in phases, a pilot first, and review the dates above with the customer.\n",
        );
    }
    if facts.is_empty() {
        out.push_str("\n(The files hold no notes in list form yet.)\n");
    }
    Plan {
        blocks: vec![PlannedBlock::Text(out)],
    }
}

fn forget(files: &[String], lower: &str, done: &[Done]) -> Plan {
    let targets: Vec<String> = files
        .iter()
        .filter(|f| lower.contains(f.rsplit('/').next().unwrap_or(f).trim_end_matches(".md")))
        .cloned()
        .collect();
    if targets.is_empty() {
        return Plan {
            blocks: vec![PlannedBlock::Text(
                "I couldn't find that in our shared memory.".to_owned(),
            )],
        };
    }
    let deleted: Vec<&String> = targets
        .iter()
        .filter(|t| {
            done.iter()
                .any(|d| d.input["command"] == "delete" && d.input["path"] == t.as_str())
        })
        .collect();
    match targets.iter().find(|t| !deleted.contains(t)) {
        Some(next) => Plan {
            blocks: vec![PlannedBlock::Tool(
                json!({"command": "delete", "path": next}),
            )],
        },
        None => Plan {
            blocks: vec![PlannedBlock::Text(format!(
                "Done: I deleted {} from our shared memory.",
                targets.join(", ")
            ))],
        },
    }
}

/// Rough token count of text, as the API would bill it.
fn tokens(text: &str) -> u32 {
    u32::try_from(text.len().div_ceil(4)).unwrap_or(u32::MAX)
}

/// The plan as API events, each with the output tokens it stands for (for pacing).
pub fn render(plan: &Plan, request: &Request) -> Vec<(StreamEvent, u32)> {
    let input_tokens =
        tokens(&request.system) + tokens(&Value::from(request.messages.clone()).to_string());
    let id_base = request.messages.len();
    let mut events = vec![(
        StreamEvent::MessageStart {
            message: json!({"id": format!("msg_demo_{id_base}"), "type": "message", "role": "assistant",
                "model": "demo", "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": input_tokens, "output_tokens": 1}}),
        },
        0,
    )];
    let mut output = 1;
    let mut has_tool = false;
    for (index, block) in plan.blocks.iter().enumerate() {
        match block {
            PlannedBlock::Text(text) => {
                events.push((
                    StreamEvent::ContentBlockStart {
                        index,
                        content_block: json!({"type": "text", "text": ""}),
                    },
                    0,
                ));
                for word in text.split_inclusive(' ') {
                    output += 1;
                    events.push((
                        StreamEvent::ContentBlockDelta {
                            index,
                            delta: Delta::TextDelta {
                                text: word.to_owned(),
                            },
                        },
                        1,
                    ));
                }
            }
            PlannedBlock::Tool(input) => {
                has_tool = true;
                let id = format!("toolu_demo_{id_base}_{index}");
                events.push((StreamEvent::ContentBlockStart { index, content_block: json!({"type": "tool_use", "id": id, "name": "memory", "input": {}}) }, 0));
                let text = input.to_string();
                let mut rest = text.as_str();
                while !rest.is_empty() {
                    let mut cut = 12.min(rest.len());
                    while !rest.is_char_boundary(cut) {
                        cut += 1;
                    }
                    let (piece, tail) = rest.split_at(cut);
                    output += tokens(piece);
                    events.push((
                        StreamEvent::ContentBlockDelta {
                            index,
                            delta: Delta::InputJsonDelta {
                                partial_json: piece.to_owned(),
                            },
                        },
                        tokens(piece),
                    ));
                    rest = tail;
                }
            }
        }
        events.push((StreamEvent::ContentBlockStop { index }, 0));
    }
    let stop_reason = if has_tool { "tool_use" } else { "end_turn" };
    events.push((
        StreamEvent::MessageDelta {
            delta: json!({"stop_reason": stop_reason, "stop_sequence": null}),
            usage: Some(json!({"output_tokens": output})),
            context_management: applied_edits(request, input_tokens),
        },
        0,
    ));
    events.push((StreamEvent::MessageStop, 0));
    events
}

/// What the API would report when the configured clearing trigger is crossed (simulated:
/// the demo model reads the whole conversation either way).
fn applied_edits(request: &Request, input_tokens: u32) -> Option<Value> {
    let (trigger, keep, _) = request.context_editing.thresholds()?;
    let tool_uses = request
        .messages
        .iter()
        .filter_map(|m| m["content"].as_array())
        .flatten()
        .filter(|b| b["type"] == "tool_use")
        .count();
    let cleared = tool_uses.saturating_sub(usize::try_from(keep).unwrap_or(usize::MAX));
    (input_tokens > trigger && cleared > 0).then(|| {
        json!({"applied_edits": [{"type": "clear_tool_uses_20250919", "cleared_tool_uses": cleared,
            "cleared_input_tokens": input_tokens / 3}]})
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_come_from_names_in_the_prompt() {
        assert_eq!(topic("ACME runs 40 stores.", "Alice"), "acme");
        assert_eq!(
            topic("Our customer is Globex, budget $2M.", "Alice"),
            "globex"
        );
        assert_eq!(
            topic("I met Alice today. nothing else", "Alice"),
            "team-notes"
        );
    }

    #[test]
    fn questions_are_told_from_statements() {
        assert!(is_question("what does acme need?"));
        assert!(is_question("propose an architecture for acme"));
        assert!(!is_question("acme runs 40 stores."));
    }
}
