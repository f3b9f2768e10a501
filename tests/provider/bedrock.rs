//! Claude on AWS Bedrock: the binary event-stream framing decoded whole, split at every byte and
//! byte by byte; exception frames; and `memdeck ask --provider bedrock` / `memdeck doctor`
//! against a loopback mock of the Bedrock endpoints (event-stream frames encoded here, sent in
//! small pieces), with credentials from the environment and from a profile in the shared files.
#![cfg(feature = "bedrock")]
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::decode as decoded;
use crate::support::mock;
use crate::support::script;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use memdeck::provider::bedrock::{chunk_frame, events, exception_frame};
use memdeck::provider::{ProviderError, StreamEvent};
use mock::{Mock, Reply};
use script::{Block, answer, tool};
use serde_json::{Value, json};

/// A Messages API stream as Bedrock frames: each SSE event's JSON in a `chunk` frame.
fn frames(sse: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(sse.to_vec()).unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .flat_map(chunk_frame)
        .collect()
}

fn memory_answer() -> Vec<u8> {
    frames(&answer(
        &[
            Block::Text("Noting that. "),
            tool(
                "toolu_1",
                json!({"command": "create", "path": "/memories/acme.md", "file_text": "ACME runs 40 stores.\n"}),
            ),
        ],
        "tool_use",
    ))
}

fn decode(chunks: Vec<Vec<u8>>) -> (Vec<StreamEvent>, Option<ProviderError>, Value) {
    decoded::run(events(decoded::body(chunks)))
}

#[test]
fn frames_split_anywhere_give_the_same_message() {
    let bytes = memory_answer();
    let (events, error, message) = decode(vec![bytes.clone()]);
    assert!(error.is_none(), "{error:?}");
    assert!(matches!(events.last(), Some(StreamEvent::MessageStop)));
    assert_eq!(message["stop_reason"], "tool_use");
    assert_eq!(
        message["content"][1]["input"],
        json!({"command": "create", "path": "/memories/acme.md", "file_text": "ACME runs 40 stores.\n"})
    );
    for cut in 0..=bytes.len() {
        let (_, error, split) = decode(vec![bytes[..cut].to_vec(), bytes[cut..].to_vec()]);
        assert!(error.is_none(), "cut at {cut}: {error:?}");
        assert_eq!(split, message, "cut at {cut}");
    }
    let bytewise: Vec<Vec<u8>> = bytes.iter().map(|b| vec![*b]).collect();
    assert_eq!(decode(bytewise).2, message);
    // Cut inside a frame: the body ended early.
    let (_, error, _) = decode(vec![bytes[..bytes.len() - 3].to_vec()]);
    assert_eq!(error, Some(ProviderError::Interrupted));
}

#[test]
fn exception_frames_and_damage_become_clear_errors() {
    // Whole frames only, then the exception.
    let whole = frames(&answer(&[Block::Text("Half ")], "end_turn"));
    let first_two: Vec<u8> = {
        let text = String::from_utf8(answer(&[Block::Text("Half ")], "end_turn")).unwrap();
        text.lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .take(2)
            .flat_map(chunk_frame)
            .collect()
    };
    let mut stream = first_two.clone();
    stream.extend(exception_frame(
        "throttlingException",
        "Too many tokens, please wait before trying again.",
    ));
    let (events, error, _) = decode(vec![stream]);
    assert_eq!(events.len(), 2);
    let Some(ProviderError::Stream { kind, message }) = error else {
        panic!("{error:?}")
    };
    assert_eq!(kind, "throttlingException");
    assert!(
        message.contains("Bedrock is throttling requests (Too many tokens"),
        "{message}"
    );
    // A damaged frame (a flipped payload byte fails the CRC).
    let mut damaged = whole.clone();
    damaged[40] ^= 0x01;
    let (_, error, _) = decode(vec![damaged]);
    assert!(
        matches!(&error, Some(ProviderError::Decode(m)) if m.contains("CRC")),
        "{error:?}"
    );
}

