//! Record and replay: calls recorded against the loopback mock of the Messages API, then played
//! back with no server, by `memdeck ask` and by the app in a real terminal: the same answers, the
//! same memories, the recorded pace, the key never in the file, a clear message for a prompt the
//! recording does not have.
//!
//! The app test needs tmux (`.ci/run` installs it).
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::cli;
use crate::support::mock;
use crate::support::script;
use crate::support::tmux;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use memdeck::provider::record::Recording;
use mock::{Mock, Reply};
use script::{Block, answer, tool};
use serde_json::json;
use tmux::Tmux;

const KEY: &str = "sk-ant-api03-recording-test-secret";
const PROMPT: &str = "ACME runs 40 stores.";

/// The mock's two answers to PROMPT: a memory write, then a reply; each sent in six pieces 40 ms
/// apart, so each call takes about a quarter of a second.
fn replies() -> Vec<Reply> {
    vec![
        Reply::sse(
            &answer(
                &[
                    Block::Text("Noting that. "),
                    tool(
                        "toolu_1",
                        json!({"command": "create", "path": "/memories/acme.md", "file_text": "ACME runs 40 stores.\n"}),
                    ),
                ],
                "tool_use",
            ),
            6,
            Duration::from_millis(40),
        ),
        Reply::sse(
            &answer(&[Block::Text("Saved to /memories/acme.md.")], "end_turn"),
            6,
            Duration::from_millis(40),
        ),
    ]
}

fn tmp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("memdeck-record-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

/// `memdeck` in `dir`, away from the user's configuration and keys.
fn memdeck(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_memdeck"));
    command
        .current_dir(dir)
        .args(["--sessions-dir", "sessions"])
        .env("XDG_CONFIG_HOME", dir)
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("ANTHROPIC_BASE_URL")
        .env_remove("MEMDECK_CONFIG")
        .env_remove("MEMDECK_SESSION");
    command
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Every memory file under `dir` with its text.
fn files(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let text = std::fs::read_to_string(&path).unwrap();
                out.insert(path.strip_prefix(dir).unwrap().to_owned(), text);
            }
        }
    }
    out
}

/// Milliseconds the recorded calls took, first event to last, summed.
fn recorded_ms(recording: &Recording) -> u64 {
    recording
        .calls
        .iter()
        .map(|c| c.events.last().map_or(0, |(at, _)| *at) - c.events[0].0)
        .sum()
}

#[test]
fn ask_records_against_the_mock_and_replays_offline() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mock = runtime.block_on(Mock::start(replies()));
    let t = tmp();
    let rec = t.path().join("hotel.jsonl");

    // At the hotel: the real API (the mock), recorded.
    let hotel = t.path().join("hotel");
    std::fs::create_dir(&hotel).unwrap();
    let recorded = memdeck(&hotel)
        .args(["--record", rec.to_str().unwrap(), "ask", PROMPT])
        .env("ANTHROPIC_API_KEY", KEY)
        .env("ANTHROPIC_BASE_URL", mock.url())
        .output()
        .unwrap();
    let (said, notes) = text(&recorded);
    assert!(recorded.status.success(), "{notes}");
    assert_eq!(
        said,
        "Noting that. \n[memory] create /memories/acme.md … ok\nSaved to /memories/acme.md.\n"
    );
    assert_eq!(mock.received().len(), 2);

    let file = std::fs::read_to_string(&rec).unwrap();
    assert!(!file.contains(KEY), "the key reached the recording");
    let recording = Recording::load(&rec).unwrap();
    assert!(
        recording.backend.starts_with("Anthropic"),
        "{}",
        recording.backend
    );
    let calls: Vec<(&str, &str, usize)> = recording
        .calls
        .iter()
        .map(|c| (c.tab.as_str(), c.prompt.as_str(), c.step))
        .collect();
    assert_eq!(calls, [("Alice", PROMPT, 0), ("Alice", PROMPT, 1)]);
    let gaps = recorded_ms(&recording);
    assert!(
        gaps >= 300,
        "the mock's pauses were not recorded: {gaps} ms"
    );

    // At the conference: no key, no server; the same prompt gets the same answer and memory.
    let venue = t.path().join("venue");
    std::fs::create_dir(&venue).unwrap();
    let started = Instant::now();
    let replayed = memdeck(&venue)
        .args(["--replay", rec.to_str().unwrap(), "ask", PROMPT])
        .env("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    let took = started.elapsed();
    let (again, notes) = text(&replayed);
    assert!(replayed.status.success(), "{notes}");
    assert_eq!(again, said);
    assert_eq!(mock.received().len(), 2, "the replay called the server");
    assert_eq!(
        files(&venue.join("memories")),
        files(&hotel.join("memories"))
    );
    assert!(
        took >= Duration::from_millis(gaps),
        "the replay did not keep the recorded pace: {took:?} for {gaps} ms of gaps"
    );

    // A prompt the recording does not have: one clear line, nothing answered.
    let other = memdeck(&venue)
        .args([
            "--replay",
            rec.to_str().unwrap(),
            "ask",
            "What about Globex?",
        ])
        .output()
        .unwrap();
    let (said, notes) = text(&other);
    assert_eq!(other.status.code(), Some(1));
    assert_eq!(said, "");
    assert_eq!(
        notes,
        format!(
            "memdeck: error: replay: Alice's turn 1 in hotel.jsonl was \"{PROMPT}\", not \
             \"What about Globex?\"; send the recorded prompts in the same order\n"
        )
    );
}

