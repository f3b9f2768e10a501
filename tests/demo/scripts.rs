//! The shipped demo scripts, played end to end on the offline demo model as a presenter plays
//! them (one conversation per persona tab, one shared store), and checked against what each
//! step's speaker note tells the audience will happen.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::support::demo;

use memdeck::chat::Conversation;
use memdeck::chat::script::find;
use memdeck::memory::{LocalOptions, LocalStore, MemoryStore};

/// One step as it happened: the answer, the tool calls ("view /memories/x.md"), the files after.
struct Played {
    note: String,
    answer: String,
    tools: Vec<String>,
    files: HashMap<String, String>,
}

struct Run {
    steps: Vec<Played>,
    store: Arc<dyn MemoryStore>,
    _tmp: tempfile::TempDir,
}

impl Run {
    fn step(&self, i: usize) -> &Played {
        &self.steps[i]
    }

    /// Who wrote each change to a path, in order.
    fn writers(&self, path: &str) -> Vec<String> {
        let p = memdeck::memory::MemPath::parse(path).unwrap();
        self.store
            .history(Some(&p))
            .unwrap()
            .into_iter()
            .map(|e| format!("{} {}", e.actor, e.op))
            .collect()
    }
}

fn files(root: &PathBuf) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(
                    format!("/memories/{rel}"),
                    std::fs::read_to_string(&path).unwrap(),
                );
            }
        }
    }
    out
}

