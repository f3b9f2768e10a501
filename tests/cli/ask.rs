//! `memdeck ask` as scripts use it: demo model by default, the Anthropic API through a loopback
//! mock, JSON lines, clear failures.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::mock;
use crate::support::script;

use std::process::{Command, Output};
use std::time::Duration;

use mock::{Mock, Reply};
use script::{Block, answer, tool};
use serde_json::{Value, json};

fn tmp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("memdeck-ask-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

fn memdeck(dir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_memdeck"));
    cmd.current_dir(dir)
        .args(args)
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("ANTHROPIC_BASE_URL")
        .env_remove("ANTHROPIC_MODEL")
        .env_remove("MEMDECK_MEMORY_DIR")
        .env_remove("MEMDECK_CONFIG")
        .env("XDG_CONFIG_HOME", dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// `memdeck ask` with a key, pointed at the mock API (run off the runtime the mock serves on).
async fn ask_api(mock: &Mock, key: &'static str, args: &[&str]) -> Output {
    let url = mock.url();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let t = tmp();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        memdeck(
            t.path(),
            &[("ANTHROPIC_API_KEY", key), ("ANTHROPIC_BASE_URL", &url)],
            &args,
        )
        .output()
        .unwrap()
    })
    .await
    .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8(o.stdout.clone()).unwrap(),
        String::from_utf8(o.stderr.clone()).unwrap(),
    )
}

#[test]
fn without_a_key_the_demo_model_answers_and_says_so() {
    let t = tmp();
    let out = memdeck(
        t.path(),
        &[],
        &["ask", "--demo-speed", "0", "ACME runs 40 stores."],
    )
    .output()
    .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stderr,
        "memdeck: no ANTHROPIC_API_KEY set: using the demo model (offline)\n"
    );
    // The memory index in the prompt says the store is empty: no need to list it.
    assert_eq!(
        stdout,
        "Nothing on ACME in memory yet; I'll create /memories/acme.md.\n[memory] create /memories/acme.md … ok\nSaved to /memories/acme.md for the whole team:\n\n- Runs 40 stores\n"
    );
    assert!(t.path().join("memories/acme.md").exists());
    // Without the index the model looks at the directory first.
    let out = memdeck(
        t.path(),
        &[],
        &[
            "ask",
            "--memory-index",
            "off",
            "--demo-speed",
            "0",
            "Globex runs 12 stores.",
        ],
    )
    .output()
    .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.starts_with("Let me check our shared memory first.\n[memory] view /memories … ok\n"),
        "{stdout}"
    );
    let out = memdeck(
        t.path(),
        &[],
        &[
            "ask",
            "--persona",
            "John",
            "--demo-speed",
            "0",
            "What do we know about ACME?",
        ],
    )
    .output()
    .unwrap();
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("From /memories/acme.md (written by Alice):\n\n- Runs 40 stores (Alice)\n"),
        "{stdout}"
    );
}