#[test]
fn sessions_built_by_ask_replay_turn_by_turn() {
    let t = tmp();
    let dir = t.path();
    let run = |args: &[&str]| {
        let output = cli::run(dir, args);
        let (said, notes) = text(&output);
        assert!(output.status.success(), "{args:?}: {notes}");
        said
    };
    // Two runs of ask append to one recording; the second continues the session's tab.
    let first = run(&[
        "--record",
        "demo.rec",
        "ask",
        "--session",
        "take",
        "--persona",
        "John",
        "Our customer is Acme; they run 40 stores.",
    ]);
    let second = run(&[
        "--record",
        "demo.rec",
        "ask",
        "--session",
        "take",
        "--persona",
        "John",
        "What do we know about the customer?",
    ]);
    let recording = Recording::load(&dir.join("demo.rec")).unwrap();
    let first_steps = recording
        .calls
        .iter()
        .filter(|c| c.prompt.starts_with("Our"))
        .count();
    assert!(first_steps >= 2, "{:?}", recording.calls);
    assert!(recording.calls.iter().all(|c| c.tab == "John"));

    // Replayed into another session, with a fresh memory directory, one ask at a time: the
    // second run starts at the recording's second turn because the session holds the first.
    let replay = |prompt: &str| {
        cli::memdeck(dir)
            .args(["--replay", "demo.rec", "--memory-dir", "venue"])
            .args(["ask", "--session", "show", "--persona", "John", prompt])
            .output()
            .unwrap()
    };
    let again = replay("Our customer is Acme; they run 40 stores.");
    assert_eq!(text(&again).0, first, "{}", text(&again).1);
    let again = replay("What do we know about the customer?");
    assert_eq!(text(&again).0, second, "{}", text(&again).1);
    assert_eq!(files(&dir.join("venue")), files(&dir.join("memories")));
    let over = replay("And their budget?");
    assert_eq!(over.status.code(), Some(1));
    assert!(
        text(&over)
            .1
            .contains("demo.rec has no more turns for John: the 2 recorded were all played"),
        "{}",
        text(&over).1
    );

    // doctor says what the recording holds, and that the provider is not used.
    let doctor = cli::run(dir, &["--replay", "demo.rec", "doctor"]);
    let report = text(&doctor).0;
    assert!(
        report.contains("turns per tab: John 2); the provider is not used"),
        "{report}"
    );
    // Recording and replaying at once is refused, by name.
    let both = cli::run(
        dir,
        &["--replay", "demo.rec", "--record", "x.rec", "ask", "hi"],
    );
    assert_eq!(both.status.code(), Some(2), "{}", text(&both).1);
    // A file that is not a recording is never appended to.
    std::fs::write(dir.join("notes.txt"), "my notes\n").unwrap();
    let refused = cli::run(dir, &["--record", "notes.txt", "ask", "hi"]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).1.contains("it is not a memdeck recording"),
        "{}",
        text(&refused).1
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "my notes\n"
    );
}

