//! Configuration: which layer wins, where each value came from, the errors a person gets for a
//! bad file, variable or `.env` line, and the API key never shown.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use memdeck::config::{Config, ConfigError, Environment, Flags, Origin, load};
use memdeck::provider::ContextEditing;
use memdeck::tui::prefs::Prefs;

struct Place {
    _tmp: tempfile::TempDir,
    cwd: PathBuf,
    home: PathBuf,
}

fn place() -> Place {
    let tmp = tempfile::Builder::new()
        .prefix("memdeck-config-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let cwd = tmp.path().join("project");
    let home = tmp.path().join("config-home");
    std::fs::create_dir_all(&cwd).unwrap();
    std::fs::create_dir_all(home.join("memdeck")).unwrap();
    Place {
        _tmp: tmp,
        cwd,
        home,
    }
}

impl Place {
    fn env(&self, vars: &[(&str, &str)]) -> Environment {
        Environment {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<HashMap<_, _>>(),
            cwd: self.cwd.clone(),
            config_home: Some(self.home.clone()),
        }
    }

    fn user_file(&self, text: &str) -> PathBuf {
        let path = self.home.join("memdeck/config.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    fn local_file(&self, text: &str) -> PathBuf {
        let path = self.cwd.join("memdeck.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    fn dotenv(&self, text: &str) -> PathBuf {
        let path = self.cwd.join(".env");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The configuration as the binary loads it: the keys and the theme checked too.
    fn load(&self, flags: &Flags, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        self.prefs(flags, vars).map(|(config, _)| config)
    }

    fn prefs(&self, flags: &Flags, vars: &[(&str, &str)]) -> Result<(Config, Prefs), ConfigError> {
        let mut config = load(flags, &self.env(vars))?;
        let prefs = Prefs::resolve(&mut config)?;
        Ok((config, prefs))
    }
}

fn origin<'a>(config: &'a Config, key: &str) -> &'a Origin {
    &config
        .settings
        .iter()
        .find(|s| s.key == key)
        .unwrap_or_else(|| panic!("no setting {key}"))
        .origin
}

#[test]
fn each_layer_overrides_the_one_below() {
    let p = place();
    let none = Flags::default();
    let c = p.load(&none, &[]).unwrap();
    assert_eq!(c.model, "claude-sonnet-4-5");
    assert_eq!(c.demo_speed, 60.0);
    assert_eq!(origin(&c, "model"), &Origin::Default);

    let user = p.user_file("model = \"from-user\"\ndemo_speed = 10\nmax_calls = 7\n");
    let c = p.load(&none, &[]).unwrap();
    assert_eq!(
        (c.model.as_str(), c.demo_speed, c.max_calls),
        ("from-user", 10.0, 7)
    );
    assert_eq!(
        origin(&c, "model"),
        &Origin::File {
            path: user.clone(),
            line: 1
        }
    );

    let local = p.local_file("# the project's\n\nmodel = \"from-project\"\n");
    let c = p.load(&none, &[]).unwrap();
    assert_eq!(c.model, "from-project");
    assert_eq!(
        origin(&c, "model"),
        &Origin::File {
            path: local,
            line: 3
        }
    );
    assert_eq!(
        c.max_calls, 7,
        "keys the project file lacks still come from the user's"
    );
    assert_eq!(
        origin(&c, "max_calls"),
        &Origin::File {
            path: user,
            line: 3
        }
    );

    let dotenv = p.dotenv("ANTHROPIC_MODEL=from-dotenv\n");
    let c = p.load(&none, &[]).unwrap();
    assert_eq!(c.model, "from-dotenv");
    assert_eq!(
        origin(&c, "model"),
        &Origin::DotEnv {
            path: dotenv,
            var: "ANTHROPIC_MODEL".into()
        }
    );

    let c = p.load(&none, &[("ANTHROPIC_MODEL", "from-env")]).unwrap();
    assert_eq!(c.model, "from-env");
    assert_eq!(origin(&c, "model"), &Origin::Env("ANTHROPIC_MODEL".into()));

    let flags = Flags {
        model: Some("from-flag".into()),
        ..Flags::default()
    };
    let c = p.load(&flags, &[("ANTHROPIC_MODEL", "from-env")]).unwrap();
    assert_eq!(c.model, "from-flag");
    assert_eq!(origin(&c, "model"), &Origin::Flag("--model"));
}

#[test]
fn an_explicit_file_is_the_only_one_read() {
    let p = place();
    p.local_file("model = \"local\"\n");
    let other = p.cwd.join("demo.toml");
    std::fs::write(&other, "demo_speed = 5\n").unwrap();
    let flags = Flags {
        config: Some(PathBuf::from("demo.toml")),
        ..Flags::default()
    };
    let c = p.load(&flags, &[]).unwrap();
    assert_eq!(c.demo_speed, 5.0);
    assert_eq!(c.model, "claude-sonnet-4-5", "./memdeck.toml is not read");
    let c = p.load(
        &Flags::default(),
        &[("MEMDECK_CONFIG", other.to_str().unwrap())],
    );
    assert_eq!(c.unwrap().demo_speed, 5.0);

    let flags = Flags {
        config: Some(PathBuf::from("missing.toml")),
        ..Flags::default()
    };
    let err = p.load(&flags, &[]).unwrap_err().0;
    assert!(
        err.contains("missing.toml") && err.contains("--config") && err.contains("does not exist"),
        "{err}"
    );
}

#[test]
fn the_whole_file_format() {
    let p = place();
    p.local_file(
        r##"provider = "demo"
base_url = "http://127.0.0.1:9/"
api_version = "2026-10-21"
max_tokens = 2_048
idle_timeout = 30
thinking = "adaptive"
context_editing = "production"
context_trigger = 20000
instructions = """
Answer in French.
"""

[memory]
dir = "team"
history_dir = "/var/tmp/team-history"
max_file_kib = 64
history_keep = 500

[log]
file = "memdeck.log"
level = "memdeck=debug"

[[persona]]
name = "Ana"
role = "Lead"
color = "#ff8800"

[[persona]]
name = "Bo"
"##,
    );
    let c = p.load(&Flags::default(), &[]).unwrap();
    assert_eq!(c.provider, Some(memdeck::config::ProviderKind::Demo));
    assert_eq!(c.base_url, "http://127.0.0.1:9");
    assert_eq!(c.api_version, "2026-10-21");
    assert_eq!(c.max_tokens, 2048);
    assert_eq!(c.idle_timeout, 30);
    assert_eq!(c.thinking, memdeck::provider::Thinking::Adaptive);
    assert_eq!(
        c.context_editing,
        ContextEditing::Custom {
            trigger: 20_000,
            keep: 3,
            clear_at_least: 5_000
        }
    );
    assert_eq!(c.instructions.as_deref(), Some("Answer in French.\n"));
    assert_eq!(c.memory.dir, Path::new("team"));
    assert_eq!(
        c.memory.history_dir.as_deref(),
        Some(Path::new("/var/tmp/team-history"))
    );
    assert_eq!((c.memory.max_file_kib, c.memory.history_keep), (64, 500));
    assert_eq!(c.log_file.as_deref(), Some(Path::new("memdeck.log")));
    assert_eq!(c.log_level, "memdeck=debug");
    let team: Vec<(&str, &str, &str)> = c
        .personas
        .iter()
        .map(|p| (p.name.as_str(), p.role.as_str(), p.color.as_str()))
        .collect();
    assert_eq!(team, [("Ana", "Lead", "#ff8800"), ("Bo", "", "white")]);
    assert_eq!(
        c.persona("ana").color,
        "#ff8800",
        "personas are found in any case"
    );
    let options = c.turn_options();
    assert_eq!(options.instructions.as_deref(), Some("Answer in French.\n"));
    let prompt =
        memdeck::chat::agent::system_prompt(&c.personas[0], options.instructions.as_deref());
    assert!(
        prompt.contains("Ana (Lead)") && prompt.ends_with("Answer in French."),
        "{prompt}"
    );
}

/// Each bad input is refused with a message naming where it is and what is allowed.
#[test]
fn errors_say_where_and_what_is_allowed() {
    let p = place();
    let local = |text: &str| {
        p.local_file(text);
        p.load(&Flags::default(), &[]).unwrap_err().0
    };
    let file = p.cwd.join("memdeck.toml").display().to_string();

    let err = local("model = \"x\"\nmodle = \"y\"\n");
    assert!(err.starts_with(&file), "{err}");
    assert!(err.contains("line 2") && err.contains("modle"), "{err}");
    assert!(
        err.contains("`model`") && err.contains("`demo_speed`"),
        "lists the keys: {err}"
    );

    let err = local("\n\n[memory]\nmax_file_kib = 0\n");
    assert_eq!(
        err,
        format!("{file}, line 4: memory.max_file_kib = 0: expected a whole number from 1 to 65536")
    );

    // Recording and replaying exclude each other, wherever each was set.
    p.local_file("record = \"take.rec\"\n");
    let err = p
        .load(&Flags::default(), &[("MEMDECK_REPLAY", "demo.rec")])
        .unwrap_err()
        .0;
    assert_eq!(
        err,
        "record (take.rec) and replay (demo.rec) are both set: a session either records or replays"
    );

    let err = local("thinking = \"lots\"\n");
    assert_eq!(
        err,
        format!(
            "{file}, line 1: thinking = \"lots\": expected off, adaptive, or a token budget of at least 1024"
        )
    );

    let err = local("context_editing = { preset = \"demo\" }\n");
    assert!(
        err.contains("line 1") && err.contains("context_editing must be a single value"),
        "{err}"
    );

    let err = local("model = \"x\n");
    assert!(
        err.starts_with(&file) && err.contains("line 1") && err.contains("1 | model = \"x"),
        "a TOML syntax error: {err}"
    );
    // A syntax error on a line holding a secret never echoes it.
    for (bad, secret) in [
        ("[memory]\nredis_url = \"redis://:hunter2@db\n", "hunter2"),
        (
            "[memory]\ndatabase_url = \"postgres://alice:hunter2@db/m\n",
            "hunter2",
        ),
        (
            "[memory]\ndatabase_url = \"host=db password=hunter2\n",
            "hunter2",
        ),
        (
            "[memory]\nredis_url = redis://alice:hunter2@db\n",
            "hunter2",
        ),
        (
            "api_key = sk-ant-api03-abcdefghijklmnopqrstuvwxyz\n",
            "abcdefghij",
        ),
        (
            "model = \"claude\" sk-ant-api03-abcdefghijklmnopqrstuvwxyz\n",
            "abcdefghij",
        ),
        ("model = \"redis://u:hunter2@h\" x\n", "hunter2"),
        ("[x\npassword = \"hunter2\"\n", "hunter2"),
    ] {
        let err = local(bad);
        assert!(err.contains("line"), "{bad}: {err}");
        assert!(!err.contains(secret), "{bad}: {err}");
    }

    let err = local("[memory]\ndirectory = \"x\"\n");
    assert!(
        err.contains("line 2") && err.contains("directory") && err.contains("`dir`"),
        "{err}"
    );

    let err = local("[[persona]]\nname = \"Ana\"\n[[persona]]\nname = \"ana\"\n");
    assert!(
        err.contains("line 3") && err.contains("appears twice"),
        "{err}"
    );

    let err = local("[[persona]]\nname = \"Ana\"\ncolor = \"chartreuse-ish\"\n");
    assert!(
        err.contains("line 1") && err.contains("not a colour") && err.contains("#rrggbb"),
        "{err}"
    );

    let err = local("provider = \"demo\"\napi_key = \"sk-ant-api03-secret\"\n");
    assert!(
        err.contains("line 2") && err.contains("ANTHROPIC_API_KEY"),
        "{err}"
    );
    assert!(!err.contains("secret"), "the key is not repeated: {err}");
    std::fs::remove_file(p.cwd.join("memdeck.toml")).unwrap();

    let err = p
        .load(&Flags::default(), &[("MEMDECK_DEMO_SPEED", "fast")])
        .unwrap_err()
        .0;
    assert_eq!(
        err,
        "environment MEMDECK_DEMO_SPEED: \"fast\" is not a valid demo_speed: expected tokens per second from 0 (as fast as possible) to 100000"
    );

    let err = p
        .load(
            &Flags::default(),
            &[("ANTHROPIC_BASE_URL", "api.example.com")],
        )
        .unwrap_err()
        .0;
    assert!(
        err.contains("ANTHROPIC_BASE_URL") && err.contains("http:// or https://"),
        "{err}"
    );

    let dotenv = p.dotenv("A=1\nthis is not a line\n");
    let err = p.load(&Flags::default(), &[]).unwrap_err().0;
    assert_eq!(
        err,
        format!("{}, line 2: expected NAME=value", dotenv.display())
    );
}

#[test]
fn the_api_key_comes_from_the_environment_and_is_never_shown() {
    let p = place();
    let key = "sk-ant-api03-DO-NOT-SHOW-1234567890";
    p.dotenv(&format!("ANTHROPIC_API_KEY={key}\n"));
    let c = p.load(&Flags::default(), &[]).unwrap();
    assert_eq!(c.api_key.as_ref().unwrap().expose(), key);
    let shown = c.describe();
    let debug = format!("{c:?}");
    for text in [&shown, &debug] {
        assert!(!text.contains("DO-NOT-SHOW"), "{text}");
    }
    assert!(shown.contains("# api_key: (set, not shown"), "{shown}");
    assert!(shown.contains("ANTHROPIC_API_KEY in"), "{shown}");
    // The environment wins over .env; a blank key counts as none.
    let c = p
        .load(&Flags::default(), &[("ANTHROPIC_API_KEY", "  ")])
        .unwrap();
    assert!(c.api_key.is_none());
    let (_, note) = c.provider().unwrap();
    assert!(note.unwrap().contains("demo model"));
}

#[test]
fn context_editing_thresholds_change_a_preset_and_wait_while_it_is_off() {
    let p = place();
    let c = p
        .load(&Flags::default(), &[("MEMDECK_CONTEXT_KEEP", "5")])
        .unwrap();
    assert_eq!(c.context_editing, ContextEditing::Off);
    assert!(
        c.settings.iter().any(|s| s.key == "context_keep"),
        "set, so listed"
    );
    assert!(
        !c.settings.iter().any(|s| s.key == "context_trigger"),
        "unset while off"
    );
    let flags = Flags {
        context_editing: Some(ContextEditing::Demo),
        ..Flags::default()
    };
    let c = p.load(&flags, &[("MEMDECK_CONTEXT_KEEP", "5")]).unwrap();
    assert_eq!(
        c.context_editing,
        ContextEditing::Custom {
            trigger: 3_000,
            keep: 5,
            clear_at_least: 500
        }
    );
    let c = p.load(&flags, &[]).unwrap();
    assert_eq!(c.context_editing, ContextEditing::Demo);
}

/// `memdeck config` prints every setting with its origin, as TOML, key hidden; a bad file
/// fails with exit code 2.
#[test]
fn the_config_command() {
    let p = place();
    p.local_file("model = \"claude-opus-4-1\"\n\n[memory]\ndir = \"team\"\n");
    p.dotenv("ANTHROPIC_API_KEY=sk-ant-api03-HIDDEN\n");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_memdeck"))
            .current_dir(&p.cwd)
            .env("XDG_CONFIG_HOME", &p.home)
            .env_remove("ANTHROPIC_API_KEY")
            .env_remove("ANTHROPIC_MODEL")
            .env_remove("MEMDECK_MEMORY_DIR")
            .env_remove("MEMDECK_CONFIG")
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["config", "--max-calls", "9"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("HIDDEN"), "{text}");
    let line = |key: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("no {key} in\n{text}"))
            .to_owned()
    };
    assert!(
        line("model").contains("\"claude-opus-4-1\"")
            && line("model").contains("memdeck.toml, line 1")
    );
    assert!(line("memory.dir").contains("\"team\"") && line("memory.dir").contains("line 4"));
    assert!(line("max_calls").contains("9") && line("max_calls").ends_with("# flag --max-calls"));
    assert!(line("max_tokens").ends_with("# default"));
    // The output is TOML: it can be pasted into a configuration file.
    let table: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(table["memory"]["dir"].as_str(), Some("team"));
    assert_eq!(table["max_calls"].as_integer(), Some(9));
    // A database URL's password is never printed, in either form a URL may take.
    for url in [
        "postgres://alice:hunter2@db.example/memdeck",
        "host=db.example password=hunter2 dbname=memdeck",
    ] {
        let out = run(&["config", "--database-url", url]);
        let text = String::from_utf8(out.stdout).unwrap();
        let shown = text
            .lines()
            .find(|l| l.starts_with("memory.database_url = "))
            .unwrap_or_else(|| panic!("no memory.database_url in\n{text}"));
        assert!(
            shown.contains("<redacted>") && shown.contains("db.example"),
            "{shown}"
        );
        assert!(!text.contains("hunter2"), "{text}");
    }

    p.local_file("max_calls = \"many\"\n");
    let out = run(&["config"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("memdeck.toml, line 1: max_calls = \"many\""),
        "{err}"
    );
}

/// The example in the README is a valid configuration file, and means what it says.
#[test]
fn the_readme_example_loads() {
    let readme = include_str!("../../README.md");
    let start = readme.find("```toml\n# memdeck.toml").unwrap() + "```toml\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let p = place();
    p.local_file(&readme[start..end]);
    let c = p.load(&Flags::default(), &[]).unwrap();
    assert_eq!(c.instructions.as_deref(), Some("Answer briefly.\n"));
    assert_eq!(
        c.context_editing,
        ContextEditing::Custom {
            trigger: 4000,
            keep: 2,
            clear_at_least: 500
        }
    );
    assert_eq!(c.personas.len(), 1);
    assert_eq!(c.prices.price("claude-sonnet-4-5").unwrap().cache_read, 0.3);
}

#[test]
fn prices_change_the_defaults_and_bad_ones_say_where() {
    let p = place();
    let c = p.load(&Flags::default(), &[]).unwrap();
    assert_eq!(c.prices.price("claude-sonnet-4-5").unwrap().input, 3.0);
    p.local_file("[prices.claude-sonnet]\ninput = 2\noutput = 10.5\n\n[prices.my-model]\ninput = 0\noutput = 0\ncache_read = 0\n");
    let c = p.load(&Flags::default(), &[]).unwrap();
    let sonnet = c.prices.price("claude-sonnet-4-5").unwrap();
    assert_eq!(
        (sonnet.input, sonnet.output, sonnet.cache_read),
        (2.0, 10.5, 0.2)
    );
    assert_eq!(c.prices.price("my-model-7b").unwrap().output, 0.0);
    assert!(
        c.describe()
            .contains("prices: (claude-sonnet: input 2, output 10.5"),
        "{}",
        c.describe()
    );
    let file = p.cwd.join("memdeck.toml").display().to_string();
    p.local_file("\n[prices.claude-opus]\ninput = \"cheap\"\noutput = 1\n");
    let err = p.load(&Flags::default(), &[]).unwrap_err().0;
    assert!(
        err.starts_with(&format!(
            "{file}, line 2: [prices.claude-opus] input must be a price"
        )),
        "{err}"
    );
    p.local_file("[prices.claude-opus]\ninput = 1\n");
    let err = p.load(&Flags::default(), &[]).unwrap_err().0;
    assert!(err.contains("needs input and output"), "{err}");
    p.local_file("[prices.claude-opus]\ninput = 1\noutput = 2\nouptut = 3\n");
    let err = p.load(&Flags::default(), &[]).unwrap_err().0;
    assert!(err.contains("has no \"ouptut\""), "{err}");
}

#[test]
fn presenters_move_keys_in_the_file_and_bad_keys_say_where() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use memdeck::app::keymap::{Focus, Intent};
    let p = place();
    p.user_file("[keys]\nnext_prompt = \"F9\"\nexport = \"ctrl+x\"\n");
    p.local_file("[keys]\nnext_prompt = \"F10\"\n");
    let (config, prefs) = p.prefs(&Flags::default(), &[]).unwrap();
    let f10 = KeyEvent::new(KeyCode::F(10), KeyModifiers::NONE);
    let ctrl_x = KeyEvent::new(KeyCode::Char('x'), KeyModifiers::CONTROL);
    assert_eq!(
        prefs.keymap.resolve(Focus::Input, f10),
        Some(Intent::NextPrompt)
    );
    assert_eq!(
        prefs.keymap.resolve(Focus::Panel, ctrl_x),
        Some(Intent::Export)
    );
    assert!(matches!(
        origin(&config, "keys.next_prompt"),
        Origin::File { line: 2, .. }
    ));
    assert_eq!(origin(&config, "keys.snapshots"), &Origin::Default);

    let file = p
        .local_file("\n[keys]\nexport = \"Ctrl+C\"\n")
        .display()
        .to_string();
    let err = p.load(&Flags::default(), &[]).unwrap_err().0;
    assert_eq!(
        err,
        format!(
            "{file}, line 3: keys.export = \"Ctrl+C\": Ctrl+C is taken: it means “clear the draft, else stop the answer”"
        )
    );
    p.local_file("[keys]\nexport = \"Ctrl+Banana\"\n");
    let err = p.load(&Flags::default(), &[]).unwrap_err().0;
    assert!(
        err.contains("line 2") && err.contains("write one such as F5, Ctrl+E"),
        "{err}"
    );
    p.local_file("[keys]\ndance = \"F9\"\n");
    let err = p.load(&Flags::default(), &[]).unwrap_err().0;
    assert!(
        err.contains(
            "line 2: keys.dance: dance is not an action whose key can change; the actions are help,"
        ),
        "{err}"
    );
    // Two actions on one key: both settings named, with where each was set.
    let local = p
        .local_file("[keys]\nexport = \"F6\"\n")
        .display()
        .to_string();
    let err = p.load(&Flags::default(), &[]).unwrap_err().0;
    assert_eq!(
        err,
        format!(
            "keys.export and keys.snapshots are both on F6; each action needs its own key \
             (keys.export from {local}, line 2; keys.snapshots from default)"
        )
    );
}