async fn play(name: &str) -> Run {
    let script = find(name).unwrap();
    let tmp = tempfile::Builder::new()
        .prefix("memdeck-script-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let mem = tmp.path().join("memories");
    let store: Arc<dyn MemoryStore> = Arc::new(LocalStore::open(&LocalOptions::new(&mem)).unwrap());
    let mut tabs: HashMap<String, Conversation> = HashMap::new();
    let mut steps = Vec::new();
    for step in &script.steps {
        let agent = demo::agent(&store, &step.persona, "team member");
        let conversation = tabs.entry(step.persona.clone()).or_default();
        let (answer, tools) = demo::say(&agent, conversation, &step.prompt).await;
        steps.push(Played {
            note: step.note.clone().unwrap_or_default(),
            answer,
            tools,
            files: files(&mem),
        });
    }
    Run {
        steps,
        store,
        _tmp: tmp,
    }
}

fn has(tools: &[String], wanted: &str) -> bool {
    tools.iter().any(|t| t == wanted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_script_does_what_its_notes_say() {
    let run = play("team").await;
    let file = "/memories/acme_corp.md";
    let arch = "/memories/acme_corp_architecture.md";
    let proposal = "/memories/acme_corp_proposal.md";

    // 1. "acme_corp.md appears, written by Alice … clean facts (scope, deadline, who signs off)"
    let s = run.step(0);
    assert!(s.note.contains("acme_corp.md appears"), "{}", s.note);
    assert_eq!(s.tools, ["view /memories", &format!("create {file}")]);
    let text = &s.files[file];
    for fact in [
        "- Scope: move 40 TB of order history and their warehouse system to the cloud (from Alice)",
        "- Deadline: end of March (from Alice)",
        "- Dana Ortiz (CTO) signs off on anything over 500k (from Alice)",
    ] {
        assert!(text.contains(fact), "{fact:?} in\n{text}");
    }
    assert!(!text.contains("got off the phone"), "{text}");

    // 2. "Two more facts land in the same file: memory is edited, not duplicated."
    let s = run.step(1);
    assert_eq!(s.files.len(), 1, "{:?}", s.files.keys());
    assert!(has(&s.tools, &format!("insert {file}")), "{:?}", s.tools);
    let text = &s.files[file];
    assert!(text.contains("- Stores in Canada must keep customer data in Canada (from Alice)"));
    assert!(text.contains("cannot be down for more than an hour on a weekend"));
    assert_eq!(text.matches("Deadline:").count(), 1, "{text}");

    // 3. "His answer quotes Alice's file, and his architecture (built from her facts) is saved
    // as its own file."
    let s = run.step(2);
    assert!(has(&s.tools, &format!("view {file}")));
    assert!(has(&s.tools, &format!("create {arch}")));
    assert!(
        s.answer.contains("- Deadline: end of March (Alice)"),
        "{}",
        s.answer
    );
    let design = &s.files[arch];
    for from_facts in ["40 TB", "Canada region", "Warehouse system", "end of March"] {
        assert!(design.contains(from_facts), "{from_facts:?} in\n{design}");
    }

    // 4. "John adds his decisions to the architecture file; the panel shows who wrote what."
    let s = run.step(3);
    assert!(has(&s.tools, &format!("insert {arch}")), "{:?}", s.tools);
    assert!(s.files[arch].contains("## Decisions"));
    assert_eq!(run.writers(arch), ["John create", "John insert"]);
    assert_eq!(run.writers(file), ["Alice create", "Alice insert"]);

    // 5. "Sam reads both files; the proposal cites Alice's facts and John's decisions."
    let s = run.step(4);
    assert!(has(&s.tools, &format!("view {file}")) && has(&s.tools, &format!("view {arch}")));
    let text = &s.files[proposal];
    assert!(
        text.contains(
            "from /memories/acme_corp.md (Alice) and /memories/acme_corp_architecture.md (John)"
        ),
        "{text}"
    );
    assert!(text.contains("Stores in Canada must keep customer data in Canada"));
    assert!(text.contains("recorded decisions (D1–D"), "{text}");
    assert!(text.contains("Dana Ortiz"), "{text}");
    assert_eq!(run.writers(proposal), ["Sam create"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incident_script_does_what_its_notes_say() {
    let run = play("incident").await;
    let log = "/memories/checkout_incident.md";

    // 1. "Her timeline goes into memory as she speaks."
    let s = run.step(0);
    assert_eq!(s.tools, ["view /memories", &format!("create {log}")]);
    let text = &s.files[log];
    assert!(
        text.contains("- 14:05 — Checkout errors jumped to 30% (from Alice)"),
        "{text}"
    );
    assert!(text.contains("- 14:20 — Alice switched traffic to the backup provider and errors dropped to 2% (from Alice)"), "{text}");

    // 2. "The open action is recorded, so nothing depends on Alice being reachable."
    let s = run.step(1);
    let text = &s.files[log];
    assert_eq!(s.files.len(), 1);
    assert!(text.contains("- To do: move back once the main provider is healthy (from Alice)"));
    assert!(
        text.contains("charges 0.4% more per transaction"),
        "numbers stay whole: {text}"
    );

    // 3. "John gets the handover from memory alone."
    let s = run.step(2);
    assert_eq!(s.tools, ["view /memories", &format!("view {log}")]);
    assert!(s.answer.contains("**Left to do**"), "{}", s.answer);
    assert!(
        s.answer
            .contains("- Move back once the main provider is healthy (Alice)"),
        "{}",
        s.answer
    );
    assert!(s.answer.contains("14:20 — "), "{}", s.answer);

    // 4. "The review cites the timeline Alice stored and lists her open action as a follow-up."
    let s = run.step(3);
    let review = &s.files["/memories/checkout_incident_review.md"];
    assert!(
        review.contains("## Timeline\n\n- 14:05 — Checkout errors jumped to 30%"),
        "{review}"
    );
    assert!(
        review.contains("- [ ] Move back once the main provider is healthy"),
        "{review}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_review_script_does_what_its_notes_say() {
    let run = play("code-review").await;
    let pattern = "/memories/patterns/thread_safety.md";

    // 1. "reserve() checks stock, then updates it … the general pattern (not the code) get stored"
    let s = run.step(0);
    assert!(
        s.answer
            .contains("check-then-act race in Inventory.reserve()"),
        "{}",
        s.answer
    );
    assert!(
        s.answer
            .contains("with self._lock:\n            if self._available_unlocked(sku) < count:"),
        "{}",
        s.answer
    );
    let stored = &s.files[pattern];
    assert!(
        stored.contains("## Check-then-act across a lock release"),
        "{stored}"
    );
    assert!(
        !stored.contains("def ") && !stored.contains("self._"),
        "no code lines: {stored}"
    );
    assert_eq!(s.files.len(), 1);

    // 2. "A different program with the same kind of bug … John's review cites the pattern"
    let s = run.step(1);
    let read = s
        .tools
        .iter()
        .position(|t| t == &format!("view {pattern}"))
        .unwrap();
    let wrote = s
        .tools
        .iter()
        .position(|t| t == &format!("insert {pattern}"))
        .unwrap();
    assert!(read < wrote, "{:?}", s.tools);
    assert!(
        s.answer.contains(&format!("The team's note in {pattern}")),
        "{}",
        s.answer
    );
    assert!(s.answer.contains("RateLimiter.allow()"), "{}", s.answer);
    assert!(s.files[pattern].contains("- Seen in: RateLimiter.allow() (found by John)"));

    // 3. "The stored lesson becomes a team checklist, saved to memory too."
    let s = run.step(2);
    let checklist = &s.files["/memories/review_checklist.md"];
    assert!(
        checklist.contains("**Check-then-act across a lock release**"),
        "{checklist}"
    );
    assert!(
        checklist.contains("Inventory.reserve(), RateLimiter.allow()"),
        "{checklist}"
    );
}
