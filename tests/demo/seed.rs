//! The offline demo model plays the seed scenario deterministically through the real tool loop
//! and a real memory store.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use std::sync::Arc;
use std::time::Duration;

use crate::support::demo;

use demo::{agent, say};
use memdeck::chat::{AgentEvent, Conversation};
use memdeck::memory::{LocalOptions, LocalStore, MemoryStore};
use memdeck::provider::demo::Demo;
use memdeck::provider::{ContextEditing, StreamEvent};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

async fn scenario() -> (Vec<(String, Vec<String>)>, String, Vec<Value>) {
    let tmp = tempfile::Builder::new()
        .prefix("memdeck-demo-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let mem = tmp.path().join("memories");
    let store: Arc<dyn MemoryStore> = Arc::new(LocalStore::open(&LocalOptions::new(&mem)).unwrap());
    let alice = agent(&store, "Alice", "account manager");
    let john = agent(&store, "John", "solutions architect");
    let sam = agent(&store, "Sam", "proposal writer");
    let (mut a, mut j, mut s) = (
        Conversation::default(),
        Conversation::default(),
        Conversation::default(),
    );
    let mut turns = Vec::new();
    turns.push(
        say(
            &alice,
            &mut a,
            "ACME runs 40 stores. Their budget is $2M. Go-live is Q3 2027.",
        )
        .await,
    );
    turns.push(say(&john, &mut j, "Propose an architecture for ACME.").await);
    turns.push(
        say(
            &alice,
            &mut a,
            "ACME also needs an offline mode for the stores.",
        )
        .await,
    );
    let file = std::fs::read_to_string(mem.join("acme.md")).unwrap();
    turns.push(say(&sam, &mut s, "Please forget ACME.").await);
    assert!(!mem.join("acme.md").exists());
    assert!(!mem.join("acme_architecture.md").exists());
    (turns, file, a.messages)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_then_john_then_sam() {
    let (turns, file, _) = scenario().await;
    let (alice_text, alice_tools) = &turns[0];
    assert_eq!(alice_tools, &["view /memories", "create /memories/acme.md"]);
    assert!(
        alice_text.starts_with("Saved to /memories/acme.md for the whole team:"),
        "{alice_text}"
    );

    let (john_text, john_tools) = &turns[1];
    assert_eq!(
        john_tools,
        &[
            "view /memories",
            "view /memories/acme.md",
            "create /memories/acme_architecture.md"
        ]
    );
    assert!(
        john_text.contains("What the team stored in /memories/acme.md (Alice):"),
        "{john_text}"
    );
    assert!(
        john_text.contains("- Runs 40 stores (Alice)"),
        "{john_text}"
    );
    assert!(john_text.contains("- Budget: $2M (Alice)"), "{john_text}");
    assert!(
        john_text.contains("Sites: the 40 stores connect"),
        "the design uses the facts: {john_text}"
    );

    let (_, append_tools) = &turns[2];
    assert_eq!(
        append_tools,
        &[
            "view /memories",
            "view /memories/acme.md",
            "insert /memories/acme.md"
        ]
    );
    assert_eq!(
        file,
        "# ACME\n\nNotes from the team.\n\n- Runs 40 stores (from Alice)\n- Budget: $2M (from Alice)\n- Deadline: Q3 2027 (from Alice)\n- Needs an offline mode for the stores (from Alice)\n"
    );
    let (sam_text, sam_tools) = &turns[3];
    assert_eq!(
        sam_tools,
        &[
            "view /memories",
            "delete /memories/acme.md",
            "delete /memories/acme_architecture.md"
        ]
    );
    assert_eq!(
        sam_text,
        "Done: I deleted /memories/acme.md, /memories/acme_architecture.md from our shared memory."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_is_deterministic() {
    let (first, _, messages_1) = scenario().await;
    let (second, _, messages_2) = scenario().await;
    assert_eq!(first, second);
    assert_eq!(messages_1, messages_2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn it_streams_like_the_api_and_reports_context_edits() {
    let tmp = tempfile::Builder::new()
        .prefix("memdeck-demo-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let store: Arc<dyn MemoryStore> =
        Arc::new(LocalStore::open(&LocalOptions::new(tmp.path().join("memories"))).unwrap());
    let mut alice = agent(&store, "Alice", "account manager");
    alice.options.context_editing = ContextEditing::Demo;
    let mut conversation = Conversation::default();
    let mut events = Vec::new();
    // Two hundred different facts: a long file, so the conversation crosses the trigger.
    let long: String = (0..200)
        .map(|i| format!("ACME store {i} opened in {}. ", 1900 + i))
        .collect();
    for text in [
        long.as_str(),
        "What do we know about ACME?",
        "What about ACME again?",
    ] {
        alice
            .run_turn(
                &mut conversation,
                text,
                &CancellationToken::new(),
                &mut |e| {
                    if let AgentEvent::Stream(s) = e {
                        events.push(s);
                    }
                },
            )
            .await
            .unwrap();
    }
    let text_deltas = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                StreamEvent::ContentBlockDelta {
                    delta: memdeck::provider::Delta::TextDelta { .. },
                    ..
                }
            )
        })
        .count();
    let json_deltas = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                StreamEvent::ContentBlockDelta {
                    delta: memdeck::provider::Delta::InputJsonDelta { .. },
                    ..
                }
            )
        })
        .count();
    assert!(
        text_deltas > 20 && json_deltas > 5,
        "{text_deltas} {json_deltas}"
    );
    let edits = events.iter().find_map(|e| match e {
        StreamEvent::MessageDelta {
            context_management: Some(cm),
            ..
        } => Some(cm.clone()),
        _ => None,
    });
    assert_eq!(
        edits.unwrap()["applied_edits"][0]["type"],
        "clear_tool_uses_20250919"
    );
}

/// The demo keeps its pace when it runs late (the app's event loop rests between frames):
/// after a stall, everything that has fallen due arrives at once instead of one event per
/// wake-up, so a stalled second costs no more than a second of the answer.
#[tokio::test(start_paused = true)]
async fn a_late_demo_catches_up() {
    use futures_util::{FutureExt, StreamExt};
    use memdeck::provider::{Provider, Request, Thinking};

    let demo = Demo {
        tokens_per_second: 100.0,
    };
    let request = Request {
        persona: "Alice".into(),
        model: None,
        system: "You are Alice's assistant.".into(),
        memory_index: None,
        tools: true,
        messages: vec![serde_json::json!({"role": "user", "content": "What do we know?"})],
        max_tokens: 1024,
        thinking: Thinking::Off,
        context_editing: ContextEditing::Off,
    };
    let mut stream = demo.stream(&request, CancellationToken::new());
    let first = stream.next().await.unwrap().unwrap();
    assert!(
        matches!(first, StreamEvent::MessageStart { .. }),
        "{first:?}"
    );
    // Stall for long enough that the whole answer has fallen due, without polling anything.
    tokio::time::advance(Duration::from_secs(30)).await;
    tokio::task::yield_now().await;
    // Let the producer run (yielding does not move the paused clock), never waiting on time.
    let mut ready = 0;
    let mut idle = 0;
    let ended = loop {
        match stream.next().now_or_never() {
            Some(Some(item)) => {
                item.unwrap();
                ready += 1;
            }
            Some(None) => break true,
            None if idle < 100 => {
                idle += 1;
                tokio::task::yield_now().await;
            }
            None => break false,
        }
    };
    assert!(
        ended && ready > 3,
        "after the stall {ready} events were ready and the answer had not ended"
    );
}