fn tmp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("memdeck-bedrock-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

/// `memdeck --provider bedrock` in `dir`, AWS pointed at the mock and at files under `dir`.
fn memdeck(dir: &Path, url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_memdeck"));
    command
        .current_dir(dir)
        .args(["--provider", "bedrock"])
        .env("XDG_CONFIG_HOME", dir)
        .env("HOME", dir)
        .env("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", url)
        .env("AWS_ENDPOINT_URL_BEDROCK", url)
        .env("AWS_CONFIG_FILE", dir.join("aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("aws-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("MEMDECK_CONFIG");
    command
}

fn with_keys(command: &mut Command) -> &mut Command {
    command
        .env("AWS_REGION", "us-west-2")
        .env("AWS_ACCESS_KEY_ID", "AKIDTESTKEY")
        .env("AWS_SECRET_ACCESS_KEY", "test-secret-access-key-0123456789")
        .env("AWS_SESSION_TOKEN", "test-session-token")
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// An event-stream reply, sent in pieces of `piece` bytes.
fn stream_reply(bytes: &[u8], piece: usize) -> Reply {
    Reply {
        status: 200,
        headers: vec![(
            "content-type".into(),
            "application/vnd.amazon.eventstream".into(),
        )],
        chunks: bytes
            .chunks(piece)
            .map(|c| (Duration::from_millis(1), c.to_vec()))
            .collect(),
        finish: true,
    }
}

#[test]
fn ask_through_bedrock_with_keys_from_the_environment() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mock = runtime.block_on(Mock::start(vec![
        // Throttled once: retried after the SDKs' wait.
        Reply::status(
            429,
            &[(
                "x-amzn-ErrorType",
                "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/",
            )],
            r#"{"message":"Too many requests, please wait before trying again."}"#,
        ),
        stream_reply(&memory_answer(), 7),
        stream_reply(
            &frames(&answer(
                &[Block::Text("Saved to /memories/acme.md.")],
                "end_turn",
            )),
            5,
        ),
    ]));
    let t = tmp();
    let out = with_keys(&mut memdeck(t.path(), &mock.url()))
        .args(["ask", "ACME runs 40 stores."])
        .output()
        .unwrap();
    let (said, notes) = text(&out);
    assert!(out.status.success(), "{notes}");
    assert_eq!(
        said,
        "Noting that. \n[memory] create /memories/acme.md … ok\nSaved to /memories/acme.md.\n"
    );
    assert!(notes.contains("Bedrock is throttling requests"), "{notes}");
    assert_eq!(
        std::fs::read_to_string(t.path().join("memories/acme.md")).unwrap(),
        "ACME runs 40 stores.\n"
    );
    let got = mock.received();
    assert_eq!(got.len(), 3);
    let call = &got[1];
    assert!(
        call.head.starts_with(
            "POST /model/global.anthropic.claude-sonnet-4-5-20250929-v1:0/invoke-with-response-stream "
        ),
        "{}",
        call.head
    );
    let auth = call.header("authorization").unwrap();
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDTESTKEY/")
            && auth.contains("/us-west-2/bedrock/aws4_request"),
        "{auth}"
    );
    assert!(auth.contains("x-amz-security-token"), "{auth}");
    assert_eq!(
        call.header("x-amz-security-token").as_deref(),
        Some("test-session-token")
    );
    assert_eq!(
        call.header("accept").as_deref(),
        Some("application/vnd.amazon.eventstream")
    );
    let body = call.json();
    assert_eq!(body["anthropic_version"], "bedrock-2023-05-31");
    assert!(body.get("model").is_none() && body.get("stream").is_none());
    assert_eq!(body["tools"][0]["name"], "memory");
    // Each attempt is signed anew; the second call carries the tool result.
    assert!(got[0].header("authorization").is_some());
    assert_eq!(
        got[2].json()["messages"][2]["content"][0]["type"],
        "tool_result"
    );
    assert!(!notes.contains("test-secret-access-key"));
}

#[test]
fn a_profile_from_the_shared_files_and_errors_that_say_what_to_do() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mock = runtime.block_on(Mock::start(vec![
        Reply::status(
            403,
            &[("x-amzn-ErrorType", "AccessDeniedException:http://internal.amazon.com/coral/")],
            r#"{"message":"You don't have access to the model with the specified model ID."}"#,
        ),
        // doctor: the inference profiles, then the foundation models.
        Reply::status(
            200,
            &[],
            r#"{"inferenceProfileSummaries":[{"inferenceProfileId":"eu.anthropic.claude-sonnet-4-5-20250929-v1:0","inferenceProfileName":"EU Claude Sonnet 4.5"},{"inferenceProfileId":"eu.meta.llama3","inferenceProfileName":"Llama"}]}"#,
        ),
        Reply::status(
            200,
            &[],
            r#"{"modelSummaries":[{"modelId":"anthropic.claude-haiku-4-5-20251001-v1:0","modelName":"Claude Haiku 4.5"}]}"#,
        ),
    ]));
    let t = tmp();
    std::fs::write(
        t.path().join("aws-config"),
        "[default]\nregion = us-east-1\n\n[profile demo]\nregion = eu-west-1\n",
    )
    .unwrap();
    std::fs::write(
        t.path().join("aws-credentials"),
        "[demo]\naws_access_key_id = AKIDFROMPROFILE\naws_secret_access_key = profile-secret-0123456789\n",
    )
    .unwrap();
    let out = memdeck(t.path(), &mock.url())
        .args([
            "--aws-profile",
            "demo",
            "--model",
            "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
        ])
        .args(["ask", "hi"])
        .output()
        .unwrap();
    let (_, notes) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{notes}");
    assert!(
        notes.contains("Bedrock denied access to the model (You don't have access to the model with the specified model ID.); enable it for this account and region"),
        "{notes}"
    );
    let got = mock.received();
    let auth = got[0].header("authorization").unwrap();
    assert!(
        auth.contains("Credential=AKIDFROMPROFILE/") && auth.contains("/eu-west-1/bedrock/"),
        "{auth}"
    );
    assert!(
        got[0]
            .head
            .starts_with("POST /model/eu.anthropic.claude-sonnet-4-5-20250929-v1:0/")
    );

    // doctor: a signed model list; the configured model is offered.
    let doctor = memdeck(t.path(), &mock.url())
        .args([
            "--aws-profile",
            "demo",
            "--model",
            "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
        ])
        .arg("doctor")
        .output()
        .unwrap();
    let (report, _) = text(&doctor);
    assert!(
        report.contains("Bedrock in eu-west-1: the credentials are accepted (2 Anthropic models and inference profiles)"),
        "{report}"
    );
    assert!(
        report.contains("model eu.anthropic.claude-sonnet-4-5-20250929-v1:0 is offered"),
        "{report}"
    );
    let got = mock.received();
    assert!(
        got[1].head.starts_with("GET /inference-profiles?"),
        "{}",
        got[1].head
    );
    assert!(
        got[2]
            .head
            .starts_with("GET /foundation-models?byProvider=Anthropic")
    );
    assert!(
        got[2]
            .header("authorization")
            .unwrap()
            .contains("AKIDFROMPROFILE")
    );

    // No region anywhere: one clear line.
    std::fs::remove_file(t.path().join("aws-config")).unwrap();
    let out = memdeck(t.path(), &mock.url())
        .args(["--aws-profile", "demo", "ask", "hi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).1.contains("no AWS region: set AWS_REGION"),
        "{}",
        text(&out).1
    );
}

use crate::support::tmux;

/// The app on Bedrock: the answer and its memory write, the backend and region in the status
/// bar, and the picker listing the region's Anthropic models.
#[test]
fn the_app_talks_to_bedrock() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mock = runtime.block_on(Mock::start(vec![
        stream_reply(&memory_answer(), 9),
        stream_reply(&frames(&answer(&[Block::Text("Saved to /memories/acme.md.")], "end_turn")), 5),
        Reply::status(200, &[], r#"{"inferenceProfileSummaries":[{"inferenceProfileId":"us.anthropic.claude-haiku-4-5-20251001-v1:0","inferenceProfileName":"US Claude Haiku 4.5"}]}"#),
        Reply::status(200, &[], r#"{"modelSummaries":[]}"#),
    ]));
    let t = tmp();
    let dir = t.path().display();
    let command = format!(
        "env -u MEMDECK_CONFIG -u AWS_PROFILE -u AWS_DEFAULT_REGION -u AWS_ENDPOINT_URL \
         XDG_CONFIG_HOME={dir} HOME={dir} AWS_CONFIG_FILE={dir}/none AWS_SHARED_CREDENTIALS_FILE={dir}/none \
         AWS_EC2_METADATA_DISABLED=true AWS_REGION=us-east-2 AWS_ACCESS_KEY_ID=AKIDTUI \
         AWS_SECRET_ACCESS_KEY=tui-secret-0123456789 AWS_ENDPOINT_URL_BEDROCK_RUNTIME={url} \
         AWS_ENDPOINT_URL_BEDROCK={url} {bin} --provider bedrock --memory-dir {dir}/memories \
         --log-file {dir}/log --sessions-dir {dir}/sessions; echo memdeck exited $?; sleep 30",
        bin = env!("CARGO_BIN_EXE_memdeck"),
        url = mock.url(),
    );
    let tmux = tmux::Tmux::start(150, 40, &command);
    tmux.wait_for("the first screen", |s| s.contains("Alice ›"));
    tmux.text("ACME runs 40 stores.");
    tmux.keys(&["Enter"]);
    let shown = tmux.wait_for("the answer", |s| {
        s.contains("Saved to /memories/acme.md.") && !s.contains("streaming")
    });
    assert!(
        shown.contains("✓ memory create /memories/acme.md"),
        "{shown}"
    );
    assert!(
        shown.contains("Bedrock global.anthropic.claude-sonnet-4-5"),
        "{shown}"
    );
    tmux.keys(&["F3"]);
    tmux.wait_for("the region's models in the picker", |s| {
        s.contains("us.anthropic.claude-haiku-4-5-20251001-v1:0")
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
    let log = std::fs::read_to_string(t.path().join("log")).unwrap_or_default();
    assert!(
        !log.contains("tui-secret-0123456789"),
        "the secret key reached the log"
    );
}

/// At the most verbose log level, the AWS signing code's own logs (the canonical request, with
/// the session token in it) never reach the log file, nor do the keys.
#[test]
fn trace_logging_never_writes_aws_credentials() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mock = runtime.block_on(Mock::start(vec![stream_reply(
        &frames(&answer(&[Block::Text("Hello.")], "end_turn")),
        9,
    )]));
    let t = tmp();
    let log = t.path().join("trace.log");
    let out = with_keys(&mut memdeck(t.path(), &mock.url()))
        .env("MEMDECK_LOG", "trace")
        .env("MEMDECK_LOG_FILE", &log)
        .args(["ask", "hi"])
        .output()
        .unwrap();
    let (_, notes) = text(&out);
    assert!(out.status.success(), "{notes}");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(!logged.is_empty());
    for secret in ["test-session-token", "test-secret-access-key-0123456789"] {
        let lines: Vec<String> = logged
            .lines()
            .filter(|l| l.contains(secret))
            .map(|l| l.chars().take(110).collect())
            .collect();
        assert!(lines.is_empty(), "{secret} logged:\n{}", lines.join("\n"));
    }
}
