//! Claude on AWS Bedrock, through the streaming invoke endpoint
//! (`InvokeModelWithResponseStream`).
//!
//! The body is the Messages request without `model` and `stream` (the model is in the URL), with
//! `anthropic_version: "bedrock-2023-05-31"` and the betas in `anthropic_beta`. Each attempt is
//! signed with `SigV4` (service `bedrock`). Credentials and region come as the AWS CLI finds them
//! (`aws-config`: the environment, the shared config and credentials files, profiles, SSO,
//! `credential_process`, instance roles), fetched once and again when they expire. The response
//! is AWS event-stream frames whose `chunk` payloads carry base64 Messages API events; exception
//! frames become errors that say what to do. The endpoint can be moved with
//! `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` or `AWS_ENDPOINT_URL` (the model list: `..._BEDROCK`).

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use base64::Engine as _;
use futures_util::{StreamExt, stream};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::event::{Decoded, decode_event};
use super::eventstream::{Decoder, Message};
use super::http::{self, Body, Events};
use super::{EventStream, ModelInfo, ModelList, Provider, ProviderError, Request, StreamEvent};

pub use super::BEDROCK_MODEL as DEFAULT_MODEL;
const VERSION: &str = "bedrock-2023-05-31";

/// How to reach Bedrock.
#[derive(Clone, Debug)]
pub struct BedrockConfig {
    /// A Bedrock model id or inference profile.
    pub model: String,
    /// Overrides the region AWS would find (`AWS_REGION`, the profile's).
    pub region: Option<String>,
    /// Overrides `AWS_PROFILE`.
    pub profile: Option<String>,
    /// Where the runtime and control-plane requests go instead of AWS (a proxy, a test
    /// server); by default from `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` / `AWS_ENDPOINT_URL_BEDROCK`
    /// / `AWS_ENDPOINT_URL`.
    pub runtime_endpoint: Option<String>,
    pub control_endpoint: Option<String>,
    pub connect_timeout: Duration,
    pub idle_timeout: Duration,
}

impl BedrockConfig {
    /// The defaults, with the endpoints the environment names.
    pub fn new(model: impl Into<String>) -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Self {
            model: model.into(),
            region: None,
            profile: None,
            runtime_endpoint: var("AWS_ENDPOINT_URL_BEDROCK_RUNTIME")
                .or_else(|| var("AWS_ENDPOINT_URL")),
            control_endpoint: var("AWS_ENDPOINT_URL_BEDROCK").or_else(|| var("AWS_ENDPOINT_URL")),
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(90),
        }
    }
}

/// The Bedrock backend.
pub struct Bedrock {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    config: BedrockConfig,
    aws: tokio::sync::OnceCell<Aws>,
    /// Credentials fetched, kept until shortly before they expire.
    cached: Mutex<Option<Credentials>>,
}

/// What `aws-config` found.
struct Aws {
    region: String,
    credentials: SharedCredentialsProvider,
}

impl Bedrock {
    pub fn new(config: BedrockConfig) -> Result<Self, ProviderError> {
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(|e| ProviderError::Setup(format!("cannot set up HTTPS: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                config,
                aws: tokio::sync::OnceCell::new(),
                cached: Mutex::new(None),
            }),
        })
    }

    /// The Anthropic models and inference profiles this account can call in its region: a
    /// cheap signed request, for `memdeck doctor` and the model picker.
    pub async fn list_models(&self) -> Result<Vec<ModelInfo>, ProviderError> {
        self.inner.list_models().await
    }

    /// The region requests go to (after credentials and region are found).
    pub async fn region(&self) -> Result<String, ProviderError> {
        Ok(self.inner.aws().await?.region.clone())
    }
}

