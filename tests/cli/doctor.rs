//! `memdeck doctor`: each problem found and said with a fix; the provider checked with one
//! authenticated request to a loopback mock of the API.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::mock;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use memdeck::config::{Config, ConfigError, Environment, Flags, load};
use memdeck::doctor::{Finding, Level, TerminalInfo, examine, report};
use mock::{Mock, Reply};

const KEY: &str = "sk-ant-doctor-key-0123456789";

fn env(cwd: &Path, vars: &[(&str, &str)]) -> Environment {
    let mut map: HashMap<String, String> = [("TERM", "xterm-256color"), ("LANG", "C.UTF-8")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (k, v) in vars {
        map.insert(k.to_string(), v.to_string());
    }
    Environment {
        vars: map,
        cwd: cwd.to_owned(),
        config_home: Some(cwd.join("no-config-home")),
    }
}

fn tmp() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::Builder::new()
        .prefix("memdeck-doctor-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let cwd = tmp.path().to_owned();
    (tmp, cwd)
}

const TERMINAL: TerminalInfo = TerminalInfo {
    is_terminal: true,
    size: Some((160, 48)),
};

fn find<'a>(findings: &'a [Finding], area: &str, level: Level, text: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.area == area && f.level == level && f.text.contains(text))
        .unwrap_or_else(|| {
            panic!(
                "no {level:?} {area} finding with {text:?} in\n{}",
                report(findings).0
            )
        })
}

async fn doctor(config: &Result<Config, ConfigError>, env: &Environment) -> Vec<Finding> {
    examine(config, env, &TERMINAL).await
}

#[tokio::test]
async fn a_healthy_setup_with_the_api() {
    let models = r#"{"data":[{"type":"model","id":"claude-sonnet-4-5-20250929","display_name":"Claude Sonnet 4.5"},
                             {"type":"model","id":"claude-opus-4-1-20250805","display_name":"Claude Opus 4.1"}],
                     "has_more":false}"#;
    let mock = Mock::start(vec![Reply::status(
        200,
        &[("content-type", "application/json")],
        models,
    )])
    .await;
    let (_tmp, cwd) = tmp();
    std::fs::create_dir_all(cwd.join("memories/team")).unwrap();
    std::fs::write(cwd.join("memories/team/notes.md"), "fine\n").unwrap();
    let env = env(
        &cwd,
        &[
            ("ANTHROPIC_API_KEY", KEY),
            ("ANTHROPIC_BASE_URL", &mock.url()),
        ],
    );
    let config = load(&Flags::default(), &env);
    let findings = doctor(&config, &env).await;
    let (text, failed) = report(&findings);
    assert!(!failed, "{text}");
    assert!(text.ends_with("all good\n"), "{text}");
    find(&findings, "memory", Level::Ok, "writable, 1 file(s)");
    find(
        &findings,
        "provider",
        Level::Ok,
        "the key is accepted (2 models offered)",
    );
    find(
        &findings,
        "provider",
        Level::Ok,
        "model claude-sonnet-4-5 is offered",
    );
    assert!(!text.contains(KEY));
    let received = mock.received();
    assert_eq!(received.len(), 1);
    assert!(
        received[0].head.starts_with("GET /v1/models"),
        "{}",
        received[0].head
    );
    assert_eq!(received[0].header("x-api-key").as_deref(), Some(KEY));
    assert_eq!(
        received[0].header("anthropic-version").as_deref(),
        Some("2023-06-01")
    );
    assert!(
        std::fs::read_dir(cwd.join("memories")).unwrap().count() == 1,
        "the write probe is gone"
    );
}

