//! The offline demo model through the real tool loop: an agent per persona on a shared store,
//! and a turn that returns the final answer and the tool commands used.
#![allow(dead_code, clippy::unwrap_used, clippy::pedantic)]

use std::sync::Arc;

use memdeck::chat::agent::check_history;
use memdeck::chat::{Agent, AgentEvent, Conversation, Persona, TurnOptions};
use memdeck::memory::{LocalOptions, LocalStore, MemoryStore};
use memdeck::provider::demo::Demo;
use tokio_util::sync::CancellationToken;

/// `name`'s agent on `store`, on the demo model streaming as fast as it can.
pub fn agent(store: &Arc<dyn MemoryStore>, name: &str, role: &str) -> Agent {
    agent_with(store, name, role, TurnOptions::default())
}

/// The same with turn options of one's own (the memory index on, say).
pub fn agent_with(
    store: &Arc<dyn MemoryStore>,
    name: &str,
    role: &str,
    options: TurnOptions,
) -> Agent {
    Agent {
        provider: Arc::new(Demo {
            tokens_per_second: 0.0,
        }),
        store: store.clone(),
        persona: Persona {
            name: name.into(),
            role: role.into(),
            color: "cyan".into(),
        },
        options,
    }
}

/// Run a turn; the final answer's text and the tool commands used (`view /memories/x.md`).
pub async fn say(
    agent: &Agent,
    conversation: &mut Conversation,
    text: &str,
) -> (String, Vec<String>) {
    let (text, tools, _) = say_counting(agent, conversation, text).await;
    (text, tools)
}

/// What a turn cost: model calls and the input tokens they reported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    pub calls: u64,
    pub input_tokens: u64,
}

/// [`say`], and what the turn cost.
pub async fn say_counting(
    agent: &Agent,
    conversation: &mut Conversation,
    text: &str,
) -> (String, Vec<String>, Cost) {
    let mut tools = Vec::new();
    let mut cost = Cost::default();
    agent
        .run_turn(
            conversation,
            text,
            &CancellationToken::new(),
            &mut |e| match e {
                AgentEvent::ToolStarted { input, .. } => tools.push(format!(
                    "{} {}",
                    input["command"].as_str().unwrap_or("?"),
                    input["path"].as_str().unwrap_or("?")
                )),
                AgentEvent::Stream(memdeck::provider::StreamEvent::MessageStart { message }) => {
                    cost.calls += 1;
                    cost.input_tokens += message["usage"]["input_tokens"].as_u64().unwrap_or(0);
                }
                _ => {}
            },
        )
        .await
        .unwrap();
    check_history(&conversation.messages).unwrap();
    let last = conversation.messages.last().unwrap();
    let text = last["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["text"].as_str())
        .collect::<String>();
    (text, tools, cost)
}

/// A temporary directory under the test target's and the memory folder in it (not yet made).
pub fn scratch() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::Builder::new()
        .prefix("memdeck-story-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let dir = tmp.path().join("memories");
    (tmp, dir)
}

/// The local store on `dir`.
pub fn local_store(dir: &std::path::Path) -> Arc<dyn MemoryStore> {
    Arc::new(LocalStore::open(&LocalOptions::new(dir.to_owned())).unwrap())
}