impl Inner {
    async fn aws(&self) -> Result<&Aws, ProviderError> {
        self.aws
            .get_or_try_init(|| async {
                let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
                if let Some(profile) = &self.config.profile {
                    loader = loader.profile_name(profile);
                }
                if let Some(region) = &self.config.region {
                    loader = loader.region(aws_config::Region::new(region.clone()));
                }
                let sdk = loader.load().await;
                let region = sdk.region().map(ToString::to_string).ok_or_else(|| {
                    ProviderError::Setup(
                        "no AWS region: set AWS_REGION, a region in the profile \
                         (~/.aws/config), or --aws-region"
                            .to_owned(),
                    )
                })?;
                let credentials = sdk.credentials_provider().ok_or_else(|| {
                    ProviderError::Setup("no AWS credentials provider could be set up".to_owned())
                })?;
                Ok(Aws {
                    region,
                    credentials,
                })
            })
            .await
    }

    /// Credentials, from the cache while they have more than five minutes left.
    async fn credentials(&self) -> Result<(Credentials, String), ProviderError> {
        let aws = self.aws().await?;
        let fresh = |c: &Credentials| {
            c.expiry()
                .is_none_or(|e| e > SystemTime::now() + Duration::from_secs(300))
        };
        let cached = self
            .cached
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .filter(fresh);
        let credentials = match cached {
            Some(c) => c,
            None => {
                let c = aws.credentials.provide_credentials().await.map_err(|e| {
                    ProviderError::Setup(format!(
                        "no AWS credentials ({}); set AWS_ACCESS_KEY_ID and \
                         AWS_SECRET_ACCESS_KEY, choose a profile (AWS_PROFILE or --aws-profile), \
                         or run `aws sso login`",
                        http::describe(&e)
                    ))
                })?;
                *self.cached.lock().unwrap_or_else(PoisonError::into_inner) = Some(c.clone());
                c
            }
        };
        Ok((credentials, aws.region.clone()))
    }

    /// The streaming invoke URL of `model`.
    fn runtime_url(&self, region: &str, model: &str) -> String {
        let base = self
            .config
            .runtime_endpoint
            .clone()
            .unwrap_or_else(|| format!("https://bedrock-runtime.{region}.amazonaws.com"));
        format!(
            "{}/model/{}/invoke-with-response-stream",
            base.trim_end_matches('/'),
            encode_segment(model)
        )
    }

    fn control_url(&self, region: &str, path: &str) -> String {
        let base = self
            .config
            .control_endpoint
            .clone()
            .unwrap_or_else(|| format!("https://bedrock.{region}.amazonaws.com"));
        format!("{}/{path}", base.trim_end_matches('/'))
    }

    async fn list_models(&self) -> Result<Vec<ModelInfo>, ProviderError> {
        let (credentials, region) = self.credentials().await?;
        let mut models = Vec::new();
        for (path, list, id_field, name_field) in [
            (
                "inference-profiles?maxResults=1000",
                "inferenceProfileSummaries",
                "inferenceProfileId",
                "inferenceProfileName",
            ),
            (
                "foundation-models?byProvider=Anthropic",
                "modelSummaries",
                "modelId",
                "modelName",
            ),
        ] {
            let url = self.control_url(&region, path);
            let headers = sign("GET", &url, &HeaderMap::new(), b"", &credentials, &region)?;
            let response = self
                .client
                .get(&url)
                .headers(headers)
                .timeout(Duration::from_secs(15))
                .send()
                .await
                .map_err(|e| ProviderError::Connection(http::describe(&e)))?;
            let status = response.status().as_u16();
            let response_headers = response.headers().clone();
            let text = response
                .text()
                .await
                .map_err(|e| ProviderError::Connection(http::describe(&e)))?;
            if !(200..300).contains(&status) {
                return Err(error(status, &response_headers, &text, &credentials));
            }
            let page: Value = serde_json::from_str(&text)
                .map_err(|e| ProviderError::Decode(format!("the model list: {e}")))?;
            for item in page[list].as_array().into_iter().flatten() {
                let Some(id) = item[id_field].as_str() else {
                    continue;
                };
                if !id.contains("anthropic") {
                    continue;
                }
                models.push(ModelInfo {
                    id: id.to_owned(),
                    display_name: item[name_field].as_str().unwrap_or(id).to_owned(),
                    ..ModelInfo::default()
                });
            }
        }
        Ok(models)
    }
}

