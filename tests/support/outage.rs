//! The app on a store shared through a server, in tmux, while another machine writes and the
//! server goes away and comes back: the same steps for every kind of server.
#![allow(dead_code, clippy::unwrap_used, clippy::pedantic)]

use std::path::Path;

use memdeck::memory::{Expect, MemPath, MemoryStore, WriteCtx};

use super::tmux::Tmux;

/// A server the app's store lives on, seen from the test.
pub trait Server {
    /// A client of namespace `demo` on another machine (`johns-laptop`), made now.
    fn other(&self) -> Box<dyn MemoryStore>;
    fn kill(&mut self);
    fn restart(&mut self);
}

/// John's file `name` (`/memories/NAME`), written from the other machine.
pub fn john_writes(server: &dyn Server, name: &str, text: &str) {
    server
        .other()
        .save(
            &MemPath::parse(&format!("/memories/{name}")).unwrap(),
            text,
            Expect::Absent,
            WriteCtx::new("John", "create"),
        )
        .unwrap();
}

/// The app in a 150×40 pane reaching the store with `backend` (its flags), in namespace
/// `demo`, its files in `dir`; returned once the panel shows `/memories/before.md`, with the
/// screen then.
pub fn app_on(dir: &Path, backend: &str) -> (Tmux, String) {
    let dir = dir.display().to_string();
    let command = format!(
        "env -u MEMDECK_CONFIG XDG_CONFIG_HOME={dir} {bin} --provider demo --demo-speed 0 \
         {backend} --log-file {dir}/log --sessions-dir {dir}/sessions; echo memdeck exited $?; \
         sleep 30",
        bin = env!("CARGO_BIN_EXE_memdeck"),
    );
    let tmux = Tmux::start(150, 40, &command);
    let shown = tmux.wait_for("the shared file in the panel", |s| s.contains("before.md"));
    (tmux, shown)
}

/// Another machine's file is in the panel with its machine (and the store's description starts
/// `label`); the server dies: the app keeps running and says so in the status bar, a memory
/// command fails clearly; the server comes back: the status clears and what was written
/// meanwhile shows.
pub fn app_rides_out_an_outage(server: &mut dyn Server, dir: &Path, backend: &str, label: &str) {
    john_writes(server, "before.md", "from John\n");
    let (tmux, shown) = app_on(dir, backend);
    assert!(shown.contains(label), "{shown}");
    assert!(
        shown.contains("John@johns-laptop") || shown.contains("John@johns-lap"),
        "{shown}"
    );
    // A change from the other machine while the app runs.
    john_writes(server, "live.md", "live\n");
    tmux.wait_for("the live change", |s| s.contains("live.md"));

    server.kill();
    tmux.wait_for("the status bar to say the store is down", |s| {
        s.contains("shared memory unreachable")
    });
    // A turn that needs memory: the tool call fails with a clear error, the app goes on.
    tmux.text("What do we know?");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the failed memory call", |s| {
        s.contains("✗ memory view /memories") && !s.contains("streaming")
    });

    server.restart();
    john_writes(server, "while-down.md", "missed\n");
    let shown = tmux.wait_for("the catch-up", |s| {
        s.contains("while-down.md") && !s.contains("shared memory unreachable")
    });
    assert!(
        shown.contains("live.md") && shown.contains("before.md"),
        "{shown}"
    );
    tmux.keys(&["C-q"]);
    tmux.wait_for("the exit", |s| s.contains("memdeck exited 0"));
}
