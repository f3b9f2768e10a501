//! The app as a state machine and as a whole loop without a terminal: `App::update`,
//! whole screens (insta), transcripts, saved sessions, exports, demo scripts in the app, the
//! headless real loop.
//! See tests/README.md for which file tests what.

#[path = "../support/mod.rs"]
mod support;

mod export;
mod headless;
mod screens;
mod scripts;
mod sessions;
mod team;
mod transcript;
mod update;