impl Provider for Bedrock {
    fn label(&self) -> String {
        let region = self.inner.aws.get().map(|a| a.region.as_str()).or(self
            .inner
            .config
            .region
            .as_deref());
        match region {
            Some(region) => format!("Bedrock {} ({region})", self.inner.config.model),
            None => format!("Bedrock {}", self.inner.config.model),
        }
    }

    fn models(&self) -> ModelList<'_> {
        Box::pin(self.inner.list_models())
    }

    fn stream(&self, request: &Request, cancel: CancellationToken) -> EventStream {
        let inner = self.inner.clone();
        let request = request.clone();
        http::deferred(async move {
            let (credentials, region) = inner.credentials().await?;
            let model = request.model.as_deref().unwrap_or(&inner.config.model);
            let url = inner.runtime_url(&region, model);
            let wire = Invoke {
                url,
                body: body(&request).to_string(),
                credentials,
                region,
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

/// The request body Bedrock takes.
pub fn body(request: &Request) -> Value {
    let mut body = super::anthropic::messages_body(request);
    body["anthropic_version"] = json!(VERSION);
    body["anthropic_beta"] = json!(super::anthropic::betas(request));
    body
}

/// A model id as one path segment: everything but unreserved characters and `:` encoded.
fn encode_segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `SigV4` headers for a request (service `bedrock`), added to `headers`.
pub fn sign(
    method: &str,
    url: &str,
    headers: &HeaderMap,
    body: &[u8],
    credentials: &Credentials,
    region: &str,
) -> Result<HeaderMap, ProviderError> {
    sign_at(
        method,
        url,
        headers,
        body,
        credentials,
        region,
        SystemTime::now(),
    )
}

/// [`sign`] at a given time (tests compare with signatures computed elsewhere).
pub fn sign_at(
    method: &str,
    url: &str,
    headers: &HeaderMap,
    body: &[u8],
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
) -> Result<HeaderMap, ProviderError> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    let failed =
        |e: &dyn std::fmt::Display| ProviderError::Setup(format!("cannot sign the request: {e}"));
    let identity = credentials.clone().into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("bedrock")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| failed(&e))?
        .into();
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)))
        .collect();
    let signable = SignableRequest::new(method, url, pairs.into_iter(), SignableBody::Bytes(body))
        .map_err(|e| failed(&e))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| failed(&e))?
        .into_parts();
    let mut out = headers.clone();
    for (name, value) in instructions.headers() {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| failed(&e))?;
        let mut value = HeaderValue::from_str(value).map_err(|e| failed(&e))?;
        if name == reqwest::header::AUTHORIZATION || name.as_str() == "x-amz-security-token" {
            value.set_sensitive(true);
        }
        out.insert(name, value);
    }
    Ok(out)
}

/// One streaming invocation.
struct Invoke {
    url: String,
    body: String,
    credentials: Credentials,
    region: String,
}

impl http::Wire for Invoke {
    fn request(&self, client: &reqwest::Client) -> Result<reqwest::RequestBuilder, ProviderError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/vnd.amazon.eventstream"),
        );
        // Signed for each attempt: the signature holds the time.
        let headers = sign(
            "POST",
            &self.url,
            &headers,
            self.body.as_bytes(),
            &self.credentials,
            &self.region,
        )?;
        Ok(client
            .post(&self.url)
            .headers(headers)
            .body(self.body.clone()))
    }

    fn error(&self, status: u16, headers: &HeaderMap, body: &str) -> ProviderError {
        error(status, headers, body, &self.credentials)
    }

    fn events(&self, body: Body) -> Events {
        events(body)
    }

    fn secrets(&self) -> Vec<String> {
        let c = &self.credentials;
        [Some(c.secret_access_key()), c.session_token()]
            .into_iter()
            .flatten()
            .map(str::to_owned)
            .collect()
    }
}

