//! The terminal is always given back: after a panic, SIGTERM, SIGHUP, a closed window, Ctrl+Z
//! and `fg`, and resizes at any moment, each in the middle of a streamed answer. The real
//! binary in tmux on the slow demo model; every mode it turns on (raw mode, the alternate
//! screen, mouse reporting, bracketed paste, the hidden cursor) is checked to be off after.
//!
//! Needs tmux (`.ci/run` installs it).
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::tmux;

use std::path::Path;
use std::time::{Duration, Instant};

use tmux::{PATIENCE, Tmux, gone, memdeck};

/// Demo tokens a second: a turn takes several seconds, so there is time to act mid-stream.
const SLOW: u32 = 10;

const MESSAGE: &str = "Our customer Acme wants 40 TB migrated by March.";

/// The app in a pane that afterwards says whether the tty settings are what they were before,
/// prints the exit code, and echoes what is typed or pasted (`cat -v` shows escapes).
fn start(dir: &Path, env: &str) -> Tmux {
    let command = format!(
        "before=$(stty -g); {env} {}; code=$?; \
         [ \"$(stty -g)\" = \"$before\" ] && echo TTY-SAME || echo TTY-CHANGED; \
         echo memdeck exited $code; exec cat -v",
        memdeck(dir, SLOW)
    );
    let tmux = Tmux::start(120, 36, &command);
    tmux.wait_for("the first screen", |s| s.contains("Alice ›"));
    tmux
}

/// Send Alice's message and wait until her answer is streaming.
fn mid_stream(tmux: &Tmux) {
    tmux.text(MESSAGE);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the answer to stream", |s| {
        s.contains("Nothing on Acme in memory yet") && s.contains("Esc stop")
    });
}

/// Alice's turn has ended: her closing summary is shown and no tab streams.
fn finished(screen: &str) -> bool {
    screen.contains("• Wants 40 TB migrated") && !screen.contains("streaming")
}

/// The app has exited with `code` and left every terminal mode as it found it.
fn assert_restored(tmux: &Tmux, code: i32) -> String {
    let screen = tmux.wait_for("the exit", |s| s.contains("memdeck exited"));
    assert!(
        screen.contains(&format!("memdeck exited {code}")),
        "{screen}"
    );
    assert!(
        screen.contains("TTY-SAME"),
        "raw mode was left on:\n{screen}"
    );
    assert!(
        !screen.contains("Alice ›"),
        "the app's screen is still shown:\n{screen}"
    );
    assert_eq!(tmux.format("#{alternate_on}"), "0", "alternate screen");
    assert_eq!(
        tmux.format(
            "#{mouse_any_flag}#{mouse_button_flag}#{mouse_standard_flag}#{mouse_sgr_flag}#{mouse_all_flag}"
        ),
        "00000",
        "mouse reporting"
    );
    assert_eq!(tmux.format("#{cursor_flag}"), "1", "the cursor is hidden");
    // Bracketed paste off: a paste reaches `cat -v` without the 200~ / 201~ markers.
    tmux.paste("pasted-text");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the paste echoed", |s| s.contains("pasted-text"));
    assert!(
        !screen.contains("200~"),
        "bracketed paste was left on:\n{screen}"
    );
    screen
}

fn signal(pid: u32, name: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_panic_mid_stream_restores_the_terminal_then_prints_the_message() {
    let tmp = tempfile::tempdir().unwrap();
    let tmux = start(tmp.path(), "MEMDECK_TEST_PANIC=1");
    mid_stream(&tmux);
    signal(tmux.app_pid(), "USR1");
    let screen = assert_restored(&tmux, 101);
    // The message is on the normal screen, after the restore (not lost with the alternate one).
    assert!(
        screen.contains("a test asked for this panic"),
        "no panic message:\n{screen}"
    );
    let log = std::fs::read_to_string(tmp.path().join("memdeck.log")).unwrap();
    assert!(log.contains("a test asked for this panic"), "{log}");
}

#[test]
fn sigterm_mid_stream_restores_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let tmux = start(tmp.path(), "");
    mid_stream(&tmux);
    signal(tmux.app_pid(), "TERM");
    assert_restored(&tmux, 128 + 15);
}

#[test]
fn sighup_mid_stream_restores_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let tmux = start(tmp.path(), "");
    mid_stream(&tmux);
    signal(tmux.app_pid(), "HUP");
    assert_restored(&tmux, 128 + 1);
}