#[test]
fn the_theme_is_a_built_in_name_or_a_file_and_bad_ones_say_where() {
    use memdeck::ui::theme::Theme;
    let p = place();
    assert_eq!(
        p.prefs(&Flags::default(), &[]).unwrap().1.theme,
        Theme::default()
    );
    p.local_file("theme = \"light\"\n");
    let (config, prefs) = p.prefs(&Flags::default(), &[]).unwrap();
    assert_eq!(prefs.theme, Theme::find("light").unwrap());
    assert_eq!(config.theme, "light");
    let (config, prefs) = p
        .prefs(&Flags::default(), &[("MEMDECK_THEME", "high-contrast")])
        .unwrap();
    assert_eq!(prefs.theme, Theme::find("high-contrast").unwrap());
    assert_eq!(
        origin(&config, "theme"),
        &Origin::Env("MEMDECK_THEME".into())
    );

    // A file of one's own: some roles, the rest from dark.
    let mine = p.cwd.join("mine.toml");
    std::fs::write(&mine, "# projector\ndim = \"gray\"\n").unwrap();
    let (_, prefs) = p
        .prefs(
            &Flags::default(),
            &[("MEMDECK_THEME", mine.to_str().unwrap())],
        )
        .unwrap();
    assert_eq!(prefs.theme.dim.fg, Some(ratatui::style::Color::Gray));
    assert_eq!(prefs.theme.error, Theme::default().error);

    std::fs::write(&mine, "# projector\ndim = \"greyish\"\n").unwrap();
    let file = p.local_file(&format!("theme = {:?}\n", mine.to_str().unwrap()));
    let err = p.load(&Flags::default(), &[]).unwrap_err().0;
    assert_eq!(
        err,
        format!(
            "{}, line 1: theme = {:?}: {}: line 2: dim = \"greyish\" is not a colour (a name such as darkgray, a number from 0 to 255, #rrggbb, or default)",
            file.display(),
            mine.to_str().unwrap(),
            mine.display()
        )
    );
    p.local_file("theme = \"sepia\"\n");
    let err = p.load(&Flags::default(), &[]).unwrap_err().0;
    assert!(
        err.contains("no theme called \"sepia\": the themes are dark, light, high-contrast"),
        "{err}"
    );
}

