//! Conversations: messages and their content blocks, built from streamed events; the tool-use
//! loop that runs a user turn (`agent`), and everything the app and the CLI share about them:
//! personas, prices, a tab's transcript as shown, the session journal, exports, demo scripts,
//! and `ask` / `demo run` output.

pub mod accumulate;
pub mod agent;
pub mod ask;
pub mod copy;
pub mod cost;
pub mod export;
pub mod extract;
pub mod persona;
pub mod play;
pub mod script;
pub mod session;
pub mod team;
pub mod transcript;

pub use accumulate::{AccumulateError, Accumulator};
pub use agent::{Agent, AgentEvent, Conversation, TurnError, TurnOptions, TurnSummary};
pub use persona::Persona;
