//! The memory store: the reference texts, the conformance suite over both backends, hostile paths,
//! history, the model-based property test, concurrency across processes, event storms, snapshots
//! and Redis.
//! See tests/README.md for which file tests what.

#[path = "../support/mod.rs"]
mod support;

mod conformance;
mod history;
mod hostile;
mod index;
mod leases;
mod model;
mod postgres;
mod processes;
mod receipts;
mod redis;
mod reference;
mod snapshots;
mod watch_storm;
