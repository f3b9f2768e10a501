//! OpenAI-compatible servers: chat-completions streams with tool-call arguments split across
//! chunks (decoded whole, split at every byte and byte by byte), tool calls sent in one piece,
//! text-only answers, errors inside the stream; and `memdeck ask --provider openai` against a
//! loopback mock of such a server, the memory tool working through it.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::decode as decoded;
use crate::support::mock;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use memdeck::provider::openai::events;
use memdeck::provider::{ProviderError, StreamEvent};
use mock::{Mock, Reply};
use serde_json::{Value, json};

/// One chunk as a server sends it.
fn chunk(delta: Value, finish: Option<&str>) -> String {
    let data = json!({
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": "qwen3",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    });
    format!("data: {data}\n\n")
}

/// A streamed answer: some text, then a memory call whose arguments come in pieces of `piece`
/// bytes (0: in one piece), then usage and `[DONE]`.
fn answer_with_tool(text: &str, id: &str, arguments: &Value, piece: usize) -> String {
    let mut out = chunk(json!({"role": "assistant", "content": ""}), None);
    for word in text.split_inclusive(' ') {
        out.push_str(&chunk(json!({"content": word}), None));
    }
    let args = arguments.to_string();
    let pieces: Vec<String> = if piece == 0 {
        vec![args.clone()]
    } else {
        let chars: Vec<char> = args.chars().collect();
        chars.chunks(piece).map(|c| c.iter().collect()).collect()
    };
    for (i, part) in pieces.iter().enumerate() {
        let call = if i == 0 {
            json!({"index": 0, "id": id, "type": "function", "function": {"name": "memory", "arguments": part}})
        } else {
            json!({"index": 0, "function": {"arguments": part}})
        };
        out.push_str(&chunk(json!({"tool_calls": [call]}), None));
    }
    out.push_str(&chunk(json!({}), Some("tool_calls")));
    out.push_str(&format!(
        "data: {}\n\n",
        json!({"id": "chatcmpl-1", "choices": [], "usage": {"prompt_tokens": 321, "completion_tokens": 42}})
    ));
    out.push_str("data: [DONE]\n\n");
    out
}

fn text_answer(text: &str) -> String {
    let mut out = String::new();
    for word in text.split_inclusive(' ') {
        out.push_str(&chunk(json!({"content": word}), None));
    }
    out.push_str(&chunk(json!({}), Some("stop")));
    out.push_str("data: [DONE]\n\n");
    out
}

/// Decode a body given in these chunks; the events, the first error, and the message.
fn decode(chunks: Vec<Vec<u8>>) -> (Vec<StreamEvent>, Option<ProviderError>, Value) {
    decoded::run(events(decoded::body(chunks), "qwen3".into()))
}

#[test]
fn tool_call_fragments_split_anywhere_give_the_same_message() {
    let input = json!({"command": "create", "path": "/memories/acme.md", "file_text": "ACME: 40 stores, “café” ✓\n"});
    let body = answer_with_tool("Saving that. ", "call_7", &input, 5);
    let bytes = body.as_bytes();
    let (whole_events, error, message) = decode(vec![bytes.to_vec()]);
    assert!(error.is_none(), "{error:?}");
    assert_eq!(message["stop_reason"], "tool_use");
    assert_eq!(message["usage"]["input_tokens"], 321);
    assert_eq!(message["usage"]["output_tokens"], 42);
    assert_eq!(
        message["content"][0],
        json!({"type": "text", "text": "Saving that. "})
    );
    assert_eq!(
        message["content"][1],
        json!({"type": "tool_use", "id": "call_7", "name": "memory", "input": input})
    );
    // The live card sees the arguments grow, as with the Messages API.
    let fragments = whole_events
        .iter()
        .filter(|e| matches!(e, StreamEvent::ContentBlockDelta { index: 1, .. }))
        .count();
    assert!(fragments > 5, "{fragments} fragments");
    for cut in 0..=bytes.len() {
        let (_, error, split) = decode(vec![bytes[..cut].to_vec(), bytes[cut..].to_vec()]);
        assert!(error.is_none(), "cut at {cut}: {error:?}");
        assert_eq!(split, message, "cut at {cut}");
    }
    let bytewise: Vec<Vec<u8>> = bytes.iter().map(|b| vec![*b]).collect();
    assert_eq!(decode(bytewise).2, message);
}

#[test]
fn a_call_in_one_piece_a_text_only_answer_and_a_body_cut_short() {
    let input = json!({"command": "view", "path": "/memories"});
    let (_, error, message) = decode(vec![answer_with_tool("", "call_1", &input, 0).into_bytes()]);
    assert!(error.is_none());
    assert_eq!(message["content"][0]["input"], input);

    let (_, error, message) = decode(vec![text_answer("Nothing to store. ").into_bytes()]);
    assert!(error.is_none());
    assert_eq!(message["stop_reason"], "end_turn");
    assert_eq!(
        message["content"],
        json!([{"type": "text", "text": "Nothing to store. "}])
    );

    // Cut before the finish reason: no message_stop (the caller reports it interrupted).
    let body = text_answer("Half an answer here. ");
    let cut = body.find("finish_reason\":\"stop").unwrap() - 60;
    let (events, error, _) = decode(vec![body.as_bytes()[..cut].to_vec()]);
    assert!(!events.iter().any(|e| matches!(e, StreamEvent::MessageStop)));
    assert!(
        error.is_none() || error == Some(ProviderError::Interrupted),
        "{error:?}"
    );
}

#[test]
fn an_error_inside_the_stream_is_reported() {
    let mut body = chunk(json!({"content": "Hel"}), None);
    body.push_str(
        "data: {\"error\":{\"message\":\"the model crashed\",\"type\":\"server_error\"}}\n\n",
    );
    let (_, error, _) = decode(vec![body.into_bytes()]);
    assert_eq!(
        error,
        Some(ProviderError::Stream {
            kind: "server_error".into(),
            message: "the model crashed".into()
        })
    );
}

fn tmp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("memdeck-openai-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

fn memdeck(dir: &Path, url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_memdeck"));
    command
        .current_dir(dir)
        .args(["--provider", "openai", "--base-url", url])
        .env("XDG_CONFIG_HOME", dir)
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_MODEL")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("MEMDECK_CONFIG");
    command
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn ask_through_an_openai_compatible_server() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let input = json!({"command": "create", "path": "/memories/acme.md", "file_text": "ACME runs 40 stores.\n"});
    let mock = runtime.block_on(Mock::start(vec![
        // No model configured: the server's list is asked first.
        Reply::status(200, &[], r#"{"object":"list","data":[{"id":"qwen3:8b","object":"model"},{"id":"llama3.2","object":"model"}]}"#),
        Reply::sse(
            answer_with_tool("Noting it. ", "call_1", &input, 4).as_bytes(),
            9,
            Duration::from_millis(5),
        ),
        Reply::sse(text_answer("Saved to /memories/acme.md.").as_bytes(), 3, Duration::ZERO),
    ]));
    let t = tmp();
    let out = memdeck(t.path(), &format!("{}/v1", mock.url()))
        .env("OPENAI_API_KEY", "sk-local-secret-123")
        .args(["ask", "ACME runs 40 stores."])
        .output()
        .unwrap();
    let (said, notes) = text(&out);
    assert!(out.status.success(), "{notes}");
    assert_eq!(
        said,
        "Noting it. \n[memory] create /memories/acme.md … ok\nSaved to /memories/acme.md.\n"
    );
    assert_eq!(
        std::fs::read_to_string(t.path().join("memories/acme.md")).unwrap(),
        "ACME runs 40 stores.\n"
    );
    let got = mock.received();
    assert_eq!(got.len(), 3);
    assert!(
        got[0].head.starts_with("GET /v1/models "),
        "{}",
        got[0].head
    );
    assert!(
        got[1].head.starts_with("POST /v1/chat/completions "),
        "{}",
        got[1].head
    );
    assert_eq!(
        got[1].header("authorization").as_deref(),
        Some("Bearer sk-local-secret-123")
    );
    let first = got[1].json();
    assert_eq!(first["model"], "qwen3:8b");
    assert_eq!(first["stream"], true);
    assert_eq!(first["tools"][0]["function"]["name"], "memory");
    assert_eq!(
        first["messages"][1],
        json!({"role": "user", "content": "ACME runs 40 stores."})
    );
    // The second call carries the tool's result as a tool message.
    let second = got[2].json();
    let messages = second["messages"].as_array().unwrap();
    assert_eq!(messages[2]["tool_calls"][0]["id"], "call_1");
    assert_eq!(messages[3]["role"], "tool");
    assert_eq!(messages[3]["tool_call_id"], "call_1");
    assert!(
        messages[3]["content"]
            .as_str()
            .unwrap()
            .contains("File created successfully at: /memories/acme.md"),
        "{:?}",
        messages[3]
    );
}

#[test]
fn a_missing_model_and_a_dead_server_say_what_to_do() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mock = runtime.block_on(Mock::start(vec![Reply::status(
        404,
        &[],
        r#"{"error":{"message":"model \"llama9\" not found, try pulling it first","type":"api_error"}}"#,
    )]));
    let t = tmp();
    let out = memdeck(t.path(), &format!("{}/v1", mock.url()))
        .args(["--model", "llama9", "ask", "hi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let (_, notes) = text(&out);
    assert!(
        notes.contains(
            "not found (model \"llama9\" not found, try pulling it first); check the model"
        ),
        "{notes}"
    );

    // Nothing listening: doctor says so and how to fix it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let doctor = memdeck(t.path(), &format!("http://127.0.0.1:{port}/v1"))
        .arg("doctor")
        .output()
        .unwrap();
    let (report, _) = text(&doctor);
    assert_eq!(doctor.status.code(), Some(1), "{report}");
    assert!(
        report.contains("cannot reach http://127.0.0.1:"),
        "{report}"
    );
    assert!(report.contains("ollama serve"), "{report}");
}

use crate::support::tmux;

/// The app on an OpenAI-compatible server: the live tool card, the memory file in the panel,
/// the answer, the backend in the status bar, and the model picker listing the server's models.
#[test]
fn the_app_talks_to_an_openai_compatible_server() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let input = json!({"command": "create", "path": "/memories/acme.md", "file_text": "ACME runs 40 stores.\n"});
    let mock = runtime.block_on(Mock::start(vec![
        Reply::sse(
            answer_with_tool("Noting it. ", "call_1", &input, 4).as_bytes(),
            12,
            Duration::from_millis(20),
        ),
        Reply::sse(
            text_answer("Saved to /memories/acme.md.").as_bytes(),
            3,
            Duration::ZERO,
        ),
        Reply::status(
            200,
            &[],
            r#"{"object":"list","data":[{"id":"qwen3:8b"},{"id":"llama3.2"}]}"#,
        ),
    ]));
    let t = tmp();
    let dir = t.path().display();
    let command = format!(
        "env -u OPENAI_API_KEY -u MEMDECK_CONFIG XDG_CONFIG_HOME={dir} {bin} --provider openai \
         --base-url {url}/v1 --model qwen3:8b --memory-dir {dir}/memories --log-file {dir}/log \
         --sessions-dir {dir}/sessions; echo memdeck exited $?; sleep 30",
        bin = env!("CARGO_BIN_EXE_memdeck"),
        url = mock.url(),
    );
    let tmux = tmux::Tmux::start(140, 40, &command);
    tmux.wait_for("the first screen", |s| s.contains("Alice ›"));
    let shown = tmux.screen();
    assert!(
        shown.contains("OpenAI-compatible qwen3:8b at http://127.0.0.1:"),
        "{shown}"
    );
    tmux.text("ACME runs 40 stores.");
    tmux.keys(&["Enter"]);
    let shown = tmux.wait_for("the answer", |s| {
        s.contains("Saved to /memories/acme.md.") && !s.contains("streaming")
    });
    assert!(
        shown.contains("✓ memory create /memories/acme.md"),
        "{shown}"
    );
    assert!(shown.contains("acme.md"), "{shown}");
    tmux.keys(&["F3"]);
    tmux.wait_for("the server's models in the picker", |s| {
        s.contains("qwen3:8b") && s.contains("llama3.2")
    });
    // Esc and Ctrl+Q apart: sent together they read as Alt+Ctrl+Q.
    tmux.keys(&["Escape"]);
    tmux.wait_for("the picker to close", |s| !s.contains("Model for this tab"));
    tmux.keys(&["C-q"]);
    tmux.wait_for("the exit", |s| s.contains("memdeck exited 0"));
    assert_eq!(
        std::fs::read_to_string(t.path().join("memories/acme.md")).unwrap(),
        "ACME runs 40 stores.\n"
    );
}
