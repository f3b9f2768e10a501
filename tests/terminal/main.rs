//! The terminal: the real binary in tmux (end to end, the terminal given back after signals, panics
//! and resizes), the screen writer's bytes, and text made safe for the screen.
//! See tests/README.md for which file tests what.

#[path = "../support/mod.rs"]
mod support;

mod attention;
mod e2e;
mod restore;
mod text;
mod writer;
