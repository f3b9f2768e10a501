//! One model call over HTTP, whatever the wire format: a spawned task sends the request,
//! retries failures before the answer starts (the SDKs' policy, each wait announced as a
//! [`StreamEvent::RetryWait`]), then forwards the decoded events until the answer is complete,
//! the body ends, no byte arrives for the idle limit, or the caller cancels. Failures after the
//! answer started are not retried: the caller keeps what arrived.
//!
//! A backend says how to build each attempt (signed anew each time, for `SigV4`), what an error
//! status means, and how its body becomes [`StreamEvent`]s: a [`Wire`].

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt, stream};
use reqwest::header::HeaderMap;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::event::SplitGuard;
use super::retry::{self, Failure};
use super::{EventStream, ModelInfo, ProviderError, StreamEvent};

/// A response body's chunks; the idle limit ends it with an error.
pub type Body = Pin<Box<dyn Stream<Item = Result<Bytes, String>> + Send>>;

/// A body's events.
pub type Events = Pin<Box<dyn Stream<Item = Result<StreamEvent, ProviderError>> + Send>>;

/// What differs between backends that stream over HTTP.
pub trait Wire: Send + Sync + 'static {
    /// The request of one attempt.
    fn request(&self, client: &reqwest::Client) -> Result<reqwest::RequestBuilder, ProviderError>;

    /// An error status (and its body) as a message that says what to do.
    fn error(&self, status: u16, headers: &HeaderMap, body: &str) -> ProviderError;

    /// The events of a successful response's body.
    fn events(&self, body: Body) -> Events;

    /// What must never be shown or stored (the key, credentials): every error and event of
    /// the call has these redacted before it leaves the call, whatever the server echoed.
    fn secrets(&self) -> Vec<String>;
}

/// A POST with a fixed body: what most wires send on every attempt.
pub struct Post {
    pub url: String,
    pub headers: HeaderMap,
    pub body: String,
}

impl Post {
    pub fn request(&self, client: &reqwest::Client) -> reqwest::RequestBuilder {
        client
            .post(&self.url)
            .headers(self.headers.clone())
            .body(self.body.clone())
    }
}

/// A call that needs async work before it can start (credentials, the server's model): its
/// events, or that work's error as the stream's one item.
pub fn deferred(
    start: impl std::future::Future<Output = Result<EventStream, ProviderError>> + Send + 'static,
) -> EventStream {
    Box::pin(stream::once(start).flat_map(|started| match started {
        Ok(events) => events,
        Err(e) => Box::pin(stream::iter([Err(e)])),
    }))
}

/// Start one call; its events arrive on the returned stream.
pub fn spawn(
    client: &reqwest::Client,
    wire: Arc<dyn Wire>,
    idle: Duration,
    cancel: CancellationToken,
) -> EventStream {
    let (tx, rx) = mpsc::channel(256);
    let call = Call {
        client: client.clone(),
        secrets: wire.secrets(),
        wire,
        idle,
        tx,
        cancel,
    };
    tokio::spawn(call.run());
    super::from_channel(rx)
}

type Sender = mpsc::Sender<Result<StreamEvent, ProviderError>>;

struct Call {
    client: reqwest::Client,
    wire: Arc<dyn Wire>,
    secrets: Vec<String>,
    idle: Duration,
    tx: Sender,
    cancel: CancellationToken,
}

