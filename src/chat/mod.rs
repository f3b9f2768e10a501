//! Conversations: messages and their content blocks, built from streamed events.

pub mod accumulate;

pub use accumulate::{AccumulateError, Accumulator};