/// The app's command line against `url` (the mock, or nothing), with its files under `dir`.
fn app(dir: &Path, flag: &str, rec: &Path, url: &str, key: Option<&str>) -> String {
    let key = key.map_or(String::new(), |k| format!("ANTHROPIC_API_KEY={k} "));
    format!(
        "env -u MEMDECK_CONFIG XDG_CONFIG_HOME={dir} {key}ANTHROPIC_BASE_URL={url} {bin} {flag} {rec} \
         --memory-dir {dir}/memories --log-file {dir}/memdeck.log --sessions-dir {dir}/sessions; \
         echo memdeck exited $?; sleep 30",
        dir = dir.display(),
        bin = env!("CARGO_BIN_EXE_memdeck"),
        rec = rec.display(),
    )
}

#[test]
fn the_app_records_and_replays_offline() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mock = runtime.block_on(Mock::start(replies()));
    let t = tmp();
    let rec = t.path().join("demo.rec");
    let take = |command: String, typed: &str| {
        let tmux = Tmux::start(140, 40, &command);
        tmux.wait_for("the first screen", |s| s.contains("Alice ›"));
        tmux.text(typed);
        tmux.keys(&["Enter"]);
        tmux
    };

    let hotel = t.path().join("hotel");
    std::fs::create_dir(&hotel).unwrap();
    let tmux = take(
        app(&hotel, "--record", &rec, &mock.url(), Some(KEY)),
        PROMPT,
    );
    let recorded = tmux.wait_for("the recorded answer", |s| {
        s.contains("Saved to /memories/acme.md.") && !s.contains("streaming")
    });
    assert!(recorded.contains("recording to"), "{recorded}");
    tmux.keys(&["C-q"]);
    tmux.wait_for("the exit", |s| s.contains("memdeck exited 0"));
    assert_eq!(mock.received().len(), 2);
    assert!(!std::fs::read_to_string(&rec).unwrap().contains(KEY));

    // Offline: the base URL goes nowhere, and there is no key.
    let venue = t.path().join("venue");
    std::fs::create_dir(&venue).unwrap();
    let tmux = take(
        app(&venue, "--replay", &rec, "http://127.0.0.1:9", None),
        PROMPT,
    );
    let replayed = tmux.wait_for("the replayed answer", |s| {
        s.contains("Saved to /memories/acme.md.") && !s.contains("streaming")
    });
    assert!(replayed.contains("replay of"), "{replayed}");
    assert!(
        replayed.contains("memory create /memories/acme.md"),
        "{replayed}"
    );
    // A second prompt the recording does not have: the tab says so.
    tmux.text("And their budget?");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the replay's message", |s| {
        s.contains("has no more turns for Alice")
    });
    tmux.keys(&["C-q"]);
    tmux.wait_for("the exit", |s| s.contains("memdeck exited 0"));
    assert_eq!(mock.received().len(), 2, "the replay called the server");

    // The same memories, and the same conversation (the journal of each run's session).
    assert_eq!(
        files(&venue.join("memories")),
        files(&hotel.join("memories"))
    );
    let conversation = |dir: &Path| {
        let saved = memdeck::chat::session::load(&dir.join("sessions/default.jsonl")).unwrap();
        let alice = saved
            .tabs
            .iter()
            .find(|t| t.persona.name == "Alice")
            .unwrap();
        alice.messages.clone()
    };
    let hotel_messages = conversation(&hotel);
    let venue_messages = conversation(&venue);
    assert_eq!(hotel_messages.len(), 4);
    assert_eq!(venue_messages[..4], hotel_messages[..]);
}

