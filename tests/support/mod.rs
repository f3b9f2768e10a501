//! Helpers shared by the test binaries (each area's `main.rs` includes this module whole; what
//! an area does not use is dead code there, allowed in each file).

pub mod cli;
pub mod decode;
pub mod demo;
pub mod fixture;
pub mod mock;
pub mod outage;
pub mod postgres;
pub mod redis;
pub mod redis_cluster;
pub mod redis_sentinel;
pub mod script;
pub mod tls;
pub mod tmux;
pub mod ui;
pub mod vt;