#[tokio::test]
async fn a_rejected_key_and_an_unknown_model() {
    let body = r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_9"}"#;
    let mock = Mock::start(vec![
        Reply::status(401, &[("content-type", "application/json")], body),
        Reply::status(200, &[], r#"{"data":[{"id":"claude-opus-4-1-20250805"}]}"#),
    ])
    .await;
    let (_tmp, cwd) = tmp();
    let env = env(
        &cwd,
        &[
            ("ANTHROPIC_API_KEY", KEY),
            ("ANTHROPIC_BASE_URL", &mock.url()),
        ],
    );
    let config = load(&Flags::default(), &env);
    let findings = doctor(&config, &env).await;
    let f = find(&findings, "provider", Level::Fail, "rejected");
    assert!(
        f.text.contains("ANTHROPIC_API_KEY") && f.text.contains("req_9"),
        "{f:?}"
    );
    assert!(report(&findings).1, "a failure");
    find(&findings, "memory", Level::Ok, "created at the first start");

    let findings = doctor(&config, &env).await;
    let f = find(
        &findings,
        "provider",
        Level::Warn,
        "\"claude-sonnet-4-5\" is not in the list",
    );
    assert!(
        f.fix.as_ref().unwrap().contains("claude-opus-4-1-20250805"),
        "{f:?}"
    );
}

#[tokio::test]
async fn an_unreachable_api_says_so() {
    let (_tmp, cwd) = tmp();
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let env = env(
        &cwd,
        &[("ANTHROPIC_API_KEY", KEY), ("ANTHROPIC_BASE_URL", &url)],
    );
    let findings = doctor(&load(&Flags::default(), &env), &env).await;
    let f = find(&findings, "provider", Level::Fail, "cannot reach");
    assert!(f.fix.as_ref().unwrap().contains("--provider demo"), "{f:?}");
}

#[tokio::test]
async fn leftovers_in_the_memory_directory() {
    let (_tmp, cwd) = tmp();
    let mem = cwd.join("memories");
    std::fs::create_dir_all(&mem).unwrap();
    std::fs::write(mem.join("ok.md"), "fine\n").unwrap();
    std::os::unix::fs::symlink("/etc/hostname", mem.join("link.md")).unwrap();
    std::fs::write(mem.join("big.md"), vec![b'x'; 2 * 1024 * 1024]).unwrap();
    std::fs::write(mem.join("bin.md"), [0xff, 0xfe, 0x00]).unwrap();
    std::fs::write(mem.join("two.md"), "linked\n").unwrap();
    std::fs::hard_link(mem.join("two.md"), cwd.join("elsewhere.md")).unwrap();
    mkfifo(&mem.join("pipe"));
    std::fs::write(mem.join(".hidden"), "memdeck's own").unwrap();
    {
        use std::os::unix::ffi::OsStrExt as _;
        let odd = |name: &[u8]| mem.join(std::ffi::OsStr::from_bytes(name));
        std::fs::write(odd(b"caf\xe9.md"), "latin-1 name\n").unwrap();
        std::fs::write(odd(b"title\x1b]0;pwned\x07.md"), "escape in the name\n").unwrap();
    }
    let env = env(&cwd, &[("MEMDECK_PROVIDER", "demo")]);
    let findings = doctor(&load(&Flags::default(), &env), &env).await;
    find(
        &findings,
        "memory",
        Level::Warn,
        "/memories/link.md is a symbolic link",
    );
    find(
        &findings,
        "memory",
        Level::Warn,
        "/memories/big.md is 2048 KiB, over the 100 KiB limit",
    );
    find(
        &findings,
        "memory",
        Level::Warn,
        "/memories/bin.md is not UTF-8",
    );
    find(
        &findings,
        "memory",
        Level::Warn,
        "/memories/two.md has other hard links",
    );
    find(
        &findings,
        "memory",
        Level::Warn,
        "/memories/pipe is not a regular file",
    );
    find(
        &findings,
        "memory",
        Level::Warn,
        "/memories/caf\\xE9.md has a name that is not UTF-8",
    );
    find(
        &findings,
        "memory",
        Level::Warn,
        "/memories/title\\u{001B}]0;pwned\\u{0007}.md has a name memory paths may not use",
    );
    find(&findings, "provider", Level::Ok, "offline demo model");
    let (text, failed) = report(&findings);
    assert!(
        !failed && text.contains("usable, with 7 warning(s)"),
        "{text}"
    );
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{fffd}'),
        "{text}"
    );
    assert!(!text.contains(".hidden"), "{text}");
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn a_bad_configuration_a_file_for_a_directory_and_a_poor_terminal() {
    let (_tmp, cwd) = tmp();
    std::fs::write(cwd.join("memdeck.toml"), "demo_speed = \"fast\"\n").unwrap();
    let env_ = env(&cwd, &[("TERM", "dumb"), ("LANG", "C")]);
    let config = load(&Flags::default(), &env_);
    let small = TerminalInfo {
        is_terminal: true,
        size: Some((50, 10)),
    };
    let findings = examine(&config, &env_, &small).await;
    let f = find(
        &findings,
        "configuration",
        Level::Fail,
        "memdeck.toml, line 1: demo_speed",
    );
    assert!(f.fix.is_some());
    find(&findings, "terminal", Level::Fail, "TERM is \"dumb\"");
    find(
        &findings,
        "terminal",
        Level::Fail,
        "50×10 is smaller than 60×16",
    );
    find(
        &findings,
        "terminal",
        Level::Warn,
        "the locale (C) is not UTF-8",
    );

    std::fs::remove_file(cwd.join("memdeck.toml")).unwrap();
    std::fs::write(cwd.join("memories"), "a file").unwrap();
    let env_ = env(&cwd, &[("MEMDECK_PROVIDER", "demo")]);
    let findings = doctor(&load(&Flags::default(), &env_), &env_).await;
    find(
        &findings,
        "memory",
        Level::Fail,
        "./memories is not a directory",
    );
}

/// The command prints the report and exits 1 when something failed.
#[test]
fn the_doctor_command() {
    let (_tmp, cwd) = tmp();
    std::fs::write(cwd.join("memdeck.toml"), "max_calls = 0\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_memdeck"))
        .current_dir(&cwd)
        .arg("doctor")
        .env("XDG_CONFIG_HOME", &cwd)
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("MEMDECK_CONFIG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("✗ configuration:") && text.contains("max_calls = 0"),
        "{text}"
    );
    assert!(text.contains("problem(s) to fix"), "{text}");
}
