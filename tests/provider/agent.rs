//! The tool-use loop against a loopback mock API and a real memory store.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::mock;
use crate::support::script;

use std::sync::Arc;
use std::time::Duration;

use memdeck::chat::agent::check_history;
use memdeck::chat::{Agent, AgentEvent, Conversation, Persona, TurnError, TurnOptions};
use memdeck::memory::{LocalOptions, LocalStore, MemoryStore};
use memdeck::provider::anthropic::{Anthropic, AnthropicConfig};
use memdeck::provider::{ProviderError, StreamEvent};
use mock::{Mock, Reply};
use script::{Block, answer, tool};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

struct Setup {
    _tmp: tempfile::TempDir,
    mem: std::path::PathBuf,
    store: Arc<dyn MemoryStore>,
    mock: Mock,
    provider: Arc<Anthropic>,
}

impl Setup {
    fn agent(&self, options: &TurnOptions) -> Agent {
        Agent {
            provider: self.provider.clone(),
            store: self.store.clone(),
            persona: alice(),
            options: options.clone(),
        }
    }
}

async fn setup(replies: Vec<Reply>) -> Setup {
    let tmp = tempfile::Builder::new()
        .prefix("memdeck-agent-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let mem = tmp.path().join("memories");
    let store: Arc<dyn MemoryStore> = Arc::new(LocalStore::open(&LocalOptions::new(&mem)).unwrap());
    let mock = Mock::start(replies).await;
    let mut config = AnthropicConfig::new("sk-ant-test");
    config.base_url = mock.url();
    let provider = Arc::new(Anthropic::new(config).unwrap());
    Setup {
        _tmp: tmp,
        mem,
        store,
        mock,
        provider,
    }
}

fn alice() -> Persona {
    Persona::named("Alice")
}

fn reply(blocks: &[Block], stop: &str) -> Reply {
    Reply::sse(&answer(blocks, stop), 5, Duration::ZERO)
}

async fn turn(
    s: &Setup,
    conversation: &mut Conversation,
    text: &str,
    options: &TurnOptions,
    cancel: &CancellationToken,
) -> (
    Result<memdeck::chat::TurnSummary, TurnError>,
    Vec<AgentEvent>,
) {
    let mut events = Vec::new();
    let result = s
        .agent(options)
        .run_turn(conversation, text, cancel, &mut |e| events.push(e))
        .await;
    (result, events)
}

fn tool_results(body: &Value) -> Vec<Value> {
    let messages = body["messages"].as_array().unwrap();
    messages.last().unwrap()["content"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_views_memory_saves_a_fact_and_answers() {
    let s = setup(vec![
        reply(&[Block::Text("Let me check memory first."), tool("toolu_1", json!({"command": "view", "path": "/memories"}))], "tool_use"),
        reply(&[tool("toolu_2", json!({"command": "create", "path": "/memories/acme.md", "file_text": "ACME: 40 stores (Alice)\n"}))], "tool_use"),
        reply(&[Block::Text("Saved ACME's facts to /memories/acme.md.")], "end_turn"),
    ])
    .await;
    let mut conversation = Conversation::default();
    let (result, events) = turn(
        &s,
        &mut conversation,
        "ACME runs 40 stores.",
        &TurnOptions::default(),
        &CancellationToken::new(),
    )
    .await;
    let summary = result.unwrap();
    assert_eq!(summary.stop_reason.as_deref(), Some("end_turn"));
    assert_eq!(summary.model_calls, 3);
    assert_eq!(
        std::fs::read_to_string(s.mem.join("acme.md")).unwrap(),
        "ACME: 40 stores (Alice)\n"
    );

    let got = s.mock.received();
    assert_eq!(got.len(), 3);
    let first = got[0].json();
    assert!(first["system"].as_str().unwrap().contains("Alice"));
    assert_eq!(
        first["messages"],
        json!([{"role": "user", "content": "ACME runs 40 stores."}])
    );
    assert_eq!(
        tool_results(&got[1].json()),
        vec![
            json!({"type": "tool_result", "tool_use_id": "toolu_1", "is_error": false,
            "content": format!("Here're the files and directories up to 2 levels deep in /memories, excluding hidden items:\n{}\t/memories",
                memdeck::memory::format_size(std::fs::metadata(&s.mem).unwrap().len()))})
        ]
    );
    assert_eq!(
        tool_results(&got[2].json())[0]["content"],
        "File created successfully at: /memories/acme.md"
    );
    // The assistant's tool call went back as it was streamed.
    assert_eq!(
        got[1].json()["messages"][1]["content"][1]["input"],
        json!({"command": "view", "path": "/memories"})
    );
    check_history(&conversation.messages).unwrap();
    assert_eq!(conversation.messages.len(), 6);
    // Events: stream events, then each tool call announced and finished.
    let tools: Vec<&AgentEvent> = events
        .iter()
        .filter(|e| !matches!(e, AgentEvent::Stream(_)))
        .collect();
    assert!(
        matches!(tools[0], AgentEvent::ToolStarted { id, name, .. } if id == "toolu_1" && name == "memory")
    );
    assert!(
        matches!(tools[3], AgentEvent::ToolFinished { id, result } if id == "toolu_2" && !result.is_error)
    );
    // The memory change names the persona.
    let log = s.store.history(None).unwrap();
    assert_eq!(log.last().unwrap().actor, "Alice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_tool_calls_are_answered_in_one_message_in_order() {
    let s = setup(vec![
        reply(
            &[
                tool(
                    "toolu_a",
                    json!({"command": "create", "path": "/memories/a.md", "file_text": "a"}),
                ),
                tool(
                    "toolu_b",
                    json!({"command": "view", "path": "/memories/missing.md"}),
                ),
                Block::Tool {
                    id: "toolu_c",
                    name: "web_search",
                    input: "{}".into(),
                    piece: 10,
                },
            ],
            "tool_use",
        ),
        reply(&[Block::Text("Done.")], "end_turn"),
    ])
    .await;
    let mut conversation = Conversation::default();
    let (result, _) = turn(
        &s,
        &mut conversation,
        "go",
        &TurnOptions::default(),
        &CancellationToken::new(),
    )
    .await;
    result.unwrap();
    let results = tool_results(&s.mock.received()[1].json());
    let ids: Vec<&str> = results
        .iter()
        .map(|r| r["tool_use_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["toolu_a", "toolu_b", "toolu_c"]);
    assert_eq!(results[0]["is_error"], false);
    assert_eq!(
        results[1]["content"],
        "The path /memories/missing.md does not exist. Please provide a valid path."
    );
    assert_eq!(results[1]["is_error"], true);
    assert_eq!(
        results[2]["content"],
        "Tool 'web_search' is not available here; the only tool is memory"
    );
    check_history(&conversation.messages).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_tool_json_gets_an_invalid_json_error_and_the_turn_goes_on() {
    let broken = Block::Tool {
        id: "toolu_x",
        name: "memory",
        input: "{\"command\": \"create\", \"path\": \"/memories/cut.md\", \"file_text\": \"half"
            .into(),
        piece: 9,
    };
    let s = setup(vec![
        reply(&[broken], "max_tokens"),
        reply(&[Block::Text("Sorry, retrying later.")], "end_turn"),
    ])
    .await;
    let mut conversation = Conversation::default();
    let (result, _) = turn(
        &s,
        &mut conversation,
        "save it",
        &TurnOptions::default(),
        &CancellationToken::new(),
    )
    .await;
    result.unwrap();
    let result = &tool_results(&s.mock.received()[1].json())[0];
    assert_eq!(result["is_error"], true);
    let wrapped: Value = serde_json::from_str(result["content"].as_str().unwrap()).unwrap();
    assert_eq!(
        wrapped["INVALID_JSON"],
        "{\"command\": \"create\", \"path\": \"/memories/cut.md\", \"file_text\": \"half"
    );
    assert!(
        !s.mem.join("cut.md").exists(),
        "an unfinished call must never write"
    );
    check_history(&conversation.messages).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_cut_inside_tool_input_runs_nothing_and_keeps_the_text() {
    let full = answer(
        &[
            Block::Text("I will save that."),
            tool(
                "toolu_cut",
                json!({"command": "create", "path": "/memories/never.md", "file_text": "x"}),
            ),
        ],
        "tool_use",
    );
    let cut = full
        .windows(16)
        .position(|w| w == b"input_json_delta")
        .unwrap()
        + 200;
    let mut r = Reply::sse(&full[..cut], 4, Duration::from_millis(1));
    r.finish = false;
    // Also a complete tool call whose stream dies before message_stop.
    let stop = full
        .windows(21)
        .position(|w| w == b"event: message_delta\n")
        .unwrap();
    let mut r2 = Reply::sse(&full[..stop], 4, Duration::ZERO);
    r2.finish = false;
    let s = setup(vec![r, r2]).await;
    for _ in 0..2 {
        let mut conversation = Conversation::default();
        let (result, _) = turn(
            &s,
            &mut conversation,
            "remember",
            &TurnOptions::default(),
            &CancellationToken::new(),
        )
        .await;
        assert!(
            matches!(
                result,
                Err(TurnError::Provider(
                    ProviderError::Connection(_) | ProviderError::Interrupted
                ))
            ),
            "{result:?}"
        );
        assert!(!s.mem.join("never.md").exists());
        check_history(&conversation.messages).unwrap();
        assert_eq!(
            conversation.messages.last().unwrap(),
            &json!({"role": "assistant", "content": [{"type": "text", "text": "I will save that."}]})
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_mid_tool_input_stops_and_leaves_a_valid_history() {
    let body = answer(
        &[
            Block::Text("Saving now."),
            tool(
                "toolu_c",
                json!({"command": "create", "path": "/memories/cancelled.md", "file_text": "x".repeat(200)}),
            ),
        ],
        "tool_use",
    );
    let s = setup(vec![Reply::sse(&body, 60, Duration::from_millis(15))]).await;
    let cancel = CancellationToken::new();
    let mut conversation = Conversation::default();
    let trigger = cancel.clone();
    let mut events = Vec::new();
    let result = s
        .agent(&TurnOptions::default())
        .run_turn(&mut conversation, "save", &cancel, &mut |e| {
            if matches!(
                &e,
                AgentEvent::Stream(StreamEvent::ContentBlockDelta { index: 1, .. })
            ) {
                trigger.cancel();
            }
            events.push(e);
        })
        .await;
    assert_eq!(result, Err(TurnError::Provider(ProviderError::Cancelled)));
    assert!(!s.mem.join("cancelled.md").exists());
    check_history(&conversation.messages).unwrap();
    assert_eq!(
        conversation.messages.last().unwrap()["content"][0]["text"],
        "Saving now."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_call_limit_ends_the_turn_with_a_valid_history() {
    let looping = reply(
        &[tool(
            "toolu_l",
            json!({"command": "view", "path": "/memories"}),
        )],
        "tool_use",
    );
    let s = setup(vec![
        looping.clone(),
        looping.clone(),
        looping.clone(),
        looping,
    ])
    .await;
    let mut conversation = Conversation::default();
    let options = TurnOptions {
        max_calls: 3,
        ..TurnOptions::default()
    };
    let (result, _) = turn(
        &s,
        &mut conversation,
        "loop",
        &options,
        &CancellationToken::new(),
    )
    .await;
    assert_eq!(result, Err(TurnError::CallLimit(3)));
    assert_eq!(s.mock.received().len(), 3);
    check_history(&conversation.messages).unwrap();
    assert_eq!(conversation.messages.last().unwrap()["role"], "assistant");
}

#[test]
fn the_history_checker_catches_orphans() {
    let orphan = vec![
        json!({"role": "user", "content": "hi"}),
        json!({"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "memory", "input": {}}]}),
        json!({"role": "user", "content": "next"}),
    ];
    assert!(check_history(&orphan).is_err());
    let stray = vec![
        json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t9", "content": "x"}]}),
    ];
    assert!(check_history(&stray).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thinking_blocks_go_back_byte_for_byte() {
    let thinking = r#"event: message_start
data: {"type":"message_start","message":{"id":"msg_t","type":"message","role":"assistant","model":"m","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"The user wants \u00e9 \u2028 memory."}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA=="}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"}}

event: content_block_stop
data: {"type":"content_block_stop","index":1}

event: content_block_start
data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_t","name":"memory","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"command\":\"view\",\"path\":\"/memories\"}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":2}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":30}}

event: message_stop
data: {"type":"message_stop"}

"#;
    let s = setup(vec![
        Reply::sse(thinking.as_bytes(), 7, Duration::ZERO),
        reply(&[Block::Text("ok")], "end_turn"),
    ])
    .await;
    let mut conversation = Conversation::default();
    let options = TurnOptions {
        thinking: memdeck::provider::Thinking::Budget(2048),
        ..TurnOptions::default()
    };
    let (result, _) = turn(
        &s,
        &mut conversation,
        "hi",
        &options,
        &CancellationToken::new(),
    )
    .await;
    result.unwrap();
    let sent = s.mock.received()[1].json();
    assert_eq!(
        sent["messages"][1]["content"][0],
        json!({"type": "thinking", "thinking": "The user wants é \u{2028} memory.", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA=="})
    );
    assert_eq!(
        sent["messages"][1]["content"][1],
        json!({"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"})
    );
}

/// Alice's turn saves a typed memory; John's first request afterwards carries the memory index
/// (a second system block) naming her file, its type, her and its description, and every call of
/// John's turn sends the same index (one prefix per turn).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_tab_s_first_request_carries_the_index_naming_the_file() {
    let s = setup(vec![
        reply(&[tool("toolu_1", json!({"command": "create", "path": "/memories/customers/acme.md",
            "file_text": "---\nname: Acme Corp\ndescription: Acme's budget, timeline and contacts\ntype: project\n---\nBudget: $2M (Alice)\n"}))], "tool_use"),
        reply(&[Block::Text("Saved.")], "end_turn"),
        reply(&[tool("toolu_2", json!({"command": "view", "path": "/memories/customers/acme.md"}))], "tool_use"),
        reply(&[Block::Text("Acme's budget is $2M.")], "end_turn"),
    ])
    .await;
    let options = TurnOptions {
        memory_index: Some(Default::default()),
        ..TurnOptions::default()
    };
    let (result, events) = turn(
        &s,
        &mut Conversation::default(),
        "Acme's budget is $2M.",
        &options,
        &CancellationToken::new(),
    )
    .await;
    result.unwrap();
    assert!(
        events.contains(&AgentEvent::MemoryIndex {
            listed: 0,
            total: 0,
            bytes: s.mock.received()[0].json()["system"][1]["text"]
                .as_str()
                .unwrap()
                .len()
        })
    );
    let john = Agent {
        persona: Persona::named("John"),
        ..s.agent(&options)
    };
    let mut events = Vec::new();
    john.run_turn(
        &mut Conversation::default(),
        "What is Acme's budget?",
        &CancellationToken::new(),
        &mut |e| events.push(e),
    )
    .await
    .unwrap();
    let got = s.mock.received();
    assert_eq!(got.len(), 4);
    let first = got[0].json();
    assert!(
        first["system"][1]["text"]
            .as_str()
            .unwrap()
            .contains("is empty")
    );
    let john_first = got[2].json();
    assert!(
        john_first["system"][0]["text"]
            .as_str()
            .unwrap()
            .contains("John")
    );
    let index = john_first["system"][1]["text"].as_str().unwrap();
    assert!(
        index.contains(
            "- `/memories/customers/acme.md` (project; Alice, just now): Acme's budget, timeline and contacts"
        ),
        "{index}"
    );
    assert!(index.contains("holds 1 file, all listed here"), "{index}");
    assert_eq!(got[3].json()["system"], john_first["system"]);
    assert!(events.iter().any(|e| matches!(
        e,
        AgentEvent::MemoryIndex {
            listed: 1,
            total: 1,
            ..
        }
    )));
    // Without the index, the system prompt stays one string.
    assert!(
        s.agent(&TurnOptions::default())
            .options
            .memory_index
            .is_none()
    );
}

/// The `compact` preset sends the `compact_20260112` edit with its beta (not the clearing
/// beta); the streamed `compaction` block is kept in the conversation as it came (the API reads
/// it back), and its cost is in `usage.iterations`. Near the trigger the model is asked once to
/// save durable facts, at the end of the newest message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compact_preset_sends_the_edit_and_beta_and_keeps_the_compaction_block() {
    let compacted = concat!(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_c\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-opus-4-6\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":23000,\"output_tokens\":1}}}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"compaction\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"compaction_delta\",\"content\":\"<summary>Acme: budget $2M, saved in /memories/acme.md</summary>\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"Budget is $2M.\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n",
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":1000,\"iterations\":[{\"type\":\"compaction\",\"input_tokens\":180000,\"output_tokens\":3500},{\"type\":\"message\",\"input_tokens\":23000,\"output_tokens\":1000}]}}\n\n",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    );
    let big = concat!(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_b\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-opus-4-6\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":42000,\"output_tokens\":1}}}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Noted.\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":3}}\n\n",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    );
    let s = setup(vec![
        Reply::sse(big.as_bytes(), 7, Duration::ZERO),
        Reply::sse(compacted.as_bytes(), 7, Duration::ZERO),
        Reply::sse(big.as_bytes(), 7, Duration::ZERO),
    ])
    .await;
    let options = TurnOptions {
        context_editing: memdeck::provider::ContextEditing::Compact { trigger: 50_000 },
        ..TurnOptions::default()
    };
    let mut conversation = Conversation::default();
    let mut transcript = memdeck::chat::transcript::Transcript::default();
    for text in ["Acme's budget is $2M.", "What is the budget?", "Thanks."] {
        transcript.push_user(text);
        let (result, events) = turn(
            &s,
            &mut conversation,
            text,
            &options,
            &CancellationToken::new(),
        )
        .await;
        result.unwrap();
        for e in &events {
            transcript.on_event(e, std::time::Instant::now());
        }
    }
    let got = s.mock.received();
    assert_eq!(got.len(), 3);
    for r in &got {
        assert_eq!(
            r.header("anthropic-beta").as_deref(),
            Some("compact-2026-01-12,fine-grained-tool-streaming-2025-05-14")
        );
        assert_eq!(
            r.json()["context_management"],
            json!({"edits": [{"type": "compact_20260112", "trigger": {"type": "input_tokens", "value": 50000}}]})
        );
    }
    // 42,000 of 50,000 tokens: the second request asks, at its end, to save first; once.
    let note = |body: &Value| {
        body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|m| m["content"].as_array().cloned().unwrap_or_default())
            .filter(|b| {
                b["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("save to /memories any durable facts"))
            })
            .count()
    };
    assert_eq!(note(&got[0].json()), 0);
    let second = got[1].json();
    assert_eq!(note(&second), 1);
    let last = second["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["content"][0]["text"], "What is the budget?");
    assert!(
        last["content"][1]["text"]
            .as_str()
            .unwrap()
            .contains("42000 of the 50000")
    );
    // The note is not kept in the conversation; the compaction block is, as it came.
    assert!(
        conversation
            .messages
            .iter()
            .all(|m| m["content"].as_array().is_none_or(|b| b
                .iter()
                .all(|b| !b["text"].as_str().is_some_and(|t| t.contains("memdeck:")))))
    );
    let third = got[2].json();
    assert_eq!(
        third["messages"][3]["content"][0],
        json!({"type": "compaction", "content": "<summary>Acme: budget $2M, saved in /memories/acme.md</summary>"})
    );
    // After the compaction the conversation is asked again only when near the trigger again.
    assert_eq!(note(&third), 0);
    // The card, and the compaction's cost counted apart and in the totals.
    let card = transcript
        .items
        .iter()
        .find_map(|i| match i {
            memdeck::chat::transcript::Item::Compaction {
                summary, streaming, ..
            } => Some((summary.clone(), *streaming)),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        card,
        (
            "<summary>Acme: budget $2M, saved in /memories/acme.md</summary>".to_owned(),
            false
        )
    );
    assert_eq!(transcript.compactions, 1);
    assert_eq!(transcript.compaction_tokens, 183_500);
    assert_eq!(transcript.total_input, 42_000 * 2 + 23_000 + 180_000);
}

/// A note for the model (others' changes) goes as the first text block of the new user message:
/// the conversation before it, and so the cached prefix, is unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_goes_before_the_message_in_the_new_user_message() {
    let s = setup(vec![
        reply(&[Block::Text("First.")], "end_turn"),
        reply(&[Block::Text("Second.")], "end_turn"),
    ])
    .await;
    let mut conversation = Conversation::default();
    let plain = TurnOptions::default();
    turn(
        &s,
        &mut conversation,
        "one",
        &plain,
        &CancellationToken::new(),
    )
    .await
    .0
    .unwrap();
    let noted = TurnOptions {
        note: Some("(memdeck: John edited /memories/a.md.)".into()),
        ..TurnOptions::default()
    };
    turn(
        &s,
        &mut conversation,
        "two",
        &noted,
        &CancellationToken::new(),
    )
    .await
    .0
    .unwrap();
    let got = s.mock.received();
    let (first, second) = (got[0].json(), got[1].json());
    assert_eq!(second["messages"][0], first["messages"][0]);
    assert_eq!(
        second["messages"][2],
        json!({"role": "user", "content": [
            {"type": "text", "text": "(memdeck: John edited /memories/a.md.)"},
            {"type": "text", "text": "two"}]})
    );
}

/// Extraction against the API: one call to the cheap model with the index and the turn, the
/// JSON in its answer read leniently, and what memory holds already dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extraction_asks_the_cheap_model_and_drops_what_memory_holds() {
    let proposals = r#"Sure:
[{"path": "/memories/people/alice.md", "name": "Alice", "type": "user", "description": "Alice leads discovery at TechCorp", "body": "- Leads discovery (Alice)"},
 {"path": "/memories/acme.md", "name": "Acme", "type": "project", "description": "Acme", "body": "- Budget: $2M (Alice)"}]"#;
    let s = setup(vec![reply(&[Block::Text(proposals)], "end_turn")]).await;
    memdeck::memory::execute(
        s.store.as_ref(),
        &json!({"command": "create", "path": "/memories/acme.md", "file_text": "# Acme\n- Budget: $2M (Alice)\n"}),
        "Alice",
    );
    let turn = vec![
        json!({"role": "user", "content": "I'm Alice and I lead discovery. Acme's budget is $2M."}),
        json!({"role": "assistant", "content": [{"type": "text", "text": "Noted."}]}),
    ];
    let found = memdeck::chat::extract::propose(
        s.provider.as_ref(),
        &s.store,
        "Alice",
        &turn,
        Some("claude-haiku-4-5".into()),
    )
    .await
    .unwrap();
    assert_eq!(found.proposals.len(), 1, "{found:?}");
    assert_eq!(found.proposals[0].path, "/memories/people/alice.md");
    assert_eq!(found.input_tokens, 100);
    let body = s.mock.received()[0].json();
    assert_eq!(body["model"], "claude-haiku-4-5");
    assert!(
        body["system"]
            .as_str()
            .unwrap()
            .starts_with(memdeck::chat::extract::PROMPT_START)
    );
    let asked = body["messages"][0]["content"].as_str().unwrap();
    assert!(
        asked.contains("- `/memories/acme.md` (Alice, just now): Acme"),
        "{asked}"
    );
    assert!(
        asked.contains("<turn>\nAlice: I'm Alice and I lead discovery. Acme's budget is $2M.\nClaude: Noted.\n</turn>"),
        "{asked}"
    );
    // An answer in text only: no tool to call.
    assert!(body.get("tools").is_none());
}