/// Words and a hint for an AWS error type (`AccessDeniedException`, `throttlingException`...).
fn advice(kind: &str, said: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    let said_lower = said.to_ascii_lowercase();
    if lower.contains("accessdenied") {
        if said_lower.contains("model") {
            format!(
                "Bedrock denied access to the model ({said}); enable it for this account and \
                 region in the Bedrock console (Model access), or pick another (--model)"
            )
        } else {
            format!(
                "access denied ({said}); the credentials need bedrock:InvokeModelWithResponseStream \
                 (and bedrock:ListFoundationModels for the model list)"
            )
        }
    } else if lower.contains("unrecognizedclient")
        || lower.contains("invalidsignature")
        || lower.contains("expiredtoken")
        || lower.contains("invalidclienttoken")
    {
        format!(
            "AWS rejected the credentials ({said}); check AWS_PROFILE, the keys, or run `aws sso \
             login` again"
        )
    } else if lower.contains("throttling") || lower.contains("toomanyrequests") {
        format!(
            "Bedrock is throttling requests ({said}); wait a moment, or ask AWS for a higher quota"
        )
    } else if lower.contains("resourcenotfound") || lower.contains("notfound") {
        format!(
            "not found ({said}); check the model id (--model, e.g. {DEFAULT_MODEL}) and that \
             it is offered in this region"
        )
    } else if lower.contains("validation") {
        if said_lower.contains("on-demand") || said_lower.contains("inference profile") {
            format!(
                "Bedrock refused the request ({said}); this model needs an inference profile id \
                 such as {DEFAULT_MODEL}"
            )
        } else {
            format!("Bedrock refused the request ({said})")
        }
    } else if lower.contains("modeltimeout") {
        format!("the model timed out ({said}); try again")
    } else if lower.contains("serviceunavailable") || lower.contains("internalserver") {
        format!("Bedrock failed ({said}); try again shortly")
    } else if lower.contains("modelstreamerror") || lower.contains("modelerror") {
        format!("the model failed while answering ({said}); try again")
    } else {
        format!("Bedrock reported {kind} ({said})")
    }
}

/// An error status as a message that says what to do.
fn error(status: u16, headers: &HeaderMap, body: &str, credentials: &Credentials) -> ProviderError {
    let body = super::redact(
        body,
        &[
            credentials.secret_access_key(),
            credentials.session_token().unwrap_or_default(),
        ],
    );
    let (_, said) = http::said(status, &body);
    // The error type: `x-amzn-ErrorType` (`AccessDeniedException:http://...`), or `__type`.
    let parsed: Value = serde_json::from_str(&body).unwrap_or_default();
    let kind = http::header(headers, "x-amzn-errortype")
        .map(|t| t.split(':').next().unwrap_or(t).to_owned())
        .or_else(|| {
            parsed["__type"]
                .as_str()
                .map(|t| t.rsplit('#').next().unwrap_or(t).to_owned())
        })
        .unwrap_or_else(|| match status {
            403 => "AccessDeniedException".to_owned(),
            404 => "ResourceNotFoundException".to_owned(),
            429 => "ThrottlingException".to_owned(),
            400 => "ValidationException".to_owned(),
            _ => format!("HTTP {status}"),
        });
    let request_id = http::header(headers, "x-amzn-requestid").map(str::to_owned);
    let advice = advice(&kind, &said);
    let message = match &request_id {
        Some(id) => format!("{advice} [request id {id}]"),
        None => advice,
    };
    ProviderError::Http {
        status,
        kind: Some(kind),
        message,
        request_id,
    }
}

