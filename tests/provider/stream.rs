//! Stream decoding and accumulation: the captured API streams and our own, whole and split at
//! every byte, must give the same events and the same message.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use futures_util::{StreamExt, stream};
use memdeck::chat::Accumulator;
use memdeck::provider::{ProviderError, StreamEvent, sse};
use serde_json::{Value, json};

const FIXTURES: [&str; 10] = [
    "basic_response",
    "compaction_response",
    "fable-stream-a-refusal",
    "fable-stream-a-toolrefusal",
    "fable-stream-b-fallback",
    "fallback_credit_response",
    "fallback_response",
    "incomplete_partial_json_response",
    "refusal_response",
    "tool_use_response",
];

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/anthropic-sdk-python/{name}.sse",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Decode a body delivered in the given chunks.
fn decode(chunks: Vec<Vec<u8>>) -> Vec<Result<StreamEvent, ProviderError>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(
        sse::decode(stream::iter(
            chunks.into_iter().map(Ok::<_, std::io::Error>),
        ))
        .collect(),
    )
}

/// Events, then the message they accumulate to (and whether it completed).
fn run(chunks: Vec<Vec<u8>>) -> (Vec<StreamEvent>, Option<ProviderError>, Value, bool) {
    let mut events = Vec::new();
    let mut error = None;
    let mut acc = Accumulator::new();
    for item in decode(chunks) {
        match item {
            Ok(e) => {
                acc.apply(&e).unwrap();
                events.push(e);
            }
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    let complete = acc.is_complete();
    (
        events,
        error,
        acc.message().unwrap_or(Value::Null),
        complete,
    )
}

fn splits(bytes: &[u8]) -> impl Iterator<Item = Vec<Vec<u8>>> + '_ {
    (0..=bytes.len()).map(move |i| vec![bytes[..i].to_vec(), bytes[i..].to_vec()])
}

#[test]
fn every_captured_stream_decodes_whole_split_and_byte_by_byte() {
    for name in FIXTURES {
        let bytes = fixture(name);
        let whole = run(vec![bytes.clone()]);
        assert!(whole.1.is_none(), "{name}: {:?}", whole.1);
        assert!(whole.3, "{name}: no message_stop");
        for (i, chunks) in splits(&bytes).enumerate() {
            assert_eq!(run(chunks), whole, "{name} split at byte {i}");
        }
        let bytewise = bytes.iter().map(|b| vec![*b]).collect();
        assert_eq!(run(bytewise), whole, "{name} byte by byte");
    }
}

#[test]
fn captured_streams_accumulate_like_the_sdk() {
    let (_, _, m, _) = run(vec![fixture("basic_response")]);
    assert_eq!(
        m["content"],
        json!([{"type": "text", "text": "Hello there!"}])
    );
    assert_eq!(m["stop_reason"], "end_turn");
    assert_eq!(m["usage"], json!({"input_tokens": 11, "output_tokens": 6}));

    let (_, _, m, _) = run(vec![fixture("tool_use_response")]);
    let tool = &m["content"][1];
    assert_eq!(tool["type"], "tool_use");
    assert!(
        tool["input"].is_object() && !tool["input"].as_object().unwrap().is_empty(),
        "{tool}"
    );
    assert_eq!(m["stop_reason"], "tool_use");

    // Cut by max_tokens in the middle of the tool input, without a content_block_stop: the
    // input stays `{}`, the block is not stopped, and the raw text is kept.
    let bytes = fixture("incomplete_partial_json_response");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut acc = Accumulator::new();
    for e in
        rt.block_on(sse::decode(stream::iter([Ok::<_, std::io::Error>(bytes)])).collect::<Vec<_>>())
    {
        acc.apply(&e.unwrap()).unwrap();
    }
    let m = acc.message().unwrap();
    assert_eq!(m["stop_reason"], "max_tokens");
    assert_eq!(m["content"][1]["input"], json!({}));
    assert!(!acc.block_stopped(1));
    assert!(
        acc.input_so_far(1)
            .starts_with("{\"filename\": \"taxes.txt\"")
    );

    let (_, _, m, _) = run(vec![fixture("compaction_response")]);
    assert_eq!(
        m["content"][0]["content"],
        "Earlier conversation summarized."
    );
}

/// A stream of ours in the documented format, exercising what the captured ones do not.
fn our_stream(line_end: &str) -> Vec<u8> {
    let events = [
        (
            "message_start",
            r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":2211,"cache_read_input_tokens":7,"output_tokens":2}}}"#,
        ),
        ("ping", r#"{"type": "ping"}"#),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Alice said ACME – «40 stores»\u2028 naïve 日本 👩‍👩‍👧"}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAh=="}}"#,
        ),
        (
            "content_block_stop",
            r#"{"type":"content_block_stop","index":0}"#,
        ),
        (
            "future_event_type",
            r#"{"type":"future_event_type","anything":1}"#,
        ),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Noted "}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"citations_delta","citation":{"type":"char_location","cited_text":"40 stores","document_index":0,"start_char_index":0,"end_char_index":9}}}"#,
        ),
        (
            "content_block_delta",
            "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"– 40 stores.\u{2028}Next\"}}",
        ),
        (
            "content_block_stop",
            r#"{"type":"content_block_stop","index":1}"#,
        ),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_A","name":"memory","input":{}}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"command\": \"create\", \"path\": \"/memories/acme.md\", "}}"#,
        ),
        ("ping", r#"{"type": "ping"}"#),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"\"file_text\": \"ACME: 40 stores – €2M\\n\"}"}}"#,
        ),
        (
            "content_block_stop",
            r#"{"type":"content_block_stop","index":2}"#,
        ),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"toolu_B","name":"memory","input":{}}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{\"command\":\"view\",\"path\":\"/memories\"}"}}"#,
        ),
        (
            "content_block_stop",
            r#"{"type":"content_block_stop","index":3}"#,
        ),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":4,"content_block":{"type":"brand_new_block","payload":[1,2]}}"#,
        ),
        (
            "content_block_stop",
            r#"{"type":"content_block_stop","index":4}"#,
        ),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":5,"content_block":{"type":"redacted_thinking","data":"opaque=="}}"#,
        ),
        (
            "content_block_stop",
            r#"{"type":"content_block_stop","index":5}"#,
        ),
        (
            "message_delta",
            r#"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":64},"context_management":{"applied_edits":[{"type":"clear_tool_uses_20250919","cleared_tool_uses":2,"cleared_input_tokens":900}]}}"#,
        ),
        ("message_stop", r#"{"type":"message_stop"}"#),
    ];
    let mut out = String::from(": a comment line first");
    out.push_str(line_end);
    out.push_str(line_end);
    for (name, data) in events {
        out.push_str(&format!("event: {name}{line_end}"));
        // Split one event's JSON over two `data:` lines (joined with a newline, valid JSON).
        if name == "content_block_stop" {
            let (a, b) = data.split_at(data.find(',').unwrap() + 1);
            out.push_str(&format!("data: {a}{line_end}data:{b}{line_end}"));
        } else {
            out.push_str(&format!("data: {data}{line_end}"));
        }
        out.push_str(line_end);
    }
    out.into_bytes()
}