#[test]
fn closing_the_terminal_mid_stream_ends_the_app() {
    let tmp = tempfile::tempdir().unwrap();
    let tmux = start(tmp.path(), "");
    mid_stream(&tmux);
    let pid = tmux.app_pid();
    tmux.kill();
    let deadline = Instant::now() + PATIENCE;
    while !gone(pid) {
        assert!(
            Instant::now() < deadline,
            "memdeck (pid {pid}) still runs after its terminal closed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ctrl_z_suspends_and_fg_resumes_the_stream_at_the_new_size() {
    let tmp = tempfile::tempdir().unwrap();
    let tmux = Tmux::shell(120, 36);
    tmux.text("stty -g > before");
    tmux.keys(&["Enter"]);
    tmux.text(&memdeck(tmp.path(), SLOW));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the first screen", |s| s.contains("Alice ›"));
    mid_stream(&tmux);

    tmux.keys(&["C-z"]);
    tmux.wait_for("the shell's job report", |s| s.contains("Stopped"));
    assert_eq!(tmux.format("#{alternate_on}"), "0", "alternate screen");
    assert_eq!(tmux.format("#{mouse_any_flag}#{mouse_sgr_flag}"), "00");
    tmux.text("stty -g > after; cmp -s before after && echo TTY-SAME || echo TTY-CHANGED");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the tty check", |s| {
        s.contains("TTY-S") || s.contains("TTY-C")
    });
    assert!(
        screen.contains("TTY-SAME"),
        "raw mode was left on:\n{screen}"
    );

    // The window changes size while the app is stopped: no resize event reports that.
    tmux.resize(100, 30);
    tmux.text("fg");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the app again, its stream finished", finished);
    assert_eq!(tmux.format("#{alternate_on}"), "1");
    assert_eq!(
        tmux.format("#{mouse_sgr_flag}"),
        "1",
        "mouse reporting is back"
    );
    assert_eq!(
        screen.lines().count(),
        30,
        "the app must draw at the new size:\n{screen}"
    );
    let status = screen.lines().last().unwrap();
    assert!(
        status.starts_with(" demo model (offline)") && status.ends_with("F1 help"),
        "the status bar must span the new width:\n{screen}"
    );
    assert!(
        screen.lines().all(|l| !l.contains("Stopped")),
        "the shell's text must be gone:\n{screen}"
    );
    // Keys work again.
    tmux.text("still here");
    tmux.wait_for("typed text", |s| s.contains("still here"));
    tmux.keys(&["C-q"]);
    tmux.wait_for("the prompt", |s| s.trim_end().ends_with('$'));
    assert_eq!(tmux.format("#{alternate_on}"), "0");
}

/// The screen after resizes in the middle of a stream equals a full repaint of it (Ctrl+L):
/// nothing is left from an earlier size.
#[test]
fn resizing_mid_stream_leaves_no_trace() {
    let tmp = tempfile::tempdir().unwrap();
    let tmux = start(tmp.path(), "");
    mid_stream(&tmux);
    for (w, h) in [(100, 30), (80, 24), (140, 40), (50, 12), (90, 28)] {
        tmux.resize(w, h);
        let screen = tmux.wait_for(&format!("the app at {w}×{h}"), |s| {
            let lines: Vec<&str> = s.lines().collect();
            lines.len() == usize::from(h)
                && if w < 60 {
                    s.contains("too small")
                } else {
                    lines[h as usize - 1].ends_with("F1 help")
                }
        });
        assert!(screen.lines().all(|l| l.chars().count() <= usize::from(w)));
        std::thread::sleep(Duration::from_millis(150));
    }
    tmux.wait_for("the end of the stream", finished);
    // Let the last frames land, then compare with a full repaint. Digits are masked: the
    // panel's ages move on with the clock.
    std::thread::sleep(Duration::from_millis(300));
    let masked = |s: String| s.replace(|c: char| c.is_ascii_digit(), "0");
    let settled = masked(tmux.screen());
    tmux.keys(&["C-l"]);
    std::thread::sleep(Duration::from_millis(300));
    let repainted = masked(tmux.screen());
    assert_eq!(settled, repainted, "the resized screen kept traces");
    tmux.keys(&["C-q"]);
    assert_restored(&tmux, 0);
}
