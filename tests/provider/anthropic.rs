//! The Anthropic provider against a loopback mock server: request shape, streaming, retries,
//! failures mid-stream, stalls, cancellation.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::mock;

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use memdeck::chat::Accumulator;
use memdeck::provider::anthropic::{Anthropic, AnthropicConfig};
use memdeck::provider::{ContextEditing, Provider, ProviderError, Request, StreamEvent, Thinking};
use mock::{Mock, Reply};
use serde_json::json;
use tokio_util::sync::CancellationToken;

const KEY: &str = "sk-ant-test-key-0123456789";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/anthropic-sdk-python/{name}.sse",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn provider(mock: &Mock, tune: impl FnOnce(&mut AnthropicConfig)) -> Anthropic {
    let mut config = AnthropicConfig::new(KEY);
    config.base_url = mock.url();
    config.idle_timeout = Duration::from_secs(5);
    tune(&mut config);
    Anthropic::new(config).unwrap()
}

fn request() -> Request {
    Request {
        persona: "Alice".into(),
        model: None,
        system: "You are Alice's assistant.".into(),
        memory_index: None,
        tools: true,
        messages: vec![json!({"role": "user", "content": "ACME runs 40 stores."})],
        max_tokens: 1024,
        thinking: Thinking::Off,
        context_editing: ContextEditing::Off,
    }
}

/// Every item of one call.
async fn collect(
    p: &Anthropic,
    req: &Request,
    cancel: CancellationToken,
) -> (Vec<StreamEvent>, Option<ProviderError>) {
    let mut events = Vec::new();
    let mut stream = p.stream(req, cancel);
    while let Some(item) = stream.next().await {
        match item {
            Ok(e) => events.push(e),
            Err(e) => return (events, Some(e)),
        }
    }
    (events, None)
}

/// One call with the default provider and request.
async fn call(mock: &Mock) -> (Vec<StreamEvent>, Option<ProviderError>) {
    collect(
        &provider(mock, |_| {}),
        &request(),
        CancellationToken::new(),
    )
    .await
}