/// A server (a misconfigured proxy) that echoes the key back in an error: the message on screen,
/// the log, the recording (which keeps the error, to replay it), the session and its export all
/// say `<redacted>`.
#[test]
fn an_echoed_key_is_redacted_on_screen_in_the_log_and_in_the_recording() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let body = format!(
        r#"{{"type":"error","error":{{"type":"invalid_request_error","message":"header x-api-key={KEY} is not allowed here"}}}}"#
    );
    let mock = runtime.block_on(Mock::start(vec![Reply::status(400, &[], &body)]));
    let t = tmp();
    let rec = t.path().join("echo.rec");
    let log = t.path().join("memdeck.log");
    let out = memdeck(t.path())
        .args(["--record", rec.to_str().unwrap(), "--log-level", "debug"])
        .args(["--log-file", log.to_str().unwrap(), "--session", "echo"])
        .args(["ask", PROMPT])
        .env("ANTHROPIC_API_KEY", KEY)
        .env("ANTHROPIC_BASE_URL", mock.url())
        .output()
        .unwrap();
    let (said, notes) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(said, "");
    assert!(
        notes.contains("header x-api-key=<redacted> is not allowed here"),
        "{notes}"
    );
    let recording = std::fs::read_to_string(&rec).unwrap();
    assert!(recording.contains("<redacted>"), "{recording}");
    for (what, text) in [("stderr", notes), ("recording", recording)] {
        assert!(!text.contains(KEY), "the key reached the {what}");
    }
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!log.contains(KEY), "the key reached the log");
    // The failed turn is in the session (journal on disk, `sessions show`, the export) with
    // the message, never the key.
    let journal = std::fs::read_to_string(t.path().join("sessions/echo.jsonl")).unwrap();
    assert!(journal.contains("is not allowed here"), "{journal}");
    let shown = memdeck(t.path())
        .args(["sessions", "show", "echo"])
        .output()
        .unwrap();
    let exported = memdeck(t.path())
        .args(["--session", "echo", "export", "--format", "html"])
        .output()
        .unwrap();
    assert!(
        text(&exported).0.contains("is not allowed here"),
        "{}",
        text(&exported).0
    );
    for (what, text) in [
        ("session journal", journal),
        ("sessions show", text(&shown).0),
        ("export", text(&exported).0),
    ] {
        assert!(!text.contains(KEY), "the key reached the {what}");
    }

    // Replayed, the same failure comes back, still without the key.
    let replayed = memdeck(t.path())
        .args(["--replay", rec.to_str().unwrap(), "ask", PROMPT])
        .output()
        .unwrap();
    assert_eq!(replayed.status.code(), Some(1));
    assert_eq!(text(&replayed).1, text(&out).1);
}

