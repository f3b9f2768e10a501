//! The real binary in a real terminal (tmux), on the demo model: Alice's message streams and her
//! memory file appears in the panel; John, in the second tab, gets an answer quoting it; a file
//! edited in the panel changes on disk; Ctrl+Q leaves the terminal as it was.
//!
//! Needs tmux (`.ci/run` installs it).
#![allow(clippy::unwrap_used, clippy::pedantic)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(width: u16, height: u16, command: &str) -> Self {
        let socket = format!("memdeck-e2e-{}", std::process::id());
        let status = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .arg(command)
            .env_remove("ANTHROPIC_API_KEY")
            .env("TERM", "xterm-256color")
            .status()
            .expect("tmux is needed for the end-to-end test: apt-get install tmux");
        assert!(status.success(), "tmux did not start");
        Self { socket }
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p"])
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    fn text(&self, text: &str) {
        self.tmux(&["send-keys", "-l", "--", text]);
    }

    /// Wait until `check` holds for the screen, or fail showing it.
    fn wait_for(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if check(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

fn wait_for_file(path: &Path, what: &str, check: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if check(&text) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; the file:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn alice_tells_john_asks_a_person_edits() {
    let tmp = tempfile::tempdir().unwrap();
    let memories = tmp.path().join("memories");
    let command = format!(
        "{} --provider demo --demo-speed 400 --memory-dir {} --log-file {}; echo memdeck exited $?; sleep 30",
        env!("CARGO_BIN_EXE_memdeck"),
        memories.display(),
        tmp.path().join("memdeck.log").display(),
    );
    let tmux = Tmux::start(160, 48, &command);
    tmux.wait_for("the first screen", |s| {
        s.contains("Alice ›") && s.contains("demo model (offline)")
    });

    tmux.text("Our customer Acme Corp wants to migrate 40 TB to the cloud by March.");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Alice's tool card", |s| {
        s.contains("memory create /memories/acme.md")
    });
    let screen = tmux.wait_for("her file in the panel", |s| {
        s.contains("acme.md") && s.contains("Alice│") && s.contains("↳")
    });
    assert!(screen.contains("● Alice (Discovery)"), "{screen}");
    let acme = memories.join("acme.md");
    wait_for_file(&acme, "acme.md on disk", |t| t.contains("40 TB"));

    tmux.keys(&["M-2"]);
    tmux.wait_for("John's tab", |s| s.contains("John · Solution Architect"));
    tmux.text("What do we know about the customer?");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("John's answer from memory", |s| {
        s.contains("From /memories/acme.md") && s.contains("40 TB to the cloud by March")
    });
    assert!(screen.contains("memory view /memories/acme.md"), "{screen}");

    // Focus the panel, open the file, edit it, save.
    tmux.keys(&["Tab", "Tab"]);
    tmux.wait_for("the panel's keys", |s| s.contains("e edit"));
    tmux.keys(&["Down", "Enter"]);
    tmux.wait_for("the open file", |s| s.contains("─ /memories/acme.md"));
    tmux.keys(&["e"]);
    tmux.wait_for("the editor", |s| s.contains("Editing /memories/acme.md"));
    tmux.text("Decision maker: Dana (CTO). ");
    tmux.keys(&["C-s"]);
    tmux.wait_for("saved", |s| s.contains("saved"));
    let text = wait_for_file(&acme, "the edit on disk", |t| {
        t.contains("Decision maker: Dana")
    });
    assert!(text.contains("40 TB"), "{text}");
    let log = Command::new(env!("CARGO_BIN_EXE_memdeck"))
        .args([
            "--memory-dir",
            memories.to_str().unwrap(),
            "memory",
            "log",
            "/memories/acme.md",
        ])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&log.stdout);
    assert!(log.contains(" Alice ") && log.contains(" you "), "{log}");

    tmux.keys(&["Escape"]);
    tmux.wait_for("the editor to close and John's turn to end", |s| {
        !s.contains("Editing /memories") && !s.contains("streaming")
    });
    tmux.keys(&["C-q"]);
    let screen = tmux.wait_for("the exit", |s| s.contains("memdeck exited 0"));
    assert!(
        !screen.contains("Alice ›"),
        "the alternate screen was left:\n{screen}"
    );
}
