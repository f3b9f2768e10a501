//! The real binary in a real terminal: a detached tmux server of its own per test, driven with
//! `send-keys` and read with `capture-pane`. Needs tmux (`.ci/run` installs it).
#![allow(dead_code, clippy::unwrap_used, clippy::pedantic)]

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long any wait lasts before the test fails showing the screen.
pub const PATIENCE: Duration = Duration::from_secs(30);

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// A `width`×`height` terminal running `command` (through `sh -c`).
    pub fn start(width: u16, height: u16, command: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "memdeck-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let status = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            // Away from the repository's .env and memdeck.toml, and the user's config.toml.
            .args(["-c", env!("CARGO_TARGET_TMPDIR")])
            .arg(command)
            .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
            .env_remove("MEMDECK_CONFIG")
            .env_remove("ANTHROPIC_API_KEY")
            .env_remove("MEMDECK_LOG")
            .env_remove("RUST_BACKTRACE")
            .env("TERM", "xterm-256color")
            .status()
            .expect("tmux is needed for the terminal tests: apt-get install tmux");
        assert!(status.success(), "tmux did not start");
        let tmux = Self { socket };
        // Keep the pane (and what the command printed last) when the command ends.
        tmux.tmux(&["set-option", "-g", "remain-on-exit", "on"]);
        tmux
    }

    /// An interactive shell with job control (for Ctrl+Z and `fg`), prompt `$ `.
    pub fn shell(width: u16, height: u16) -> Self {
        let tmux = Self::start(
            width,
            height,
            "env -i PATH=/usr/bin:/bin TERM=xterm-256color PS1='$ ' bash --norc --noprofile -i",
        );
        tmux.wait_for("the shell's prompt", |s| s.trim_end().ends_with('$'));
        tmux
    }

    pub fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p"])
    }

    /// A tmux format for the pane, e.g. `#{alternate_on}`.
    pub fn format(&self, format: &str) -> String {
        self.tmux(&["display-message", "-p", format])
            .trim()
            .to_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Type `text` literally.
    pub fn text(&self, text: &str) {
        self.tmux(&["send-keys", "-l", "--", text]);
    }

    /// Paste `text` as a terminal does (bracketed when the program asked for it).
    pub fn paste(&self, text: &str) {
        self.tmux(&["set-buffer", "-b", "test", "--", text]);
        self.tmux(&["paste-buffer", "-p", "-b", "test"]);
    }

    pub fn resize(&self, width: u16, height: u16) {
        self.tmux(&[
            "resize-window",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
    }

    /// Wait until `check` holds for the screen, or fail showing it.
    pub fn wait_for(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        wait_until(what, "the screen", || self.screen(), check)
    }

    /// The process id of the `memdeck` started by the pane's shell.
    pub fn app_pid(&self) -> u32 {
        let shell: u32 = self.format("#{pane_pid}").parse().unwrap();
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(pid) = child_named(shell, "memdeck") {
                return pid;
            }
            assert!(Instant::now() < deadline, "no memdeck under pid {shell}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stop the server (its panes get SIGHUP, as when a terminal window is closed).
    pub fn kill(&self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A child of `parent` whose command name is `name`.
fn child_named(parent: u32, name: &str) -> Option<u32> {
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // pid (comm) state ppid ...: comm may hold spaces, so split after its ')'.
            let (head, tail) = stat.rsplit_once(')')?;
            let comm = head.split_once('(')?.1;
            let ppid: u32 = tail.split_whitespace().nth(1)?.parse().ok()?;
            (comm == name && ppid == parent).then_some(pid)
        })
}

/// Whether process `pid` is gone (or a zombie nobody has reaped yet).
pub fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, tail)| tail.split_whitespace().next())
            .is_some_and(|state| state == "Z" || state == "X"),
    }
}

/// Wait until the file at `path` satisfies `check`, or fail showing it.
pub fn wait_for_file(path: &Path, what: &str, check: impl Fn(&str) -> bool) -> String {
    wait_until(
        what,
        "the file",
        || std::fs::read_to_string(path).unwrap_or_default(),
        check,
    )
}

/// Read with `read` every 20 ms until `check` holds for what it gives, or fail after
/// [`PATIENCE`] showing the last reading (`shown`: what it is, for the message).
pub fn wait_until(
    what: &str,
    shown: &str,
    read: impl Fn() -> String,
    check: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let text = read();
        if check(&text) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; {shown}:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The app's command line on the demo model, with its memory, log and sessions under `dir`.
pub fn memdeck(dir: &Path, speed: u32) -> String {
    format!(
        "{} --provider demo --demo-speed {speed} --memory-dir {} --log-file {} --sessions-dir {}",
        env!("CARGO_BIN_EXE_memdeck"),
        dir.join("memories").display(),
        dir.join("memdeck.log").display(),
        dir.join("sessions").display(),
    )
}

/// The app on the demo model (`speed` tokens a second, 0: at once) in a `width`×`height`
/// pane, with `env` (`NAME=value …`, may be empty) before it, its first screen up; the pane
/// says "memdeck exited N" when it ends.
pub fn app_in(dir: &Path, speed: u32, (width, height): (u16, u16), env: &str) -> Tmux {
    let command = format!(
        "{env} {}; echo memdeck exited $?; sleep 30",
        memdeck(dir, speed)
    );
    let tmux = Tmux::start(width, height, &command);
    tmux.wait_for("the first screen", |s| s.contains("Alice ›"));
    tmux
}

impl Tmux {
    /// Quit the app with Ctrl+Q; a turn's last work (extraction) may still be going, which the
    /// app asks about: yes.
    pub fn quit_app(&self) {
        self.keys(&["C-q"]);
        let left = self.wait_for("the exit or its question", |s| {
            s.contains("memdeck exited 0") || s.contains("A turn is streaming")
        });
        if !left.contains("memdeck exited 0") {
            self.keys(&["y"]);
            self.wait_for("the exit", |s| s.contains("memdeck exited 0"));
        }
    }
}