#[test]
fn json_lines_hold_events_tool_results_and_messages() {
    let t = tmp();
    let out = memdeck(
        t.path(),
        &[],
        &[
            "ask",
            "--json",
            "--provider",
            "demo",
            "--demo-speed",
            "0",
            "ACME runs 40 stores.",
        ],
    )
    .output()
    .unwrap();
    assert!(out.status.success());
    let (stdout, stderr) = text(&out);
    assert_eq!(stderr, "", "an explicit --provider needs no note");
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let messages: Vec<&Value> = lines.iter().filter(|l| l["type"] == "message").collect();
    assert_eq!(messages.len(), 2, "one message per model call");
    assert_eq!(
        lines[0],
        json!({"type": "memory_index", "listed": 0, "total": 0, "bytes": lines[0]["bytes"]})
    );
    assert!(lines[0]["bytes"].as_u64().unwrap() > 100);
    assert_eq!(messages[0]["stop_reason"], "tool_use");
    assert_eq!(
        messages[0]["content"][1]["input"]["command"],
        json!("create")
    );
    assert_eq!(messages[1]["stop_reason"], "end_turn");
    let results: Vec<&Value> = lines
        .iter()
        .filter(|l| l["type"] == "tool_result")
        .collect();
    assert_eq!(
        results[0]["content"],
        "File created successfully at: /memories/acme.md"
    );
    assert!(lines.iter().any(|l| l["type"] == "content_block_delta" && l["delta"]["type"] == "input_json_delta"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_key_it_talks_to_the_api() {
    let mock = Mock::start(vec![
        Reply::sse(
            &answer(
                &[
                    Block::Text("Checking."),
                    tool("toolu_1", json!({"command": "view", "path": "/memories"})),
                ],
                "tool_use",
            ),
            4,
            Duration::ZERO,
        ),
        Reply::sse(
            &answer(&[Block::Text("Memory is empty.")], "end_turn"),
            4,
            Duration::ZERO,
        ),
    ])
    .await;
    let out = ask_api(
        &mock,
        "sk-ant-from-env",
        &["ask", "--model", "claude-test", "hello"],
    )
    .await;
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stdout,
        "Checking.\n[memory] view /memories … ok\nMemory is empty.\n"
    );
    let got = mock.received();
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].header("x-api-key").as_deref(),
        Some("sk-ant-from-env")
    );
    assert_eq!(got[0].json()["model"], "claude-test");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_failures_are_one_clear_line_and_never_show_the_key() {
    let mock = Mock::start(vec![Reply::status(401, &[], r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_9"}"#)]).await;
    let out = ask_api(&mock, "sk-ant-secret-value", &["ask", "hi"]).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        "memdeck: error: the API key was rejected (invalid x-api-key); check ANTHROPIC_API_KEY [request id req_9]\n"
    );
    assert!(!stderr.contains("secret"));
}

/// A server (or a proxy) that echoes the key back, in a `request-id` header, in its error or in
/// the answer itself: the key is redacted in the one place every call's strings pass through,
/// so it reaches neither stderr nor stdout (nor, through the same errors and events, the
/// screen, the session journal or an export).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_echoed_by_the_server_is_never_shown() {
    let key = "sk-ant-echoed-secret-0123456789";
    let mock = Mock::start(vec![Reply::status(
        400,
        &[("request-id", key)],
        &format!(
            r#"{{"type":"error","error":{{"type":"invalid_request_error","message":"bad key {key}"}}}}"#
        ),
    )])
    .await;
    let out = ask_api(&mock, key, &["ask", "hi"]).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(!stderr.contains(key) && !stdout.contains(key), "{stderr}");
    assert!(stderr.contains("[request id <redacted>]"), "{stderr}");

    let spoken: &'static str = "your key is sk-ant-echoed-secret-0123456789, keep it safe";
    let mock = Mock::start(vec![Reply::sse(
        &answer(&[Block::Text(spoken)], "end_turn"),
        7,
        Duration::ZERO,
    )])
    .await;
    let out = ask_api(&mock, key, &["ask", "hi"]).await;
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(!stdout.contains(key), "{stdout}");
    assert!(
        stdout.contains("your key is <redacted>, keep it safe"),
        "{stdout}"
    );

    // The key split over three deltas, and its first letters at the very end of the answer.
    let mut body = String::new();
    let mut sse = |data: Value| {
        let name = data["type"].as_str().unwrap().to_owned();
        body.push_str(&format!("event: {name}\ndata: {data}\n\n"));
    };
    sse(
        json!({"type":"message_start","message":{"id":"m","type":"message","role":"assistant",
        "model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,
        "usage":{"input_tokens":1,"output_tokens":1}}}),
    );
    sse(json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}));
    for piece in [
        "your key is sk-an",
        "t-echoed-secr",
        "et-0123456789; it starts sk-a",
    ] {
        sse(json!({"type":"content_block_delta","index":0,
            "delta":{"type":"text_delta","text":piece}}));
    }
    sse(json!({"type":"content_block_stop","index":0}));
    sse(
        json!({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},
        "usage":{"output_tokens":9}}),
    );
    sse(json!({"type":"message_stop"}));
    let mock = Mock::start(vec![Reply::sse(body.as_bytes(), 1, Duration::ZERO)]).await;
    let out = ask_api(&mock, key, &["ask", "hi"]).await;
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("your key is <redacted>; it starts sk-a"),
        "{stdout}"
    );
    assert!(!stdout.contains("echoed-secr"), "{stdout}");
}

