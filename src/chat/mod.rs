//! Conversations: messages and their content blocks, built from streamed events, and the
//! tool-use loop that runs a user turn.

pub mod accumulate;
pub mod agent;
pub mod ask;
pub mod cost;
pub mod export;
pub mod persona;
pub mod play;
pub mod script;
pub mod session;
pub mod transcript;

pub use accumulate::{AccumulateError, Accumulator};
pub use agent::{Agent, AgentEvent, Conversation, TurnError, TurnOptions, TurnSummary};
pub use persona::Persona;
