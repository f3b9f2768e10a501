//! The TUI application's state: what each tab shows and how events change it. No terminal and
//! no waiting here; drawing lives in `ui`.

pub mod transcript;
