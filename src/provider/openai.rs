//! OpenAI-compatible chat completions (Ollama, llama.cpp's server, vLLM, LM Studio and the
//! like), streamed, turned into the same [`StreamEvent`]s as the Messages API.
//!
//! The conversation is kept in the Messages API's shape everywhere else; here it is written as
//! chat messages (tool uses become `tool_calls`, tool results `tool` messages, thinking is left
//! out), and the memory tool is offered as a function whose JSON schema describes the six
//! commands. Streamed chunks become a message: text and reasoning deltas open text and thinking
//! blocks; each tool call opens a `tool_use` block whose argument fragments arrive as
//! `input_json_delta`s, so the live tool cards work; a call sent in one piece is one fragment;
//! the finish reason and the usage (when the server reports it) end the message.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt, stream};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::http::{self, Body, Events};
use super::{
    Delta, EventStream, ModelInfo, ModelList, Provider, ProviderError, Request, StreamEvent, sse,
};

/// Ollama's address: a local server is the usual reason to use this backend.
pub const DEFAULT_BASE_URL: &str = "http://localhost:11434/v1";

/// How to reach the server.
#[derive(Clone)]
pub struct OpenAiConfig {
    /// The API's root, usually ending in `/v1`.
    pub base_url: String,
    /// Sent as a bearer token when set (local servers usually need none).
    pub api_key: Option<String>,
    /// `None`: the first model the server lists.
    pub model: Option<String>,
    pub connect_timeout: Duration,
    pub idle_timeout: Duration,
}

impl OpenAiConfig {
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: None,
            model: None,
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(300),
        }
    }
}

impl std::fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

/// The OpenAI-compatible backend.
pub struct OpenAi {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    config: OpenAiConfig,
    /// The model answering when none was configured: the server's first, asked once.
    first_model: tokio::sync::OnceCell<String>,
}

impl OpenAi {
    pub fn new(config: OpenAiConfig) -> Result<Self, ProviderError> {
        if reqwest::Url::parse(&config.base_url).is_err() {
            return Err(ProviderError::Setup(format!(
                "{:?} is not a URL; give the server's address, e.g. {DEFAULT_BASE_URL}",
                config.base_url
            )));
        }
        if let Some(key) = &config.api_key {
            HeaderValue::from_str(key).map_err(|_| {
                ProviderError::Setup(
                    "OPENAI_API_KEY contains characters a header cannot carry".to_owned(),
                )
            })?;
        }
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(|e| ProviderError::Setup(format!("cannot set up HTTP: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                config,
                first_model: tokio::sync::OnceCell::new(),
            }),
        })
    }

    /// The models the server offers (`GET /models`).
    pub async fn list_models(&self) -> Result<Vec<ModelInfo>, ProviderError> {
        self.inner.list_models().await
    }

    /// The server's address, for messages.
    pub fn base_url(&self) -> &str {
        &self.inner.config.base_url
    }
}

impl Inner {
    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.config.base_url.trim_end_matches('/'))
    }

    fn auth(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(key) = &self.config.api_key
            && let Ok(mut value) = HeaderValue::from_str(&format!("Bearer {key}"))
        {
            value.set_sensitive(true);
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        headers
    }

    async fn list_models(&self) -> Result<Vec<ModelInfo>, ProviderError> {
        let response = self
            .client
            .get(self.url("models"))
            .headers(self.auth())
            .timeout(Duration::from_secs(15))
            .send()
            .await
            .map_err(|e| ProviderError::Connection(http::describe(&e)))?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .map_err(|e| ProviderError::Connection(http::describe(&e)))?;
        if !(200..300).contains(&status) {
            return Err(error(status, &text, self.config.api_key.as_deref()));
        }
        http::model_page(&text)
    }

    /// The model to ask: the request's, the configured one, or the server's first.
    async fn model(&self, request: &Request) -> Result<String, ProviderError> {
        if let Some(model) = request.model.clone().or_else(|| self.config.model.clone()) {
            return Ok(model);
        }
        self.first_model
            .get_or_try_init(|| async {
                let models = self.list_models().await?;
                models.into_iter().next().map(|m| m.id).ok_or_else(|| {
                    ProviderError::Setup(format!(
                        "{} lists no models; load one, or pass --model",
                        self.config.base_url
                    ))
                })
            })
            .await
            .cloned()
    }
}

