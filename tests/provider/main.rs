//! Model backends and the tool loop against loopback mock servers: the Messages API,
//! OpenAI-compatible servers, Bedrock, SSE decoding cut at every byte, record and replay, the agent.
//! See tests/README.md for which file tests what.

#[path = "../support/mod.rs"]
mod support;

mod agent;
mod anthropic;
mod bedrock;
mod openai;
mod record;
mod stream;
