//! The offline demo model: the seed scenario, the shipped scripts played end to end, and the team
//! story for any customer.
//! See tests/README.md for which file tests what.

#[path = "../support/mod.rs"]
mod support;

mod hostile;
mod index;
mod scripts;
mod seed;
mod story;