/// Model text and tool paths with control sequences in them are printed visibly by `ask`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_prints_control_sequences_visibly() {
    let mock = Mock::start(vec![
        Reply::sse(
            &answer(
                &[tool(
                    "toolu_1",
                    json!({"command": "view", "path": "/memories/\u{1b}]0;pwned\u{7}"}),
                )],
                "tool_use",
            ),
            3,
            Duration::ZERO,
        ),
        Reply::sse(
            &answer(
                &[Block::Text("clip\u{1b}]52;c;aGk=\u{7} clear\u{1b}[2J")],
                "end_turn",
            ),
            5,
            Duration::ZERO,
        ),
    ])
    .await;
    let out = ask_api(&mock, "sk-ant-some-key-000000", &["ask", "hi"]).await;
    let (stdout, stderr) = text(&out);
    let all = format!("{stdout}{stderr}");
    assert!(!all.contains('\u{1b}') && !all.contains('\u{7}'), "{all:?}");
    assert!(stdout.contains("clip␛]52;c;aGk=␇ clear␛[2J"), "{stdout}");
    assert!(stdout.contains("␛]0;pwned␇"), "{stdout}");
}

#[test]
fn choosing_the_api_without_a_key_is_a_usage_error() {
    let t = tmp();
    let out = memdeck(t.path(), &[], &["ask", "--provider", "anthropic", "hi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let (_, stderr) = text(&out);
    assert!(
        stderr.starts_with("memdeck: error: no API key: set ANTHROPIC_API_KEY"),
        "{stderr}"
    );
    // The key never shows in help either.
    let out = memdeck(
        t.path(),
        &[("ANTHROPIC_API_KEY", "sk-ant-do-not-print")],
        &["ask", "--help"],
    )
    .output()
    .unwrap();
    assert!(!text(&out).0.contains("do-not-print"));
}

/// A model that tries to save a key it was shown gets an error result that says why (without
/// the key); nothing reaches the memory directory or its history, and the log notes the refusal
/// without the key either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_the_model_tries_to_remember_is_refused() {
    let pasted = "sk-ant-api03-PastedByTheUserXyZ0123456789abcdefGHIJ";
    let mock = Mock::start(vec![
        Reply::sse(
            &answer(
                &[tool(
                    "toolu_1",
                    json!({"command": "create", "path": "/memories/creds.md",
                        "file_text": format!("# Credentials\n\nstaging key: {pasted}\n")}),
                )],
                "tool_use",
            ),
            4,
            Duration::ZERO,
        ),
        Reply::sse(
            &answer(&[Block::Text("I will not store the key.")], "end_turn"),
            4,
            Duration::ZERO,
        ),
    ])
    .await;
    let url = mock.url();
    let t = tmp();
    let dir = t.path().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        memdeck(
            &dir,
            &[
                ("ANTHROPIC_API_KEY", "sk-ant-the-apps-own"),
                ("ANTHROPIC_BASE_URL", &url),
            ],
            &["--log-file", "memdeck.log", "ask", "remember this key"],
        )
        .output()
        .unwrap()
    })
    .await
    .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("[memory] create /memories/creds.md … error"),
        "{stdout}"
    );
    let got = mock.received();
    let result = &got[1].json()["messages"][2]["content"][0];
    assert_eq!(result["type"], "tool_result");
    assert_eq!(result["is_error"], true);
    let said = result["content"].to_string();
    assert!(said.contains("an Anthropic API key (sk-ant-…)"), "{said}");
    assert!(said.contains("so secrets are never stored there"), "{said}");
    assert!(!said.contains("  "), "{said}");
    assert!(!said.contains(pasted), "{said}");
    let memories = t.path().join("memories");
    assert!(memories.is_dir(), "the store is not where the test looks");
    assert!(!memories.join("creds.md").exists());
    let history =
        std::fs::read_to_string(t.path().join(".memories-history/log.jsonl")).unwrap_or_default();
    assert!(!history.contains("creds.md"), "{history}");
    let log = std::fs::read_to_string(t.path().join("memdeck.log")).unwrap();
    assert!(log.contains("refused"), "{log}");
    assert!(!log.contains(pasted), "{log}");
    assert!(!stdout.contains(pasted) && !stderr.contains(pasted));
}

