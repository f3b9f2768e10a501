//! Drawing. Reads application state and writes to a frame; no I/O, no waiting. So far: text
//! preparation for the chat pane; the screen itself comes with the TUI.

pub mod text;