fn text_of(events: &[StreamEvent]) -> serde_json::Value {
    let mut acc = Accumulator::new();
    for e in events {
        acc.apply(e).unwrap();
    }
    acc.message().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_shape_headers_and_body() {
    let mock = Mock::start(vec![
        Reply::sse(
            &fixture("basic_response"),
            3,
            Duration::ZERO
        );
        3
    ])
    .await;
    let p = provider(&mock, |_| {});
    collect(&p, &request(), CancellationToken::new()).await;
    let mut thinking = request();
    thinking.thinking = Thinking::Budget(2048);
    thinking.context_editing = ContextEditing::Demo;
    thinking.messages.push(json!({"role": "assistant", "content": [{"type": "thinking", "thinking": "t", "signature": "sig=="}]}));
    collect(&p, &thinking, CancellationToken::new()).await;
    let mut adaptive = request();
    adaptive.thinking = Thinking::Adaptive;
    adaptive.context_editing = ContextEditing::Production;
    collect(&p, &adaptive, CancellationToken::new()).await;

    let got = mock.received();
    assert_eq!(got.len(), 3);
    let first = &got[0];
    assert!(first.head.starts_with("POST /v1/messages HTTP/1.1"));
    assert_eq!(first.header("x-api-key").as_deref(), Some(KEY));
    assert_eq!(
        first.header("anthropic-version").as_deref(),
        Some("2023-06-01")
    );
    assert_eq!(
        first.header("anthropic-beta").as_deref(),
        Some("fine-grained-tool-streaming-2025-05-14")
    );
    assert_eq!(
        first.header("content-type").as_deref(),
        Some("application/json")
    );
    let body = first.json();
    assert_eq!(
        body,
        json!({
            "model": "claude-sonnet-4-5",
            "max_tokens": 1024,
            "stream": true,
            "system": "You are Alice's assistant.",
            "messages": [{"role": "user", "content": "ACME runs 40 stores."}],
            "tools": [{"type": "memory_20250818", "name": "memory"}]
        })
    );
    let second = &got[1];
    assert_eq!(
        second.header("anthropic-beta").as_deref(),
        Some("context-management-2025-06-27,fine-grained-tool-streaming-2025-05-14")
    );
    let body = second.json();
    assert_eq!(
        body["thinking"],
        json!({"type": "enabled", "budget_tokens": 2048})
    );
    assert_eq!(
        body["context_management"]["edits"][0]["type"],
        "clear_thinking_20251015"
    );
    assert_eq!(
        body["context_management"]["edits"][1]["trigger"]["value"],
        3000
    );
    // Thinking blocks go back byte for byte.
    assert_eq!(
        body["messages"][1]["content"][0],
        json!({"type": "thinking", "thinking": "t", "signature": "sig=="})
    );
    let body = got[2].json();
    assert_eq!(body["thinking"], json!({"type": "adaptive"}));
    assert_eq!(
        body["context_management"]["edits"][1]["trigger"]["value"],
        30000
    );
    for r in &got {
        let body = r.json();
        for param in ["temperature", "top_p", "top_k"] {
            assert!(body.get(param).is_none(), "{param} was sent");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_every_captured_fixture_in_small_delayed_pieces() {
    for name in [
        "basic_response",
        "tool_use_response",
        "fable-stream-a-toolrefusal",
    ] {
        let bytes = fixture(name);
        let mock = Mock::start(vec![Reply::sse(&bytes, 37, Duration::from_millis(1))]).await;
        let p = provider(&mock, |_| {});
        let (events, error) = collect(&p, &request(), CancellationToken::new()).await;
        assert!(error.is_none(), "{name}: {error:?}");
        assert!(
            matches!(events.last(), Some(StreamEvent::MessageStop)),
            "{name}"
        );
        let whole: Vec<StreamEvent> =
            memdeck::provider::sse::decode(futures_util::stream::iter([Ok::<_, std::io::Error>(
                bytes,
            )]))
            .map(|e| e.unwrap())
            .collect()
            .await;
        // The same events, but for where deltas are cut: the end of one that could begin the
        // key is held back for the next (see `SplitGuard`).
        assert_eq!(merged(events), merged(whole), "{name}");
    }
}

/// Events with each run of one block's deltas of one kind joined into one delta.
fn merged(events: Vec<StreamEvent>) -> Vec<StreamEvent> {
    use memdeck::provider::Delta;
    let mut out: Vec<StreamEvent> = Vec::new();
    for event in events {
        if let (
            Some(StreamEvent::ContentBlockDelta {
                index: last_index,
                delta: last,
            }),
            StreamEvent::ContentBlockDelta { index, delta },
        ) = (out.last_mut(), &event)
            && last_index == index
        {
            match (last, delta) {
                (Delta::TextDelta { text: a }, Delta::TextDelta { text: b })
                | (
                    Delta::InputJsonDelta { partial_json: a },
                    Delta::InputJsonDelta { partial_json: b },
                )
                | (Delta::ThinkingDelta { thinking: a }, Delta::ThinkingDelta { thinking: b }) => {
                    a.push_str(b);
                    continue;
                }
                _ => {}
            }
        }
        out.push(event);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_with_retry_after_is_waited_out_then_succeeds() {
    let mock = Mock::start(vec![
        Reply::status(
            429,
            &[("retry-after-ms", "120"), ("retry-after", "9")],
            r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#,
        ),
        Reply::sse(&fixture("basic_response"), 1, Duration::ZERO),
    ])
    .await;
    let p = provider(&mock, |_| {});
    let started = Instant::now();
    let (events, error) = collect(&p, &request(), CancellationToken::new()).await;
    assert!(error.is_none(), "{error:?}");
    match &events[0] {
        StreamEvent::RetryWait {
            attempt,
            wait_ms,
            reason,
        } => {
            assert_eq!((*attempt, *wait_ms), (2, 120));
            assert!(reason.contains("rate limited"), "{reason}");
        }
        other => panic!("expected a retry wait, got {other:?}"),
    }
    assert!(started.elapsed() >= Duration::from_millis(120));
    assert_eq!(text_of(&events[1..])["content"][0]["text"], "Hello there!");
    assert_eq!(mock.received().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overloaded_three_times_is_a_clear_failure_after_two_retries() {
    let overloaded = Reply::status(
        529,
        &[("request-id", "req_overload")],
        r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
    );
    let mock = Mock::start(vec![overloaded.clone(), overloaded.clone(), overloaded]).await;
    let p = provider(&mock, |_| {});
    let (events, error) = collect(&p, &request(), CancellationToken::new()).await;
    let waits: Vec<u64> = events
        .iter()
        .map(|e| match e {
            StreamEvent::RetryWait { wait_ms, .. } => *wait_ms,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(waits.len(), 2);
    assert!(
        (375..=500).contains(&waits[0]) && (750..=1000).contains(&waits[1]),
        "{waits:?}"
    );
    let error = error.unwrap();
    assert_eq!(
        error.to_string(),
        "the Anthropic API is overloaded (Overloaded); try again shortly [request id req_overload]"
    );
    assert_eq!(mock.received().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn should_retry_headers_win() {
    let mock = Mock::start(vec![Reply::status(
        500,
        &[("x-should-retry", "false")],
        "{}",
    )])
    .await;
    let (events, error) = call(&mock).await;
    assert!(events.is_empty());
    assert!(matches!(
        error,
        Some(ProviderError::Http { status: 500, .. })
    ));
    assert_eq!(mock.received().len(), 1);

    let mock = Mock::start(vec![
        Reply::status(
            400,
            &[("x-should-retry", "true"), ("retry-after-ms", "10")],
            "{}",
        ),
        Reply::sse(&fixture("basic_response"), 1, Duration::ZERO),
    ])
    .await;
    let (_, error) = call(&mock).await;
    assert!(error.is_none());
    assert_eq!(mock.received().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_key_is_not_retried_and_says_so() {
    let mock = Mock::start(vec![Reply::status(
        401,
        &[],
        r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_401"}"#,
    )])
    .await;
    let (_, error) = call(&mock).await;
    let text = error.unwrap().to_string();
    assert!(
        text.contains("ANTHROPIC_API_KEY") && text.contains("req_401"),
        "{text}"
    );
    assert!(!text.contains(KEY));
    assert_eq!(mock.received().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_event_mid_stream_ends_the_call_without_retry() {
    let mut body = fixture("basic_response");
    let cut = body
        .windows(21)
        .position(|w| w == b"event: content_block_")
        .unwrap();
    body.truncate(cut);
    body.extend_from_slice(b"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n");
    let mock = Mock::start(vec![Reply::sse(&body, 2, Duration::ZERO)]).await;
    let (events, error) = call(&mock).await;
    assert!(matches!(events[0], StreamEvent::MessageStart { .. }));
    assert_eq!(
        error,
        Some(ProviderError::Stream {
            kind: "overloaded_error".into(),
            message: "Overloaded".into()
        })
    );
    assert_eq!(mock.received().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_mid_text_keeps_what_arrived() {
    let body = fixture("basic_response");
    let cut = body
        .windows(12)
        .position(|w| w == b"\" there\"}}\n\n")
        .unwrap()
        + 12;
    let mut reply = Reply::sse(&body[..cut], 3, Duration::from_millis(2));
    reply.finish = false;
    let mock = Mock::start(vec![reply]).await;
    let (events, error) = call(&mock).await;
    assert!(
        matches!(
            error,
            Some(ProviderError::Connection(_) | ProviderError::Interrupted)
        ),
        "{error:?}"
    );
    assert_eq!(text_of(&events)["content"][0]["text"], "Hello there");
    assert_eq!(
        mock.received().len(),
        1,
        "a failure after the answer started is not retried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_is_a_stall_but_pings_keep_the_stream_alive() {
    let mut silent = Reply::sse(b"", 1, Duration::ZERO);
    silent.chunks = vec![(
        Duration::from_secs(3),
        b"event: ping\ndata: {}\n\n".to_vec(),
    )];
    let mock = Mock::start(vec![silent]).await;
    let p = provider(&mock, |c| c.idle_timeout = Duration::from_millis(300));
    let started = Instant::now();
    let (_, error) = collect(&p, &request(), CancellationToken::new()).await;
    assert_eq!(
        error,
        Some(ProviderError::Stalled(Duration::from_millis(300)))
    );
    assert!(started.elapsed() < Duration::from_secs(2));

    let mut chunks: Vec<(Duration, Vec<u8>)> = (0..6)
        .map(|_| {
            (
                Duration::from_millis(150),
                b"event: ping\ndata: {\"type\": \"ping\"}\n\n".to_vec(),
            )
        })
        .collect();
    chunks.push((Duration::from_millis(150), fixture("basic_response")));
    let mut pinging = Reply::sse(b"", 1, Duration::ZERO);
    pinging.chunks = chunks;
    let mock = Mock::start(vec![pinging]).await;
    let p = provider(&mock, |c| c.idle_timeout = Duration::from_millis(400));
    let (events, error) = collect(&p, &request(), CancellationToken::new()).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(text_of(&events)["content"][0]["text"], "Hello there!");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_mid_stream_stops_at_once_and_closes_the_connection() {
    let body = fixture("basic_response");
    let mock = Mock::start(vec![Reply::sse(&body, 40, Duration::from_millis(25))]).await;
    let p = provider(&mock, |_| {});
    let cancel = CancellationToken::new();
    let mut stream = p.stream(&request(), cancel.clone());
    let first = stream.next().await.unwrap().unwrap();
    assert!(matches!(first, StreamEvent::MessageStart { .. }));
    let cancelled_at = Instant::now();
    cancel.cancel();
    let mut last = None;
    while let Some(item) = stream.next().await {
        last = Some(item);
    }
    assert_eq!(last.unwrap().unwrap_err(), ProviderError::Cancelled);
    assert!(cancelled_at.elapsed() < Duration::from_millis(200));
    // The server notices the client went away before its scripted body ends.
    let deadline = Instant::now() + Duration::from_secs(2);
    while mock.client_closed() == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(mock.client_closed(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_is_retried_then_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut config = AnthropicConfig::new(KEY);
    config.base_url = format!("http://{addr}");
    let p = Anthropic::new(config).unwrap();
    let (events, error) = collect(&p, &request(), CancellationToken::new()).await;
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, StreamEvent::RetryWait { .. }))
            .count(),
        2
    );
    assert!(
        matches!(error, Some(ProviderError::Connection(_))),
        "{error:?}"
    );
}

/// A tab's model choice goes into the body; the picker's list comes from `GET /v1/models`.
#[tokio::test]
async fn a_chosen_model_and_the_model_list() {
    let bytes = fixture("basic_response");
    let models = r#"{"data":[{"type":"model","id":"claude-opus-5","display_name":"Claude Opus 5"}],"has_more":false}"#;
    let mock = Mock::start(vec![
        Reply::sse(&bytes, 3, Duration::ZERO),
        Reply::status(200, &[("content-type", "application/json")], models),
    ])
    .await;
    let p = provider(&mock, |_| {});
    let mut req = request();
    req.model = Some("claude-opus-5".into());
    let (_, failure) = collect(&p, &req, CancellationToken::new()).await;
    assert!(failure.is_none(), "{failure:?}");
    let listed = Provider::models(&p).await.unwrap();
    assert_eq!(
        listed,
        [memdeck::provider::ModelInfo {
            id: "claude-opus-5".into(),
            display_name: "Claude Opus 5".into(),
            ..Default::default()
        }]
    );
    let received = mock.received();
    assert_eq!(received[0].json()["model"], "claude-opus-5");
    assert!(
        received[1].head.starts_with("GET /v1/models?limit=100 "),
        "{}",
        received[1].head
    );
    assert_eq!(received[1].header("x-api-key").as_deref(), Some(KEY));
}

/// The models list's `capabilities`, `max_input_tokens` and `max_tokens` (as the API documents
/// them) are read for the picker and per-model defaults; an edit the list leaves out under a
/// supported context management is not offered.
#[tokio::test]
async fn the_model_list_says_what_each_model_can_do() {
    let models = r#"{"data":[
      {"type":"model","id":"claude-opus-5","display_name":"Claude Opus 5","created_at":"2026-07-24T00:00:00Z",
       "max_input_tokens":1000000,"max_tokens":128000,
       "capabilities":{"batch":{"supported":true},
         "context_management":{"clear_thinking_20251015":{"supported":true},"clear_tool_uses_20250919":{"supported":true},"compact_20260112":{"supported":true},"supported":true},
         "thinking":{"supported":true,"types":{"adaptive":{"supported":true},"enabled":{"supported":false}}}}},
      {"type":"model","id":"claude-haiku-4-5","display_name":"Claude Haiku 4.5",
       "max_input_tokens":200000,"max_tokens":64000,
       "capabilities":{"context_management":{"clear_tool_uses_20250919":{"supported":true},"compact_20260112":null,"supported":true},
         "thinking":{"supported":true,"types":{"adaptive":{"supported":false},"enabled":{"supported":true}}}}},
      {"type":"model","id":"claude-legacy","display_name":"Legacy","capabilities":null,"max_input_tokens":null}],
      "has_more":false}"#;
    let mock = Mock::start(vec![Reply::status(
        200,
        &[("content-type", "application/json")],
        models,
    )])
    .await;
    let p = provider(&mock, |_| {});
    let listed = Provider::models(&p).await.unwrap();
    let limits: Vec<_> = listed.iter().map(|m| m.limits).collect();
    assert_eq!(limits[0].max_input_tokens, Some(1_000_000));
    assert_eq!(limits[0].max_tokens, Some(128_000));
    assert_eq!(
        (
            limits[0].thinking_budget,
            limits[0].thinking_adaptive,
            limits[0].compaction
        ),
        (Some(false), Some(true), Some(true))
    );
    assert_eq!(
        limits[0].summary(),
        "1M in · 128k out · adaptive thinking only · compaction"
    );
    assert_eq!(limits[1].compaction, Some(false));
    assert_eq!(limits[1].clearing, Some(true));
    assert_eq!(limits[1].summary(), "200k in · 64k out · budget thinking");
    assert_eq!(limits[2], memdeck::provider::ModelLimits::default());
}
