//! memdeck: a tabbed, multi-persona terminal chat with Claude over one shared memory store.
//!
//! The binary (`src/main.rs`) and the integration tests both use this library. See
//! `ARCHITECTURE.md` for the map of modules and the data flow.

pub mod app;
pub mod chat;
pub mod clock;
pub mod config;
pub mod doctor;
pub mod logging;
pub mod memory;
pub mod provider;
pub mod safe;
pub mod tui;
pub mod ui;