/// What one event-stream message means.
fn message_event(message: &Message) -> Result<Option<StreamEvent>, ProviderError> {
    match message.header(":message-type") {
        Some("event") => {
            if message.header(":event-type") != Some("chunk") {
                return Ok(None);
            }
            let payload: Value = serde_json::from_slice(&message.payload)
                .map_err(|e| ProviderError::Decode(format!("a Bedrock chunk: {e}")))?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(payload["bytes"].as_str().unwrap_or_default())
                .map_err(|e| ProviderError::Decode(format!("a Bedrock chunk's bytes: {e}")))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| ProviderError::Decode("a Bedrock chunk is not UTF-8".to_owned()))?;
            let name: Value = serde_json::from_str(&text)
                .map_err(|e| ProviderError::Decode(format!("a Bedrock event: {e}")))?;
            let name = name["type"].as_str().unwrap_or_default().to_owned();
            match decode_event(&name, &text) {
                Ok(Decoded::Event(event)) => Ok(Some(event)),
                Ok(Decoded::Skip) => Ok(None),
                Ok(Decoded::Error(body)) => Err(ProviderError::Stream {
                    kind: body.kind,
                    message: body.message,
                }),
                Err(e) => Err(ProviderError::Decode(format!(
                    "a Bedrock `{name}` event: {e}"
                ))),
            }
        }
        Some("exception") => {
            let kind = message
                .header(":exception-type")
                .unwrap_or("exception")
                .to_owned();
            let payload: Value = serde_json::from_slice(&message.payload).unwrap_or_default();
            let said = payload["message"]
                .as_str()
                .or_else(|| payload["Message"].as_str())
                .or_else(|| payload["originalMessage"].as_str())
                .unwrap_or("no message")
                .to_owned();
            Err(ProviderError::Stream {
                message: advice(&kind, &said),
                kind,
            })
        }
        Some("error") => {
            let kind = message.header(":error-code").unwrap_or("error").to_owned();
            let said = message.header(":error-message").unwrap_or("no message");
            Err(ProviderError::Stream {
                message: advice(&kind, said),
                kind,
            })
        }
        _ => Ok(None),
    }
}

/// An event-stream body's Messages API events.
pub fn events(body: Body) -> Events {
    struct State {
        body: Body,
        decoder: Decoder,
        done: bool,
    }
    let state = State {
        body,
        decoder: Decoder::new(),
        done: false,
    };
    Box::pin(stream::unfold(state, |mut s| async move {
        loop {
            if s.done {
                return None;
            }
            match s.decoder.next_message() {
                Err(e) => {
                    s.done = true;
                    return Some((Err(ProviderError::Decode(e)), s));
                }
                Ok(Some(message)) => match message_event(&message) {
                    Ok(Some(event)) => return Some((Ok(event), s)),
                    Ok(None) => continue,
                    Err(e) => {
                        s.done = true;
                        return Some((Err(e), s));
                    }
                },
                Ok(None) => {}
            }
            match s.body.next().await {
                Some(Ok(chunk)) => s.decoder.push(&chunk),
                Some(Err(e)) => {
                    s.done = true;
                    return Some((Err(ProviderError::Connection(e)), s));
                }
                None => {
                    s.done = true;
                    // A frame cut short: the body ended inside it.
                    if s.decoder.pending() > 0 {
                        return Some((Err(ProviderError::Interrupted), s));
                    }
                    return None;
                }
            }
        }
    }))
}

/// Test helpers: an event-stream frame as Bedrock sends it.
pub fn chunk_frame(event_json: &str) -> Vec<u8> {
    use super::eventstream::Value as V;
    let bytes = base64::engine::general_purpose::STANDARD.encode(event_json);
    Message {
        headers: vec![
            (":event-type".into(), V::String("chunk".into())),
            (":content-type".into(), V::String("application/json".into())),
            (":message-type".into(), V::String("event".into())),
        ],
        payload: json!({"bytes": bytes, "p": "abcdefghijklmnopqrstuvwxyz"})
            .to_string()
            .into_bytes(),
    }
    .encode()
}

