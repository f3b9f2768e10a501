//! The Anthropic Messages API over HTTPS with server-sent events (the call itself, with its
//! retries, idle limit and cancellation, is [`http::spawn`]'s). The API key is sent as a
//! sensitive header and never logged or shown.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::{EventStream, ModelInfo, ModelList, Provider, ProviderError, Request, http, sse};

pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
pub const DEFAULT_MODEL: &str = "claude-sonnet-4-5";
pub const DEFAULT_VERSION: &str = "2023-06-01";
const FINE_GRAINED_TOOL_STREAMING_BETA: &str = "fine-grained-tool-streaming-2025-05-14";

/// How to reach the API.
#[derive(Clone)]
pub struct AnthropicConfig {
    pub base_url: String,
    pub api_key: String,
    pub model: String,
    /// `anthropic-version`: `2023-06-01`, or `2026-10-21` (we never send sampling parameters,
    /// which that version rejects).
    pub version: String,
    pub connect_timeout: Duration,
    /// Longest silence between two pieces of the body (pings count) before giving up.
    pub idle_timeout: Duration,
}

impl AnthropicConfig {
    pub fn new(api_key: impl Into<String>) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_key: api_key.into(),
            model: DEFAULT_MODEL.to_owned(),
            version: DEFAULT_VERSION.to_owned(),
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(90),
        }
    }
}

impl fmt::Debug for AnthropicConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnthropicConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .field("model", &self.model)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// The Anthropic backend.
#[derive(Debug)]
pub struct Anthropic {
    client: reqwest::Client,
    config: AnthropicConfig,
}

impl Anthropic {
    pub fn new(config: AnthropicConfig) -> Result<Self, ProviderError> {
        if config.api_key.trim().is_empty() {
            return Err(ProviderError::Setup(
                "no API key: set ANTHROPIC_API_KEY, or use the offline demo model".to_owned(),
            ));
        }
        HeaderValue::from_str(&config.api_key).map_err(|_| {
            ProviderError::Setup("the API key contains characters a header cannot carry".to_owned())
        })?;
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(|e| ProviderError::Setup(format!("cannot set up HTTPS: {e}")))?;
        Ok(Self { client, config })
    }

    /// The models this key may use (`GET /v1/models`, the first 100): a cheap authenticated
    /// request, for `memdeck doctor` and the model picker.
    pub async fn list_models(&self) -> Result<Vec<ModelInfo>, ProviderError> {
        let url = format!("{}/v1/models?limit=100", self.config.base_url);
        let mut key =
            HeaderValue::from_str(&self.config.api_key).unwrap_or(HeaderValue::from_static(""));
        key.set_sensitive(true);
        let response = self
            .client
            .get(url)
            .header("x-api-key", key)
            .header("anthropic-version", self.config.version.as_str())
            .timeout(Duration::from_secs(15))
            .send()
            .await
            .map_err(|e| ProviderError::Connection(http::describe(&e)))?;
        let status = response.status().as_u16();
        let request_id = http::header(response.headers(), "request-id").map(str::to_owned);
        let text = response
            .text()
            .await
            .map_err(|e| ProviderError::Connection(http::describe(&e)))?;
        if !(200..300).contains(&status) {
            return Err(http_error(status, &text, request_id.as_deref())
                .redacted(&[self.config.api_key.as_str()]));
        }
        http::model_page(&text)
    }

    /// The request body: never any sampling parameter.
    pub fn body(&self, request: &Request) -> Value {
        let mut body = messages_body(request);
        body["model"] = json!(request.model.as_deref().unwrap_or(&self.config.model));
        body["stream"] = json!(true);
        body
    }

    pub fn headers(&self, request: &Request) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let mut key =
            HeaderValue::from_str(&self.config.api_key).unwrap_or(HeaderValue::from_static(""));
        key.set_sensitive(true);
        headers.insert(HeaderName::from_static("x-api-key"), key);
        if let Ok(version) = HeaderValue::from_str(&self.config.version) {
            headers.insert(HeaderName::from_static("anthropic-version"), version);
        }
        if let Ok(betas) = HeaderValue::from_str(&betas(request).join(",")) {
            headers.insert(HeaderName::from_static("anthropic-beta"), betas);
        }
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("text/event-stream"),
        );
        headers
    }
}

impl Provider for Anthropic {
    fn compacts(&self) -> bool {
        true
    }

    fn label(&self) -> String {
        format!("Anthropic {}", self.config.model)
    }

    fn models(&self) -> ModelList<'_> {
        Box::pin(self.list_models())
    }

    fn stream(&self, request: &Request, cancel: CancellationToken) -> EventStream {
        let wire = Messages {
            post: http::Post {
                url: format!("{}/v1/messages", self.config.base_url.trim_end_matches('/')),
                headers: self.headers(request),
                body: self.body(request).to_string(),
            },
            key: self.config.api_key.clone(),
        };
        http::spawn(
            &self.client,
            Arc::new(wire),
            self.config.idle_timeout,
            cancel,
        )
    }
}