#[test]
fn our_streams_accumulate_the_same_whatever_the_line_ends_and_splits() {
    let lf = run(vec![our_stream("\n")]);
    assert!(lf.1.is_none(), "{:?}", lf.1);
    assert!(lf.3);
    let m = &lf.2;
    assert_eq!(
        m["content"][0]["thinking"],
        "Alice said ACME – «40 stores»\u{2028} naïve 日本 👩‍👩‍👧"
    );
    assert_eq!(m["content"][0]["signature"], "EqQBCgIYAh==");
    assert_eq!(m["content"][1]["text"], "Noted – 40 stores.\u{2028}Next");
    assert_eq!(m["content"][1]["citations"][0]["cited_text"], "40 stores");
    assert_eq!(
        m["content"][2]["input"],
        json!({"command": "create", "path": "/memories/acme.md", "file_text": "ACME: 40 stores – €2M\n"})
    );
    assert_eq!(
        m["content"][3]["input"],
        json!({"command": "view", "path": "/memories"})
    );
    assert_eq!(
        m["content"][4],
        json!({"type": "brand_new_block", "payload": [1, 2]})
    );
    assert_eq!(
        m["content"][5],
        json!({"type": "redacted_thinking", "data": "opaque=="})
    );
    assert_eq!(
        m["usage"],
        json!({"input_tokens": 2211, "cache_read_input_tokens": 7, "output_tokens": 64})
    );
    assert_eq!(
        m["context_management"]["applied_edits"][0]["cleared_tool_uses"],
        2
    );
    for line_end in ["\r\n", "\r"] {
        let bytes = our_stream(line_end);
        let other = run(vec![bytes.clone()]);
        assert_eq!(other, lf, "line end {line_end:?}");
        for (i, chunks) in splits(&bytes).enumerate() {
            assert_eq!(run(chunks), lf, "line end {line_end:?}, split at byte {i}");
        }
    }
}

#[test]
fn an_error_event_mid_stream_is_a_failure() {
    let mut bytes = fixture("basic_response");
    let cut = bytes
        .windows(13)
        .position(|w| w == b"event: conten")
        .unwrap();
    bytes.truncate(cut);
    bytes.extend_from_slice(b"event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n");
    let (_, error, _, complete) = run(vec![bytes]);
    assert_eq!(
        error,
        Some(ProviderError::Stream {
            kind: "overloaded_error".into(),
            message: "Overloaded".into()
        })
    );
    assert!(!complete);
}

#[test]
fn a_stream_cut_anywhere_never_completes_and_never_panics() {
    let bytes = our_stream("\n");
    let end = bytes
        .windows(20)
        .rposition(|w| w == b"event: message_stop\n")
        .unwrap();
    for cut in 0..end {
        let (events, error, _, complete) = run(vec![bytes[..cut].to_vec()]);
        assert!(!complete, "complete at cut {cut}");
        assert!(
            error.is_none() || error == Some(ProviderError::Interrupted),
            "cut {cut}: {error:?} after {} events",
            events.len()
        );
    }
}