/// A FIFO (or a directory) where a configuration file is looked for is refused at once; it
/// used to block `memdeck config` forever, waiting for a writer.
#[test]
fn a_fifo_in_place_of_a_config_file_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["memdeck.toml", ".env"] {
        let spot = dir.path().join(name);
        let made = Command::new("mkfifo").arg(&spot).status().unwrap();
        assert!(made.success());
        let mut child = Command::new(env!("CARGO_BIN_EXE_memdeck"))
            .arg("config")
            .current_dir(dir.path())
            .env("XDG_CONFIG_HOME", dir.path())
            .env_remove("MEMDECK_CONFIG")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while child.try_wait().unwrap().is_none() {
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("memdeck config blocked on a FIFO at {name}");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("is not a regular file"), "{err}");
        std::fs::remove_file(&spot).unwrap();
    }
}

/// `mouse` and `notify`: on and the bell by default, set in a file or the environment, and a
/// bad value says what is allowed.
#[test]
fn mouse_and_notify_settings() {
    use memdeck::config::Notify;
    let p = place();
    let c = p.load(&Flags::default(), &[]).unwrap();
    assert!(c.mouse);
    assert_eq!(c.notify, Notify::Bell);
    p.local_file("mouse = \"off\"\nnotify = \"OSC777\"\n");
    let c = p.load(&Flags::default(), &[]).unwrap();
    assert!(!c.mouse);
    assert_eq!(c.notify, Notify::Osc777);
    let c = p
        .load(
            &Flags::default(),
            &[("MEMDECK_NOTIFY", "osc9"), ("MEMDECK_MOUSE", "on")],
        )
        .unwrap();
    assert!(c.mouse);
    assert_eq!(c.notify, Notify::Osc9);
    assert_eq!(origin(&c, "notify"), &Origin::Env("MEMDECK_NOTIFY".into()));
    p.local_file("notify = \"desktop\"\n");
    let err = p.load(&Flags::default(), &[]).unwrap_err().0;
    assert!(
        err.ends_with("notify = \"desktop\": expected off, bell, osc9 or osc777"),
        "{err}"
    );
}