/// The body of a Messages request without `model` and `stream` (Bedrock puts the model in the
/// URL): the system prompt, the conversation, the memory tool, thinking and context editing.
pub fn messages_body(request: &Request) -> Value {
    let system = match &request.memory_index {
        Some(index) => json!([
            {"type": "text", "text": request.system},
            {"type": "text", "text": index},
        ]),
        None => json!(request.system),
    };
    let mut body = json!({
        "max_tokens": request.max_tokens,
        "system": system,
        "messages": request.messages,
    });
    if request.tools {
        body["tools"] = json!([{"type": "memory_20250818", "name": "memory"}]);
    }
    if let Some(thinking) = request.thinking.config() {
        body["thinking"] = thinking;
    }
    if let Some(cm) = request.context_editing.config(request.thinking) {
        body["context_management"] = cm;
    }
    body
}

/// The betas a request needs: context editing when it is on, and fine-grained tool streaming
/// (tool input arrives as it is written, for the live tool cards).
pub fn betas(request: &Request) -> Vec<&'static str> {
    let mut betas = vec![FINE_GRAINED_TOOL_STREAMING_BETA];
    if let Some(beta) = request.context_editing.beta() {
        betas.insert(0, beta);
    }
    betas
}

/// One call to the Messages API.
struct Messages {
    post: http::Post,
    key: String,
}

impl http::Wire for Messages {
    fn request(&self, client: &reqwest::Client) -> Result<reqwest::RequestBuilder, ProviderError> {
        Ok(self.post.request(client))
    }

    fn error(&self, status: u16, headers: &HeaderMap, body: &str) -> ProviderError {
        http_error(status, body, http::header(headers, "request-id"))
    }

    fn events(&self, body: http::Body) -> http::Events {
        Box::pin(sse::decode(body))
    }

    fn secrets(&self) -> Vec<String> {
        vec![self.key.clone()]
    }
}

/// An error status as a message that says what to do, with the API's own words and request id.
pub fn http_error(status: u16, body: &str, request_id_header: Option<&str>) -> ProviderError {
    let parsed: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let (kind, said) = http::said(status, body);
    let request_id = parsed["request_id"]
        .as_str()
        .or(request_id_header)
        .map(str::to_owned);
    let advice = match (status, kind.as_deref()) {
        (401, _) | (_, Some("authentication_error")) => {
            format!("the API key was rejected ({said}); check ANTHROPIC_API_KEY")
        }
        (403, _) | (_, Some("permission_error")) => {
            format!("the API key may not do this ({said})")
        }
        (404, _) | (_, Some("not_found_error")) => {
            format!(
                "not found ({said}); check the model name (--model or ANTHROPIC_MODEL) and ANTHROPIC_BASE_URL"
            )
        }
        (413, _) | (_, Some("request_too_large")) => {
            format!(
                "the request is too large ({said}); start a new conversation or turn on context editing"
            )
        }
        (429, _) | (_, Some("rate_limit_error")) => {
            format!("rate limited ({said}); wait a moment and try again")
        }
        (529, _) | (_, Some("overloaded_error")) => {
            format!("the Anthropic API is overloaded ({said}); try again shortly")
        }
        (500..=599, _) => format!("the Anthropic API failed ({status}: {said}); try again shortly"),
        _ => format!("the API refused the request ({status}: {said})"),
    };
    let message = match &request_id {
        Some(id) => format!("{advice} [request id {id}]"),
        None => advice,
    };
    ProviderError::Http {
        status,
        kind,
        message,
        request_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_never_shows_in_debug_output() {
        let config = AnthropicConfig::new("sk-ant-secret-123");
        assert!(!format!("{config:?}").contains("secret"));
        let provider = Anthropic::new(config).unwrap();
        assert!(!format!("{provider:?}").contains("secret"));
    }

    #[test]
    fn error_messages_say_what_to_do() {
        let e = http_error(
            401,
            r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_1"}"#,
            None,
        );
        assert_eq!(
            e.to_string(),
            "the API key was rejected (invalid x-api-key); check ANTHROPIC_API_KEY [request id req_1]"
        );
        let e = http_error(
            529,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
            Some("req_2"),
        );
        assert_eq!(
            e.to_string(),
            "the Anthropic API is overloaded (Overloaded); try again shortly [request id req_2]"
        );
        assert!(http_error(400, "", None).to_string().contains("HTTP 400"));
        let e = http_error(
            400,
            r#"{"error":{"type":"invalid_request_error","message":"messages: field required"}}"#,
            None,
        );
        assert!(e.to_string().contains("messages: field required"));
    }

    #[test]
    fn no_key_is_a_setup_error() {
        assert!(matches!(
            Anthropic::new(AnthropicConfig::new(" ")),
            Err(ProviderError::Setup(_))
        ));
    }
}
