//! `memdeck export`: a session as one document, turns in time order and every memory change
//! (who, which file, the diff) where it happened; Markdown and HTML.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::cli;

use std::path::Path;

use cli::run;

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The binary as it is run against the API (no demo flag, a key set), for what costs money;
/// these commands never call the API.
fn priced(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_memdeck"))
        .current_dir(dir)
        .args(["--sessions-dir", "sessions"])
        .args(args)
        .env("XDG_CONFIG_HOME", dir)
        .env("ANTHROPIC_API_KEY", "sk-ant-test-not-used")
        .env_remove("MEMDECK_CONFIG")
        .env_remove("MEMDECK_SESSION")
        .env_remove("MEMDECK_PROVIDER")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Alice tells, a person corrects the file, John asks: the document says so in that order.
fn demo(dir: &Path) {
    ok(
        dir,
        &[
            "--session",
            "acme",
            "ask",
            "--persona",
            "Alice",
            "Our customer Acme wants 40 TB migrated by March.",
        ],
    );
    ok(
        dir,
        &[
            "memory",
            "exec",
            "--actor",
            "you",
            r#"{"command":"str_replace","path":"/memories/acme.md","old_str":"40 TB","new_str":"45 TB <b>"}"#,
        ],
    );
    ok(
        dir,
        &[
            "--session",
            "acme",
            "ask",
            "--persona",
            "John",
            "Propose an architecture from what we know.",
        ],
    );
}

fn position(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} is not in\n{text}"))
}

#[test]
fn markdown_in_time_order_with_diffs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    demo(dir);
    let text = ok(dir, &["--session", "acme", "export"]);
    assert!(text.starts_with("# memdeck session “acme”\n"), "{text}");
    assert!(
        text.contains(
            "Alice (Discovery), John (Solution Architect) · 2 turn(s) · 3 memory change(s)"
        ),
        "{text}"
    );
    let order = [
        "· Alice (Discovery)",
        "**Alice:** Our customer Acme wants 40 TB migrated by March.",
        "> memory create /memories/acme.md ✓",
        "Alice created /memories/acme.md",
        "+- Wants 40 TB migrated (from Alice)",
        "+- Deadline: March (from Alice)",
        "you changed /memories/acme.md",
        "-- Wants 40 TB migrated",
        "+- Wants 45 TB <b> migrated",
        "· John (Solution Architect)",
        "**John:** Propose an architecture",
        "John created /memories/acme_architecture.md",
        "+- Data: 45 TB",
    ];
    let positions: Vec<usize> = order.iter().map(|n| position(&text, n)).collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "out of order: {positions:?}\n{text}"
    );

    // To a file; the default session is named when it does not exist.
    let out = run(dir, &["--session", "acme", "export", "--output", "out.md"]);
    assert!(out.status.success());
    let file = std::fs::read_to_string(dir.join("out.md")).unwrap();
    assert_eq!(without_time(&file), without_time(&text));
    let missing = run(dir, &["export"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no session \"default\""));
}

/// The document without its "Exported at" line.
fn without_time(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("> Exported "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn html_is_one_escaped_page() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    demo(dir);
    let page = ok(dir, &["--session", "acme", "export", "--format", "html"]);
    assert!(page.starts_with("<!doctype html>"), "{page}");
    assert!(
        page.contains("<h2>")
            && page.contains("<span class=\"add\">+- Wants 45 TB &lt;b&gt; migrated"),
        "{page}"
    );
    assert!(!page.contains("45 TB <b>"), "text is escaped");
    assert!(page.trim_end().ends_with("</html>"));
}

/// The document's cost section: per persona and in total, at the configured prices; `sessions
/// show` has the same lines.
#[test]
fn cost_per_persona_and_in_total_at_the_configured_prices() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    demo(dir);
    // On the demo model (no key) the document says nothing was billed.
    let free = ok(dir, &["--session", "acme", "export"]);
    assert!(
        free.contains("(demo model: no cost)")
            && free.contains("the offline demo model costs nothing")
            && !free.contains("≈$"),
        "{free}"
    );
    // With the API as the backend: a dollar per input token, nothing for output, so each
    // tab's cost is its input tokens.
    std::fs::write(
        dir.join("memdeck.toml"),
        "model = \"claude-sonnet-4-5\"\n[prices.claude-sonnet]\ninput = 1000000.0\noutput = 0.0\ncache_read = 0.0\n",
    )
    .unwrap();
    let saved = memdeck::chat::session::load(&dir.join("sessions/acme.jsonl")).unwrap();
    let input = |name: &str| {
        saved
            .tabs
            .iter()
            .find(|t| t.persona.name == name)
            .unwrap()
            .input
    };
    let (alice, john) = (input("Alice"), input("John"));
    assert!(alice > 0 && john > 0);
    let thousands = memdeck::chat::cost::thousands;
    let expected = [
        format!("- Alice: ≈${alice}.00 ({} in, ", thousands(alice)),
        format!("- John: ≈${john}.00 ({} in, ", thousands(john)),
        format!(
            "- Total: ≈${}.00 ({} in, ",
            alice + john,
            thousands(alice + john)
        ),
    ];
    let text = priced(dir, &["--session", "acme", "export"]);
    let cost = position(&text, "## Cost");
    assert!(cost < position(&text, "· Alice (Discovery)\n"), "{text}");
    for line in &expected {
        assert!(position(&text, line) > cost, "{line}");
    }
    let show = priced(dir, &["sessions", "show", "acme"]);
    for line in &expected {
        assert!(show.contains(line.as_str()), "{line} not in\n{show}");
    }
    // A model with no price: tokens only, and the total says why it has no money.
    let priceless = priced(dir, &["--model", "local-llama", "sessions", "show", "acme"]);
    assert!(
        priceless.contains("- Alice: ") && priceless.contains("(local-llama has no price)"),
        "{priceless}"
    );
    assert!(
        priceless.contains("- Total: ") && !priceless.contains("≈$"),
        "{priceless}"
    );
}

/// A memory path that looks like HTML is text in the Markdown export, never markup.
#[test]
fn paths_are_never_raw_html_in_markdown() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    ok(
        dir,
        &[
            "--session",
            "s",
            "ask",
            "--persona",
            "Alice",
            "Remember Acme.",
        ],
    );
    ok(
        dir,
        &[
            "memory",
            "exec",
            r#"{"command":"create","path":"/memories/<img src=x onerror=alert(1)>.md","file_text":"x\n"}"#,
        ],
    );
    let md = ok(dir, &["--session", "s", "export"]);
    let outside_fences: String = md.split("```").step_by(2).collect::<Vec<_>>().join("");
    assert!(!outside_fences.contains("<img"), "{md}");
    assert!(md.contains("&lt;img src=x onerror=alert(1)&gt;.md"), "{md}");
}
