//! A tab's transcript built from a real turn (demo model, real store): messages, tool cards that
//! fill while the input streams, results, usage and context-edit lines, errors.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use std::sync::Arc;
use std::time::Instant;

use memdeck::chat::transcript::{Item, ToolStatus, Transcript};
use memdeck::chat::{Agent, AgentEvent, Conversation, Persona, TurnError, TurnOptions};
use memdeck::memory::{LocalOptions, LocalStore, MemoryStore};
use memdeck::provider::demo::Demo;
use memdeck::provider::{ContextEditing, ProviderError, StreamEvent};
use tokio_util::sync::CancellationToken;

fn agent(tmp: &tempfile::TempDir, context_editing: ContextEditing) -> Agent {
    let store: Arc<dyn MemoryStore> =
        Arc::new(LocalStore::open(&LocalOptions::new(tmp.path().join("memories"))).unwrap());
    Agent {
        provider: Arc::new(Demo {
            tokens_per_second: 0.0,
        }),
        store,
        persona: Persona::named("Alice"),
        options: TurnOptions {
            context_editing,
            ..TurnOptions::default()
        },
    }
}

fn tmp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("memdeck-transcript-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_becomes_messages_tool_cards_and_usage_lines() {
    let t = tmp();
    let agent = agent(&t, ContextEditing::Off);
    let mut transcript = Transcript::default();
    let mut conversation = Conversation::default();
    let text = "ACME runs 40 stores.";
    transcript.push_user(text);
    // While the create call is being written, its card already shows the path and the text so far.
    let mut seen_while_writing = None;
    let result = agent
        .run_turn(
            &mut conversation,
            text,
            &CancellationToken::new(),
            &mut |e| {
                transcript.on_event(&e, Instant::now());
                if let Some(Item::Tool(card)) = transcript.items.last() {
                    let fields = card.fields();
                    if card.status == ToolStatus::Writing
                        && fields.contains_key("file_text")
                        && seen_while_writing.is_none()
                    {
                        seen_while_writing = Some(fields);
                    }
                }
            },
        )
        .await;
    transcript.on_turn_end(result.as_ref().map(|_| ()));
    let writing = seen_while_writing.expect("the card showed the input while it streamed");
    assert_eq!(writing["command"], "create");
    assert_eq!(writing["path"], "/memories/acme.md");
    assert!(
        "# ACME\n\n- ACME runs 40 stores (from Alice)\n"
            .starts_with(writing["file_text"].as_str().unwrap())
    );

    let shape: Vec<String> = transcript
        .items
        .iter()
        .map(|i| match i {
            Item::User { .. } => "user".into(),
            Item::Text { streaming, .. } => format!("text streaming={streaming}"),
            Item::Tool(card) => match &card.status {
                ToolStatus::Done { summary, .. } => format!(
                    "tool {} ✓ {summary}",
                    card.fields()["command"].as_str().unwrap()
                ),
                other => format!("tool {other:?}"),
            },
            Item::Usage { .. } => "usage".into(),
            Item::Receipt { changes, .. } => format!(
                "receipt: {}",
                changes
                    .iter()
                    .map(|c| c.title())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        shape,
        [
            "user",
            "text streaming=false",
            "tool view ✓ Here're the files and directories up to 2 levels deep in /memories, excluding hidden items:",
            "usage",
            "text streaming=false",
            "tool create ✓ File created successfully at: /memories/acme.md",
            "usage",
            "text streaming=false",
            "usage",
            "receipt: created /memories/acme.md",
        ]
    );
    assert!(transcript.total_input > 0 && transcript.total_output > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn context_edits_and_errors_are_shown() {
    let t = tmp();
    let agent = agent(&t, ContextEditing::Demo);
    let mut transcript = Transcript::default();
    let mut conversation = Conversation::default();
    for text in [
        (0..200)
            .map(|i| format!("ACME store {i} opened in {}. ", 1900 + i))
            .collect::<String>(),
        "What do we know about ACME?".to_owned(),
    ] {
        transcript.push_user(&text);
        let r = agent
            .run_turn(
                &mut conversation,
                &text,
                &CancellationToken::new(),
                &mut |e| transcript.on_event(&e, Instant::now()),
            )
            .await;
        transcript.on_turn_end(r.as_ref().map(|_| ()));
    }
    let edited = transcript.items.iter().find_map(|i| match i {
        Item::ContextEdited {
            cleared_tool_uses,
            cleared_tokens,
        } => Some((*cleared_tool_uses, *cleared_tokens)),
        _ => None,
    });
    let (uses, tokens) = edited.expect("a context-edit line");
    assert!(uses > 0 && tokens > 0);
    assert_eq!(
        transcript.saved_by_context_editing,
        transcript
            .items
            .iter()
            .map(|i| match i {
                Item::ContextEdited { cleared_tokens, .. } => *cleared_tokens,
                _ => 0,
            })
            .sum::<u64>()
    );

    // A turn cancelled while a tool call is being written: the card is dropped, an error card
    // says it was cancelled, nothing looks busy.
    let mut cut = Transcript::default();
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let mut conversation = Conversation::default();
    let r = agent
        .run_turn(
            &mut conversation,
            "Globex has 3 sites.",
            &cancel,
            &mut |e| {
                let partial_input = matches!(
                    &e,
                    AgentEvent::Stream(StreamEvent::ContentBlockDelta { index: 1, .. })
                );
                cut.on_event(&e, Instant::now());
                if partial_input {
                    trigger.cancel();
                }
            },
        )
        .await;
    assert_eq!(r, Err(TurnError::Provider(ProviderError::Cancelled)));
    cut.on_turn_end(r.as_ref().map(|_| ()));
    assert!(matches!(
        cut.items.last(),
        Some(Item::Error {
            cancelled: true,
            ..
        })
    ));
    assert!(
        cut.items
            .iter()
            .any(|i| matches!(i, Item::Tool(card) if card.status == ToolStatus::Dropped))
    );
    assert!(!cut.items.iter().any(|i| matches!(
        i,
        Item::Text {
            streaming: true,
            ..
        }
    )));
}

#[test]
fn retry_waits_are_kept_with_their_start() {
    let mut transcript = Transcript::default();
    let now = Instant::now();
    transcript.on_event(
        &AgentEvent::Stream(StreamEvent::RetryWait {
            attempt: 2,
            wait_ms: 1500,
            reason: "overloaded".into(),
        }),
        now,
    );
    assert_eq!(
        transcript.items,
        [Item::Retry {
            attempt: 2,
            wait_ms: 1500,
            since: now,
            reason: "overloaded".into()
        }]
    );
}

/// A network that keeps failing is said once: the retries share one line (the latest attempt),
/// and when the turn fails the error card alone says why (it used to be said three times).
#[test]
fn a_failing_network_is_said_once() {
    use memdeck::chat::TurnError;
    use memdeck::provider::ProviderError;
    let mut transcript = Transcript::default();
    let now = Instant::now();
    let reason = "the connection failed: cannot connect to 127.0.0.1:9: Connection refused";
    for attempt in 2..=3 {
        transcript.on_event(
            &AgentEvent::Stream(StreamEvent::RetryWait {
                attempt,
                wait_ms: 400,
                reason: reason.into(),
            }),
            now,
        );
    }
    assert_eq!(transcript.items.len(), 1);
    assert!(matches!(
        transcript.items[0],
        Item::Retry { attempt: 3, .. }
    ));
    let error = TurnError::Provider(ProviderError::Connection(
        "cannot connect to 127.0.0.1:9: Connection refused".into(),
    ));
    transcript.on_turn_end(Err(&error));
    let said = format!("{:?}", transcript.items);
    assert_eq!(said.matches("Connection refused").count(), 1, "{said}");
    assert!(matches!(transcript.items.last(), Some(Item::Error { .. })));
}

/// The compact preset on a backend that does not compact itself (here the demo model): past
/// the trigger the next turn first summarises the conversation on the client; the chat shows
/// the summary as a compaction card, the conversation goes on from it, and memory still
/// answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compact_preset_summarises_on_the_client_where_the_backend_does_not() {
    let t = tmp();
    let agent = agent(&t, ContextEditing::Compact { trigger: 600 });
    let mut transcript = Transcript::default();
    let mut conversation = Conversation::default();
    for text in [
        "Our customer Initech runs 7 plants and wants SSO by June.",
        "Initech's budget is $300K.",
        "What do we know about Initech?",
    ] {
        transcript.push_user(text);
        let r = agent
            .run_turn(
                &mut conversation,
                text,
                &CancellationToken::new(),
                &mut |e| transcript.on_event(&e, Instant::now()),
            )
            .await;
        transcript.on_turn_end(r.as_ref().map(|_| ()));
        r.unwrap();
    }
    let summary = transcript
        .items
        .iter()
        .find_map(|i| match i {
            Item::Compaction { summary, .. } => Some(summary.clone()),
            _ => None,
        })
        .expect("a compaction card");
    assert!(
        summary.starts_with("<summary>\nAlice and Claude talked about:"),
        "{summary}"
    );
    assert!(
        summary.contains("- Our customer Initech runs 7 plants"),
        "{summary}"
    );
    assert!(summary.contains("/memories/initech.md"), "{summary}");
    assert!(transcript.compactions >= 1);
    assert!(
        conversation.messages[0]["content"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("(memdeck: the conversation so far, summarised")
    );
    memdeck::chat::agent::check_history(&conversation.messages).unwrap();
    let answer = conversation.messages.last().unwrap()["content"].to_string();
    assert!(answer.contains("$300K"), "{answer}");
}

/// `receipts = off`: the turn writes as before, and no receipt is shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_can_be_switched_off() {
    let t = tmp();
    let mut agent = agent(&t, ContextEditing::Off);
    agent.options.receipts = false;
    let mut transcript = Transcript::default();
    let text = "ACME runs 40 stores.";
    transcript.push_user(text);
    let r = agent
        .run_turn(
            &mut Conversation::default(),
            text,
            &CancellationToken::new(),
            &mut |e| transcript.on_event(&e, Instant::now()),
        )
        .await;
    transcript.on_turn_end(r.as_ref().map(|_| ()));
    r.unwrap();
    assert!(t.path().join("memories/acme.md").exists());
    assert!(
        !transcript
            .items
            .iter()
            .any(|i| matches!(i, Item::Receipt { .. }))
    );
}