impl Provider for OpenAi {
    fn label(&self) -> String {
        let model = self
            .inner
            .config
            .model
            .as_deref()
            .or_else(|| self.inner.first_model.get().map(String::as_str))
            .unwrap_or("the server's model");
        format!(
            "OpenAI-compatible {model} at {}",
            self.inner.config.base_url
        )
    }

    fn models(&self) -> ModelList<'_> {
        Box::pin(self.inner.list_models())
    }

    fn stream(&self, request: &Request, cancel: CancellationToken) -> EventStream {
        let inner = self.inner.clone();
        let request = request.clone();
        http::deferred(async move {
            let model = inner.model(&request).await?;
            let mut headers = inner.auth();
            headers.insert(
                reqwest::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            let wire = Completions {
                post: http::Post {
                    url: inner.url("chat/completions"),
                    headers,
                    body: body(&request, &model).to_string(),
                },
                key: inner.config.api_key.clone(),
                model,
            };
            Ok(http::spawn(
                &inner.client,
                Arc::new(wire),
                inner.config.idle_timeout,
                cancel,
            ))
        })
    }
}

/// One chat-completions call.
struct Completions {
    post: http::Post,
    key: Option<String>,
    model: String,
}

impl http::Wire for Completions {
    fn request(&self, client: &reqwest::Client) -> Result<reqwest::RequestBuilder, ProviderError> {
        Ok(self.post.request(client))
    }

    fn error(&self, status: u16, _headers: &HeaderMap, body: &str) -> ProviderError {
        error(status, body, self.key.as_deref())
    }

    fn events(&self, body: Body) -> Events {
        events(body, self.model.clone())
    }

    fn secrets(&self) -> Vec<String> {
        self.key.iter().cloned().collect()
    }
}

/// An error status as a message that says what to do.
fn error(status: u16, body: &str, key: Option<&str>) -> ProviderError {
    let body = super::redact(body, &[key.unwrap_or_default()]);
    let (kind, said) = http::said(status, &body);
    let message = match status {
        401 | 403 => format!("the server refused the key ({said}); check OPENAI_API_KEY"),
        404 => format!(
            "not found ({said}); check the model (--model; `memdeck doctor` lists the server's) \
             and the base URL (it usually ends in /v1)"
        ),
        429 => format!("rate limited ({said}); wait a moment and try again"),
        500..=599 => format!("the server failed ({status}: {said}); try again shortly"),
        _ if said.to_lowercase().contains("tool") => format!(
            "the server refused the request ({status}: {said}); the model may not support tool \
             calls: choose one that does"
        ),
        _ => format!("the server refused the request ({status}: {said})"),
    };
    ProviderError::Http {
        status,
        kind,
        message,
        request_id: None,
    }
}

/// The memory tool as a function: the six commands and their fields.
pub fn memory_function() -> Value {
    json!({
        "type": "function",
        "function": {
            "name": "memory",
            "description": "Your persistent memory: text files under /memories, shared with \
                the rest of the team. Commands: view (a directory's listing, or a file with line \
                numbers; view_range [first, last] shows some lines), create (path, file_text: a \
                new file or a whole new text), str_replace (path, old_str that occurs exactly \
                once, new_str), insert (path, insert_line: the line to insert after, 0 for the \
                top, insert_text), delete (path: a file or directory), rename (old_path, \
                new_path). Every path starts with /memories.",
            "parameters": {
                "type": "object",
                "properties": {
                    "command": {
                        "type": "string",
                        "enum": ["view", "create", "str_replace", "insert", "delete", "rename"]
                    },
                    "path": {"type": "string", "description": "a path under /memories"},
                    "view_range": {
                        "type": "array",
                        "items": {"type": "integer"},
                        "minItems": 2,
                        "maxItems": 2,
                        "description": "view: first and last line (-1: to the end)"
                    },
                    "file_text": {"type": "string", "description": "create: the file's text"},
                    "old_str": {"type": "string", "description": "str_replace: the text to replace"},
                    "new_str": {"type": "string", "description": "str_replace: its replacement"},
                    "insert_line": {"type": "integer", "minimum": 0, "description": "insert: after this line"},
                    "insert_text": {"type": "string", "description": "insert: the text"},
                    "old_path": {"type": "string", "description": "rename: from"},
                    "new_path": {"type": "string", "description": "rename: to"}
                },
                "required": ["command"]
            }
        }
    })
}