/// An exception frame as Bedrock sends it.
pub fn exception_frame(kind: &str, message: &str) -> Vec<u8> {
    use super::eventstream::Value as V;
    Message {
        headers: vec![
            (":exception-type".into(), V::String(kind.into())),
            (":content-type".into(), V::String("application/json".into())),
            (":message-type".into(), V::String("exception".into())),
        ],
        payload: json!({"message": message}).to_string().into_bytes(),
    }
    .encode()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_ids_stay_one_path_segment() {
        assert_eq!(encode_segment(DEFAULT_MODEL), DEFAULT_MODEL);
        assert_eq!(
            encode_segment("arn:aws:bedrock:us-east-1:123:inference-profile/x y"),
            "arn:aws:bedrock:us-east-1:123:inference-profile%2Fx%20y"
        );
    }

    #[test]
    fn the_body_has_the_bedrock_version_and_betas_and_no_model() {
        let request = Request {
            persona: "Alice".into(),
            model: None,
            system: "s".into(),
            memory_index: None,
            tools: true,
            messages: vec![json!({"role": "user", "content": "hi"})],
            max_tokens: 100,
            thinking: super::super::Thinking::Off,
            context_editing: super::super::ContextEditing::Demo,
        };
        let body = body(&request);
        assert_eq!(body["anthropic_version"], "bedrock-2023-05-31");
        assert_eq!(
            body["anthropic_beta"],
            json!([
                "context-management-2025-06-27",
                "fine-grained-tool-streaming-2025-05-14"
            ])
        );
        assert!(body.get("model").is_none() && body.get("stream").is_none());
        assert_eq!(body["tools"][0]["type"], "memory_20250818");
    }

    /// The signature matches one computed independently (by a short Python `SigV4` written from
    /// the AWS documentation) for the same request: the model id's `:` is encoded once more in
    /// the canonical path, the port is in the host, the session token is signed.
    #[test]
    fn sigv4_matches_an_independent_computation() {
        let creds = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            Some("session-token-example".into()),
            None,
            "test",
        );
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert(
            "accept",
            HeaderValue::from_static("application/vnd.amazon.eventstream"),
        );
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160); // 2015-08-30T12:36:00Z
        let signed = sign_at(
            "POST",
            "http://127.0.0.1:4010/model/global.anthropic.claude-sonnet-4-5-20250929-v1:0/invoke-with-response-stream",
            &headers,
            br#"{"a":1}"#,
            &creds,
            "us-east-1",
            time,
        )
        .unwrap();
        assert_eq!(
            signed["authorization"],
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/bedrock/aws4_request, \
             SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token, \
             Signature=240b8d206369817bfbb6668446b12c1e192a2df462abface22fc65c5e8e83ac4"
        );
        assert_eq!(signed["x-amz-date"], "20150830T123600Z");
        assert_eq!(signed["x-amz-security-token"], "session-token-example");
        assert!(signed["authorization"].is_sensitive());
    }

    #[test]
    fn errors_say_what_to_do() {
        let creds = Credentials::new("AKID", "secret-key-1234567", None, None, "test");
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-amzn-errortype",
            HeaderValue::from_static("AccessDeniedException:http://internal.amazon.com/coral/"),
        );
        headers.insert("x-amzn-requestid", HeaderValue::from_static("req-1"));
        let e = error(
            403,
            &headers,
            r#"{"message":"You don't have access to the model with the specified model ID."}"#,
            &creds,
        );
        assert!(
            e.to_string()
                .contains("enable it for this account and region"),
            "{e}"
        );
        assert!(e.to_string().ends_with("[request id req-1]"), "{e}");
        let e = error(
            429,
            &HeaderMap::new(),
            r#"{"message":"Too many requests"}"#,
            &creds,
        );
        assert!(e.to_string().contains("throttling"), "{e}");
        let e = error(
            400,
            &HeaderMap::new(),
            r#"{"message":"bad secret-key-1234567"}"#,
            &creds,
        );
        assert!(!e.to_string().contains("secret-key-1234567"), "{e}");
    }
}
