//! The memory index in the prompt: the demo model reads the store's files from it instead of
//! listing `/memories` first, and every shipped script ends the same (files and answers) in
//! fewer model calls. The numbers are printed for the closing note (`--nocapture`).
#![allow(clippy::unwrap_used, clippy::pedantic)]

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::support::demo::{self, Cost};

use memdeck::chat::script::find;
use memdeck::chat::{Conversation, TurnOptions};
use memdeck::memory::{LocalOptions, LocalStore, MemPath, MemoryStore};

struct Played {
    answers: Vec<String>,
    tools: Vec<Vec<String>>,
    files: BTreeMap<String, String>,
    cost: Cost,
}

async fn play(name: &str, index: bool) -> Played {
    let script = find(name).unwrap();
    let tmp = tempfile::Builder::new()
        .prefix("memdeck-index-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let store: Arc<dyn MemoryStore> =
        Arc::new(LocalStore::open(&LocalOptions::new(tmp.path().join("memories"))).unwrap());
    let options = TurnOptions {
        memory_index: index.then(Default::default),
        ..TurnOptions::default()
    };
    let mut tabs: BTreeMap<String, Conversation> = BTreeMap::new();
    let mut played = Played {
        answers: Vec::new(),
        tools: Vec::new(),
        files: BTreeMap::new(),
        cost: Cost::default(),
    };
    for step in &script.steps {
        let agent = demo::agent_with(&store, &step.persona, "team member", options.clone());
        let conversation = tabs.entry(step.persona.clone()).or_default();
        let (answer, tools, cost) = demo::say_counting(&agent, conversation, &step.prompt).await;
        played.answers.push(answer);
        played.tools.push(tools);
        played.cost.calls += cost.calls;
        played.cost.input_tokens += cost.input_tokens;
    }
    let listing = store.list(&MemPath::root(), 8).unwrap();
    for entry in listing.entries {
        let path = format!("/memories/{}", entry.relative);
        if let Ok(file) = store.read(&MemPath::parse(&path).unwrap()) {
            played.files.insert(path, file.text);
        }
    }
    played
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_saves_round_trips_on_every_shipped_script() {
    for name in ["team", "incident", "code-review"] {
        let without = play(name, false).await;
        let with = play(name, true).await;
        assert_eq!(
            with.files, without.files,
            "{name}: the memory ends the same"
        );
        assert_eq!(
            with.answers, without.answers,
            "{name}: the answers are the same"
        );
        for (step, (on, off)) in with.tools.iter().zip(&without.tools).enumerate() {
            let not_listing = |tools: &Vec<String>| -> Vec<String> {
                tools
                    .iter()
                    .filter(|t| *t != "view /memories")
                    .cloned()
                    .collect()
            };
            assert_eq!(not_listing(on), not_listing(off), "{name} step {step}");
        }
        assert!(
            with.cost.calls < without.cost.calls,
            "{name}: {:?} vs {:?}",
            with.cost,
            without.cost
        );
        println!(
            "{name}: {} steps; model calls {} -> {} ({} saved); input tokens {} -> {} ({:+})",
            with.answers.len(),
            without.cost.calls,
            with.cost.calls,
            without.cost.calls - with.cost.calls,
            without.cost.input_tokens,
            with.cost.input_tokens,
            with.cost.input_tokens as i64 - without.cost.input_tokens as i64,
        );
    }
}