/// The request body: the conversation as chat messages, streamed with usage.
pub fn body(request: &Request, model: &str) -> Value {
    let system = match &request.memory_index {
        Some(index) => format!("{}\n\n{index}", request.system),
        None => request.system.clone(),
    };
    let mut messages = vec![json!({"role": "system", "content": system})];
    for message in &request.messages {
        messages.extend(chat_messages(message));
    }
    let mut body = json!({
        "model": model,
        "messages": messages,
        "stream": true,
        "stream_options": {"include_usage": true},
        "max_tokens": request.max_tokens,
    });
    if request.tools {
        body["tools"] = json!([memory_function()]);
        body["tool_choice"] = json!("auto");
    }
    body
}

/// The text of a content that is a string or a list of blocks.
fn text_of(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter(|b| b["type"] == "text")
            .filter_map(|b| b["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// One message of the Messages API's shape as chat messages.
fn chat_messages(message: &Value) -> Vec<Value> {
    let content = &message["content"];
    match (message["role"].as_str(), content.as_array()) {
        (Some("assistant"), Some(blocks)) => {
            let text = text_of(content);
            let calls: Vec<Value> = blocks
                .iter()
                .filter(|b| b["type"] == "tool_use")
                .map(|b| {
                    json!({
                        "id": b["id"],
                        "type": "function",
                        "function": {"name": b["name"], "arguments": b["input"].to_string()},
                    })
                })
                .collect();
            let mut out = json!({"role": "assistant", "content": text});
            if !calls.is_empty() {
                if text.is_empty() {
                    out["content"] = Value::Null;
                }
                out["tool_calls"] = Value::Array(calls);
            }
            vec![out]
        }
        (Some("user"), Some(blocks)) => {
            // Tool results answer the assistant's calls, so they come first.
            let mut out: Vec<Value> = blocks
                .iter()
                .filter(|b| b["type"] == "tool_result")
                .map(|b| {
                    json!({
                        "role": "tool",
                        "tool_call_id": b["tool_use_id"],
                        "content": text_of(&b["content"]),
                    })
                })
                .collect();
            let text = text_of(content);
            if !text.is_empty() {
                out.push(json!({"role": "user", "content": text}));
            }
            out
        }
        (Some(role), _) => vec![json!({"role": role, "content": text_of(content)})],
        (None, _) => Vec::new(),
    }
}

/// What kind of block is open at an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Open {
    Text,
    Thinking,
    Tool,
}

/// Chunks to events.
#[derive(Debug, Default)]
pub struct Translate {
    model: String,
    started: bool,
    /// Blocks not yet stopped, by index.
    open: Vec<(usize, Open)>,
    next_index: usize,
    /// Our block index of each of the server's tool-call indices.
    tools: HashMap<u64, usize>,
    /// The text or thinking block taking deltas now.
    current: Option<(usize, Open)>,
    stop_reason: Option<String>,
    usage: Option<Value>,
    finished: bool,
}

impl Translate {
    pub fn new(model: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            ..Self::default()
        }
    }

    fn start(&mut self, id: &str, out: &mut Vec<StreamEvent>) {
        if self.started {
            return;
        }
        self.started = true;
        out.push(StreamEvent::MessageStart {
            message: json!({
                "id": if id.is_empty() { "chatcmpl" } else { id },
                "type": "message",
                "role": "assistant",
                "model": self.model,
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": {"input_tokens": 0, "output_tokens": 0},
            }),
        });
    }

    fn open_block(&mut self, kind: Open, block: Value, out: &mut Vec<StreamEvent>) -> usize {
        let index = self.next_index;
        self.next_index += 1;
        self.open.push((index, kind));
        out.push(StreamEvent::ContentBlockStart {
            index,
            content_block: block,
        });
        index
    }

    fn stop_block(&mut self, index: usize, out: &mut Vec<StreamEvent>) {
        if let Some(at) = self.open.iter().position(|(i, _)| *i == index) {
            self.open.remove(at);
            out.push(StreamEvent::ContentBlockStop { index });
        }
    }

    /// Text or thinking: into the current block of that kind, or a new one (which stops the
    /// other kind's).
    fn prose(&mut self, kind: Open, piece: &str, out: &mut Vec<StreamEvent>) {
        if piece.is_empty() {
            return;
        }
        let index = match self.current {
            Some((index, k)) if k == kind => index,
            other => {
                if let Some((index, _)) = other {
                    self.stop_block(index, out);
                }
                let block = match kind {
                    Open::Thinking => json!({"type": "thinking", "thinking": "", "signature": ""}),
                    _ => json!({"type": "text", "text": ""}),
                };
                let index = self.open_block(kind, block, out);
                self.current = Some((index, kind));
                index
            }
        };
        let delta = match kind {
            Open::Thinking => Delta::ThinkingDelta {
                thinking: piece.to_owned(),
            },
            _ => Delta::TextDelta {
                text: piece.to_owned(),
            },
        };
        out.push(StreamEvent::ContentBlockDelta { index, delta });
    }

    /// A fragment of a tool call. Tool blocks stay open until the message ends: a server may
    /// send one call's arguments after another call began.
    fn tool(&mut self, call: &Value, out: &mut Vec<StreamEvent>) {
        let key = call["index"].as_u64().unwrap_or(self.tools.len() as u64);
        let index = if let Some(index) = self.tools.get(&key) {
            *index
        } else {
            if let Some((index, _)) = self.current.take() {
                self.stop_block(index, out);
            }
            let id = call["id"]
                .as_str()
                .filter(|id| !id.is_empty())
                .map_or_else(|| format!("call_{}", self.tools.len()), str::to_owned);
            let name = call["function"]["name"].as_str().unwrap_or("memory");
            let index = self.open_block(
                Open::Tool,
                json!({"type": "tool_use", "id": id, "name": name, "input": {}}),
                out,
            );
            self.tools.insert(key, index);
            index
        };
        // Arguments are a JSON text, in pieces; some servers send the object itself.
        let piece = match &call["function"]["arguments"] {
            Value::String(text) => text.clone(),
            Value::Null => String::new(),
            object => object.to_string(),
        };
        if !piece.is_empty() {
            out.push(StreamEvent::ContentBlockDelta {
                index,
                delta: Delta::InputJsonDelta {
                    partial_json: piece,
                },
            });
        }
    }

    /// One chunk's events.
    pub fn chunk(&mut self, chunk: &Value) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        self.start(chunk["id"].as_str().unwrap_or_default(), &mut out);
        if let Some(usage) = chunk.get("usage").filter(|u| u.is_object()) {
            let n = |k: &str| usage[k].as_u64();
            let cached = usage["prompt_tokens_details"]["cached_tokens"].as_u64();
            self.usage = Some(json!({
                "input_tokens": n("prompt_tokens").map(|p| p - cached.unwrap_or(0).min(p)),
                "output_tokens": n("completion_tokens"),
                "cache_read_input_tokens": cached,
            }));
        }
        for choice in chunk["choices"].as_array().into_iter().flatten() {
            let delta = &choice["delta"];
            let reasoning = delta["reasoning_content"]
                .as_str()
                .or_else(|| delta["reasoning"].as_str());
            if let Some(piece) = reasoning {
                self.prose(Open::Thinking, piece, &mut out);
            }
            if let Some(piece) = delta["content"].as_str() {
                self.prose(Open::Text, piece, &mut out);
            }
            for call in delta["tool_calls"].as_array().into_iter().flatten() {
                self.tool(call, &mut out);
            }
            if let Some(reason) = choice["finish_reason"].as_str() {
                self.stop_reason = Some(
                    match reason {
                        "stop" => "end_turn",
                        "length" => "max_tokens",
                        "tool_calls" | "function_call" => "tool_use",
                        "content_filter" => "refusal",
                        other => other,
                    }
                    .to_owned(),
                );
                self.close_all(&mut out);
            }
        }
        out
    }

    fn close_all(&mut self, out: &mut Vec<StreamEvent>) {
        self.current = None;
        let open: Vec<usize> = self.open.iter().map(|(i, _)| *i).collect();
        for index in open {
            self.stop_block(index, out);
        }
    }

    /// The end of the answer (`[DONE]`, or the body's end after a finish reason): the stop
    /// reason, the usage and `message_stop`. Nothing when the answer never finished (the caller
    /// then reports it cut short).
    pub fn finish(&mut self) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        if self.finished || self.stop_reason.is_none() {
            return out;
        }
        self.finished = true;
        self.close_all(&mut out);
        let mut reason = self.stop_reason.clone();
        // Some servers say "stop" although they called tools.
        if !self.tools.is_empty() && reason.as_deref() == Some("end_turn") {
            reason = Some("tool_use".to_owned());
        }
        out.push(StreamEvent::MessageDelta {
            delta: json!({"stop_reason": reason, "stop_sequence": null}),
            usage: self.usage.clone(),
            context_management: None,
        });
        out.push(StreamEvent::MessageStop);
        out
    }
}