impl Call {
    async fn run(self) {
        let mut retries = 0;
        loop {
            let send = match self.wire.request(&self.client) {
                Ok(request) => request.send(),
                Err(e) => return self.fail(e).await,
            };
            let response = tokio::select! {
                () = self.cancel.cancelled() => return self.fail(ProviderError::Cancelled).await,
                response = send => response,
            };
            let (failure_status, headers, error) = match response {
                Ok(response) if response.status().is_success() => {
                    return self.forward(response).await;
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    let headers = response.headers().clone();
                    let text = tokio::select! {
                        () = self.cancel.cancelled() => return self.fail(ProviderError::Cancelled).await,
                        text = response.text() => text.unwrap_or_default(),
                    };
                    let error = self.wire.error(status, &headers, &text);
                    (Some(status), headers, error)
                }
                Err(e) => (
                    None,
                    HeaderMap::new(),
                    ProviderError::Connection(describe(&e)),
                ),
            };
            let failure = Failure {
                status: failure_status,
                should_retry: header(&headers, "x-should-retry"),
                retry_after_ms: header(&headers, "retry-after-ms"),
                retry_after: header(&headers, "retry-after"),
            };
            let Some(wait) = retry::delay(&failure, retries, retry::jitter()) else {
                return self.fail(error).await;
            };
            retries += 1;
            let announce = StreamEvent::RetryWait {
                attempt: retries + 1,
                wait_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                reason: self.clean_error(error).to_string(),
            };
            if self.tx.send(Ok(announce)).await.is_err() {
                return;
            }
            tokio::select! {
                () = self.cancel.cancelled() => return self.fail(ProviderError::Cancelled).await,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    async fn fail(&self, error: ProviderError) {
        let _ = self.tx.send(Err(self.clean_error(error))).await;
    }

    /// The one place a call's strings from the network are redacted: errors (messages, request
    /// ids and every header value they quote) and events alike.
    fn clean_error(&self, error: ProviderError) -> ProviderError {
        error.redacted(&self.secrets)
    }

    /// Forward the answer's events until `message_stop`, an error, or the end of the body.
    async fn forward(&self, response: reqwest::Response) {
        let stalled = Arc::new(AtomicBool::new(false));
        let body = idle_limited(response.bytes_stream(), self.idle, stalled.clone());
        let mut events = self.wire.events(Box::pin(body));
        let mut complete = false;
        // Events leave redacted, a secret split over deltas included.
        let mut guard = SplitGuard::new(&self.secrets);
        let error = loop {
            let next = tokio::select! {
                () = self.cancel.cancelled() => break ProviderError::Cancelled,
                next = events.next() => next,
            };
            match next {
                Some(Ok(event)) => {
                    complete |= matches!(event, StreamEvent::MessageStop);
                    for event in guard.feed(event) {
                        if self.tx.send(Ok(event)).await.is_err() {
                            return;
                        }
                    }
                }
                Some(Err(_)) if stalled.load(Ordering::Relaxed) => {
                    break ProviderError::Stalled(self.idle);
                }
                Some(Err(error)) => break error,
                None if complete => return,
                None => break ProviderError::Interrupted,
            }
        };
        // The text that arrived is kept, what was held for a moment included.
        for event in guard.flush() {
            if self.tx.send(Ok(event)).await.is_err() {
                return;
            }
        }
        self.fail(error).await;
    }
}

/// The body's chunks, ending with an error when none arrives for `idle`.
fn idle_limited(
    body: impl Stream<Item = reqwest::Result<Bytes>> + Send + Unpin + 'static,
    idle: Duration,
    stalled: Arc<AtomicBool>,
) -> impl Stream<Item = Result<Bytes, String>> + Send + 'static {
    stream::unfold(Some(body), move |state| {
        let stalled = stalled.clone();
        async move {
            let mut body = state?;
            match tokio::time::timeout(idle, body.next()).await {
                Ok(Some(Ok(chunk))) => Some((Ok(chunk), Some(body))),
                Ok(Some(Err(e))) => Some((Err(describe(&e)), None)),
                Ok(None) => None,
                Err(_) => {
                    stalled.store(true, Ordering::Relaxed);
                    Some((Err("stalled".to_owned()), None))
                }
            }
        }
    })
}

/// A model list page, `{"data": [{"id": …, "display_name"?: …}, …]}`, as the Messages API and
/// OpenAI-compatible servers both send it (the latter without display names: the id is shown).
pub fn model_page(text: &str) -> Result<Vec<ModelInfo>, ProviderError> {
    let page: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ProviderError::Decode(format!("the model list: {e}")))?;
    let models = page["data"]
        .as_array()
        .ok_or_else(|| ProviderError::Decode("the model list has no data".to_owned()))?;
    Ok(models
        .iter()
        .filter_map(|m| {
            let id = m["id"].as_str()?.to_owned();
            let display_name = m["display_name"].as_str().unwrap_or(&id).to_owned();
            Some(ModelInfo {
                id,
                display_name,
                limits: super::ModelLimits::from_list(m),
            })
        })
        .collect())
}

/// A header's value, when it is text.
pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// An error in words, with its causes (reqwest's and the AWS SDK's top-level texts are terse).
pub fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    // A connection that could not be made or timed out: where, and the innermost cause
    // ("Connection refused"), rather than the client library's layers around it.
    if let Some(e) = error.downcast_ref::<reqwest::Error>()
        && (e.is_connect() || e.is_timeout())
    {
        let place = e.url().map_or_else(String::new, |u| {
            let host = u.host_str().unwrap_or_default();
            match u.port_or_known_default() {
                Some(port) => format!(" to {host}:{port}"),
                None => format!(" to {host}"),
            }
        });
        let mut root = None;
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            root = Some(cause.to_string());
            source = cause.source();
        }
        let what = if e.is_timeout() {
            "timed out connecting"
        } else {
            "cannot connect"
        };
        return match root {
            Some(cause) => format!("{what}{place}: {cause}"),
            None => format!("{what}{place}"),
        };
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        // Client libraries often repeat their cause in their own message: say it once.
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}

/// What an error body says, in its own words: the JSON error's message (the Messages API,
/// `OpenAI` and most servers put it at `error.message`, some at `error` or `message`), else the
/// start of the text, else the status.
pub fn said(status: u16, body: &str) -> (Option<String>, String) {
    let parsed: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let kind = parsed["error"]["type"]
        .as_str()
        .or_else(|| parsed["error"]["code"].as_str())
        .map(str::to_owned);
    let message = parsed["error"]["message"]
        .as_str()
        .or_else(|| parsed["error"].as_str())
        .or_else(|| parsed["message"].as_str())
        .or_else(|| parsed["Message"].as_str())
        .map(str::to_owned);
    let said = message.unwrap_or_else(|| {
        let snippet: String = body.chars().take(200).collect();
        if snippet.trim().is_empty() {
            format!("HTTP {status}")
        } else {
            snippet.trim().to_owned()
        }
    });
    (kind, said)
}