/// The seed demo's three prompts as three `memdeck ask` runs (one per persona): Alice's facts go
/// to the customer's file, John's architecture is built from it and saved, Sam's proposal reads
/// both.
#[test]
fn the_seed_story_through_ask() {
    let t = tmp();
    let ask = |persona: &str, message: &str| {
        let out = memdeck(
            t.path(),
            &[],
            &["ask", "--persona", persona, "--demo-speed", "0", message],
        )
        .output()
        .unwrap();
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stderr}");
        stdout
    };
    let alice = ask(
        "Alice",
        "I'm Alice from TechCorp. We're working with ACME Corp on a cloud migration project. Budget is $500K, timeline is 9 months, they need to migrate 50 applications, mostly Java with Oracle databases.",
    );
    assert!(
        alice.contains("[memory] create /memories/acme_corp.md … ok"),
        "{alice}"
    );
    let john = ask(
        "John",
        "Hi, I'm John from TechCorp. Based on the customer information in memory about ACME Corp, please design a cloud migration architecture.",
    );
    assert!(
        john.contains("[memory] view /memories/acme_corp.md … ok")
            && john.contains("[memory] create /memories/acme_corp_architecture.md … ok"),
        "{john}"
    );
    let sam = ask(
        "Sam",
        "Create a proposal based on the customer requirements and solution architecture you have in memory.",
    );
    assert!(
        sam.contains("[memory] view /memories/acme_corp_architecture.md … ok")
            && sam.contains("[memory] create /memories/acme_corp_proposal.md … ok"),
        "{sam}"
    );
    let read = |name: &str| std::fs::read_to_string(t.path().join("memories").join(name)).unwrap();
    assert!(read("acme_corp.md").contains("- Timeline: 9 months (from Alice)"));
    assert!(read("acme_corp_architecture.md").contains("3 waves of about 15 applications each"));
    let proposal = read("acme_corp_proposal.md");
    assert!(
        proposal.contains("Within your budget of $500K") && proposal.contains("all 50 of them"),
        "{proposal}"
    );
}

/// `ask --extract`: on the demo model, who the person is and how they want the work done are
/// proposed after the turn; `auto` writes them as "Alice (extracted)", `on` only shows them, and
/// what memory already holds is not proposed again.
#[test]
fn extraction_proposes_and_auto_keeps_memories() {
    let t = tmp();
    let said = "Hi, I'm Alice from TechCorp and I lead discovery. Initech runs 7 plants. \
                I prefer short bullet lists.";
    let run = |mode: &str, message: &str| {
        let out = memdeck(
            t.path(),
            &[],
            &["ask", "--demo-speed", "0", "--extract", mode, message],
        )
        .output()
        .unwrap();
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stderr}");
        stdout
    };
    let shown = run("on", said);
    assert!(
        shown.contains("[extracted] new /memories/people/alice.md (user): Who Alice is")
            && shown.contains("[extracted] new /memories/people/alice_preferences.md (feedback)")
            && shown.contains("not written (--extract auto writes"),
        "{shown}"
    );
    assert!(!t.path().join("memories/people").exists());

    let kept = run("auto", said);
    assert!(
        kept.contains("kept: created /memories/people/alice.md, as Alice (extracted)"),
        "{kept}"
    );
    let preferences =
        std::fs::read_to_string(t.path().join("memories/people/alice_preferences.md")).unwrap();
    assert_eq!(
        preferences,
        "---\nname: Alice's preferences\ndescription: How Alice wants answers and work done\ntype: feedback\n---\n- \"I prefer short bullet lists.\" (Alice)\n"
    );
    let log = memdeck(t.path(), &[], &["memory", "log", "/memories/people"])
        .output()
        .unwrap();
    let log = String::from_utf8(log.stdout).unwrap();
    assert_eq!(log.matches("Alice (extracted)").count(), 2, "{log}");

    // Held already: nothing proposed. Something new about how she works: added to her file.
    let again = run("auto", said);
    assert!(!again.contains("[extracted]"), "{again}");
    let more = run("auto", "From now on, always name the file you used.");
    assert!(
        more.contains("[extracted] add to /memories/people/alice_preferences.md")
            && more.contains("kept: added to /memories/people/alice_preferences.md"),
        "{more}"
    );
    let off = run("off", "I prefer tables.");
    assert!(!off.contains("[extracted]"), "{off}");
}
