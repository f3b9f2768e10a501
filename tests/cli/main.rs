//! The binary's commands: memory exec/log/restore and the rest of the CLI, ask, config, doctor.
//! See tests/README.md for which file tests what.

#[path = "../support/mod.rs"]
mod support;

mod ask;
mod commands;
mod config;
mod doctor;
mod team;