/// From script to venue: `memdeck demo record` plays every step of a script against the API
/// (the loopback mock) into a recording; with the server gone, `demo run --replay` gives the
/// same transcript and the same memory files, and `demo record` refuses what would not match.
#[test]
fn a_script_recorded_at_the_hotel_replays_at_the_venue() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let create = json!({"command": "create", "path": "/memories/globex.md", "file_text": "- Budget: $2M (from Alice)\n"});
    let view = json!({"command": "view", "path": "/memories/globex.md"});
    let quick = |body: Vec<u8>| Reply::sse(&body, 3, Duration::from_millis(10));
    let mock = runtime.block_on(Mock::start(vec![
        quick(answer(
            &[Block::Text("Saving. "), tool("toolu_1", create)],
            "tool_use",
        )),
        quick(answer(
            &[Block::Text("Saved to /memories/globex.md.")],
            "end_turn",
        )),
        quick(answer(&[tool("toolu_2", view)], "tool_use")),
        quick(answer(
            &[Block::Text("Globex's budget is $2M (Alice).")],
            "end_turn",
        )),
    ]));
    let t = tmp();
    let script = t.path().join("pitch.toml");
    std::fs::write(
        &script,
        "title = \"Globex pitch\"\n\
         [[step]]\npersona = \"Alice\"\nprompt = \"Globex has a $2M budget.\"\nnote = \"n\"\n\
         [[step]]\npersona = \"John\"\nprompt = \"What is Globex's budget?\"\nnote = \"n\"\n",
    )
    .unwrap();
    let rec = t.path().join("pitch.jsonl");
    let hotel = t.path().join("hotel");
    std::fs::create_dir(&hotel).unwrap();
    let recorded = memdeck(&hotel)
        .args(["demo", "record", script.to_str().unwrap(), "--output"])
        .arg(&rec)
        .env("ANTHROPIC_API_KEY", KEY)
        .env("ANTHROPIC_BASE_URL", mock.url())
        .output()
        .unwrap();
    let (said, notes) = text(&recorded);
    assert!(recorded.status.success(), "{notes}");
    assert_eq!(
        said,
        "── 1/2 · Alice ──\n> Globex has a $2M budget.\nSaving. \n[memory] create /memories/globex.md … ok\nSaved to /memories/globex.md.\n\n\
         ── 2/2 · John ──\n> What is Globex's budget?\n[memory] view /memories/globex.md … ok\nGlobex's budget is $2M (Alice).\n\n"
    );
    assert!(notes.contains("--demo "), "{notes}");
    assert_eq!(mock.received().len(), 4);
    assert!(!std::fs::read_to_string(&rec).unwrap().contains(KEY));
    let calls: Vec<(String, usize)> = Recording::load(&rec)
        .unwrap()
        .calls
        .iter()
        .map(|c| (c.tab.clone(), c.step))
        .collect();
    assert_eq!(
        calls,
        [
            ("Alice".to_owned(), 0),
            ("Alice".to_owned(), 1),
            ("John".to_owned(), 0),
            ("John".to_owned(), 1)
        ]
    );

    // The venue: no server, no key; the same transcript and memory from the recording.
    drop(mock);
    let venue = t.path().join("venue");
    std::fs::create_dir(&venue).unwrap();
    let replayed = memdeck(&venue)
        .args(["--replay", rec.to_str().unwrap(), "demo", "run"])
        .arg(&script)
        .env("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    let (again, notes) = text(&replayed);
    assert!(replayed.status.success(), "{notes}");
    assert_eq!(again, said);
    assert_eq!(
        files(&venue.join("memories")),
        files(&hotel.join("memories"))
    );

    // Recording again: on a memory that is not empty, or over the file, is refused.
    let refused = memdeck(&hotel)
        .args([
            "demo",
            "record",
            script.to_str().unwrap(),
            "--output",
            "again.jsonl",
        ])
        .env("ANTHROPIC_API_KEY", KEY)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused).1.contains("the memory store is not empty"));
    let over = memdeck(&venue.join("..").join("hotel"))
        .args([
            "--memory-dir",
            "empty",
            "demo",
            "record",
            script.to_str().unwrap(),
            "--output",
        ])
        .arg(&rec)
        .output()
        .unwrap();
    assert_eq!(over.status.code(), Some(2));
    assert!(
        text(&over).1.contains("exists already"),
        "{}",
        text(&over).1
    );
}

/// The app at the venue: `--demo team --replay FILE` with a recording made by `demo record`;
/// F5 types each tab's prompt and Enter answers it from the recording (offline, named so).
#[test]
fn the_app_replays_a_recorded_script_step_by_step() {
    let t = tmp();
    let rec = t.path().join("team.jsonl");
    let hotel = t.path().join("hotel");
    std::fs::create_dir(&hotel).unwrap();
    let recorded = memdeck(&hotel)
        .args([
            "--provider",
            "demo",
            "--demo-speed",
            "0",
            "demo",
            "record",
            "team",
            "--output",
        ])
        .arg(&rec)
        .output()
        .unwrap();
    assert!(recorded.status.success(), "{}", text(&recorded).1);
    let venue = t.path().join("venue");
    std::fs::create_dir(&venue).unwrap();
    let command = format!(
        "{} --demo team --replay {}; echo memdeck exited $?; sleep 30",
        tmux::memdeck(&venue, 0),
        rec.display()
    );
    let app = Tmux::start(160, 48, &command);
    app.wait_for("the replay named", |s| s.contains("replay of"));
    app.keys(&["F5"]);
    app.wait_for("Alice's prompt", |s| s.contains("I just got off the phone"));
    app.keys(&["Enter"]);
    app.wait_for("Alice's recorded answer", |s| {
        s.contains("Saved to /memories/acme_corp.md") && !s.contains("streaming")
    });
    app.keys(&["F5", "Enter"]);
    app.wait_for("her second step", |s| {
        s.contains("Updated /memories/acme_corp.md") && !s.contains("streaming")
    });
    let hotel_file = std::fs::read_to_string(hotel.join("memories/acme_corp.md")).unwrap();
    tmux::wait_for_file(&venue.join("memories/acme_corp.md"), "the same file", |t| {
        t == hotel_file
    });
    app.keys(&["C-q"]);
    app.wait_for("the exit", |s| s.contains("memdeck exited 0"));
}