/// A chat-completions body's events (`[DONE]` or a finish reason ends the message).
pub fn events(body: Body, model: String) -> Events {
    struct State {
        frames: std::pin::Pin<
            Box<dyn futures_util::Stream<Item = Result<sse::Frame, ProviderError>> + Send>,
        >,
        translate: Translate,
        queue: VecDeque<Result<StreamEvent, ProviderError>>,
        done: bool,
    }
    let state = State {
        frames: Box::pin(sse::frames(body)),
        translate: Translate::new(model),
        queue: VecDeque::new(),
        done: false,
    };
    Box::pin(stream::unfold(state, |mut s| async move {
        loop {
            if let Some(item) = s.queue.pop_front() {
                return Some((item, s));
            }
            if s.done {
                return None;
            }
            match s.frames.next().await {
                None => {
                    s.done = true;
                    s.queue.extend(s.translate.finish().into_iter().map(Ok));
                }
                Some(Err(e)) => {
                    s.done = true;
                    s.queue.push_back(Err(e));
                }
                Some(Ok(frame)) => {
                    let data = frame.data.trim();
                    if data == "[DONE]" {
                        s.done = true;
                        s.queue.extend(s.translate.finish().into_iter().map(Ok));
                        continue;
                    }
                    if data.is_empty() {
                        continue;
                    }
                    match serde_json::from_str::<Value>(data) {
                        Ok(chunk) if chunk.get("error").is_some() => {
                            let (kind, message) = http::said(200, data);
                            s.done = true;
                            s.queue.push_back(Err(ProviderError::Stream {
                                kind: kind.unwrap_or_else(|| "error".to_owned()),
                                message,
                            }));
                        }
                        Ok(chunk) => s
                            .queue
                            .extend(s.translate.chunk(&chunk).into_iter().map(Ok)),
                        Err(_) if frame.at_end => {
                            s.done = true;
                            s.queue.push_back(Err(ProviderError::Interrupted));
                        }
                        Err(e) => {
                            s.done = true;
                            s.queue
                                .push_back(Err(ProviderError::Decode(format!("a chunk: {e}"))));
                        }
                    }
                }
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(messages: Vec<Value>) -> Request {
        Request {
            persona: "Alice".into(),
            model: None,
            system: "You are Alice's assistant.".into(),
            memory_index: None,
            tools: true,
            messages,
            max_tokens: 1000,
            thinking: super::super::Thinking::Off,
            context_editing: super::super::ContextEditing::Off,
        }
    }

    #[test]
    fn the_conversation_becomes_chat_messages() {
        let body = body(
            &request(vec![
                json!({"role": "user", "content": "Remember ACME."}),
                json!({"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "hm", "signature": "s"},
                    {"type": "text", "text": "Saving."},
                    {"type": "tool_use", "id": "call_1", "name": "memory", "input": {"command": "view", "path": "/memories"}}
                ]}),
                json!({"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "call_1", "content": "empty", "is_error": false}
                ]}),
            ]),
            "qwen3",
        );
        assert_eq!(body["model"], "qwen3");
        assert_eq!(body["stream"], true);
        assert_eq!(body["tools"][0]["function"]["name"], "memory");
        assert_eq!(
            body["messages"],
            json!([
                {"role": "system", "content": "You are Alice's assistant."},
                {"role": "user", "content": "Remember ACME."},
                {"role": "assistant", "content": "Saving.", "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "memory", "arguments": "{\"command\":\"view\",\"path\":\"/memories\"}"}}
                ]},
                {"role": "tool", "tool_call_id": "call_1", "content": "empty"}
            ])
        );
    }

    #[test]
    fn chunks_become_a_message_with_a_tool_use() {
        let mut t = Translate::new("qwen3");
        let mut events = Vec::new();
        for chunk in [
            json!({"id": "c1", "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Saving"}}]}),
            json!({"id": "c1", "choices": [{"index": 0, "delta": {"content": " it."}}]}),
            json!({"id": "c1", "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_9", "type": "function", "function": {"name": "memory", "arguments": "{\"comm"}}]}}]}),
            json!({"id": "c1", "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "and\":\"view\"}"}}]}}]}),
            json!({"id": "c1", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}),
            json!({"id": "c1", "choices": [], "usage": {"prompt_tokens": 120, "completion_tokens": 9}}),
        ] {
            events.extend(t.chunk(&chunk));
        }
        events.extend(t.finish());
        let mut acc = crate::chat::accumulate::Accumulator::new();
        for e in &events {
            acc.apply(e).unwrap();
        }
        let message = acc.message().unwrap();
        assert_eq!(message["stop_reason"], "tool_use");
        assert_eq!(message["usage"]["input_tokens"], 120);
        assert_eq!(message["usage"]["output_tokens"], 9);
        assert_eq!(
            message["content"],
            json!([
                {"type": "text", "text": "Saving it."},
                {"type": "tool_use", "id": "call_9", "name": "memory", "input": {"command": "view"}}
            ])
        );
        assert!(matches!(events.last(), Some(StreamEvent::MessageStop)));
    }

    #[test]
    fn a_call_in_one_piece_without_an_id_and_a_stop_that_should_say_tools() {
        let mut t = Translate::new("m");
        let mut events = t.chunk(&json!({"choices": [{"delta": {"tool_calls": [
            {"index": 0, "function": {"name": "memory", "arguments": {"command": "view", "path": "/memories"}}}
        ]}, "finish_reason": "stop"}]}));
        events.extend(t.finish());
        let mut acc = crate::chat::accumulate::Accumulator::new();
        for e in &events {
            acc.apply(e).unwrap();
        }
        let message = acc.message().unwrap();
        assert_eq!(message["stop_reason"], "tool_use");
        assert_eq!(message["content"][0]["id"], "call_0");
        assert_eq!(message["content"][0]["input"]["path"], "/memories");
    }

    #[test]
    fn an_answer_that_never_finished_has_no_end() {
        let mut t = Translate::new("m");
        t.chunk(&json!({"choices": [{"delta": {"content": "Hal"}}]}));
        assert!(t.finish().is_empty());
    }

    #[test]
    fn errors_say_what_to_do_and_never_show_the_key() {
        let e = error(404, r#"{"error":"model 'llama9' not found"}"#, None);
        assert!(
            e.to_string()
                .starts_with("not found (model 'llama9' not found); check the model"),
            "{e}"
        );
        let e = error(
            401,
            r#"{"error":{"message":"bad key sk-local-12345678"}}"#,
            Some("sk-local-12345678"),
        );
        assert_eq!(
            e.to_string(),
            "the server refused the key (bad key <redacted>); check OPENAI_API_KEY"
        );
    }
}
