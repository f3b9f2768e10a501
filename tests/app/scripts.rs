//! Demo scripts: the shipped ones load, bad ones are refused with the line, and F5 steps
//! through a persona's prompts with the speaker note under the input.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::ui;

use std::path::Path;

use crossterm::event::KeyCode;
use memdeck::app::Effect;
use memdeck::chat::persona::default_team;
use memdeck::chat::script::{SHIPPED, find, parse};
use ui::*;

#[test]
fn the_shipped_scripts_load_and_speak_to_the_default_team() {
    let team: Vec<String> = default_team().into_iter().map(|p| p.name).collect();
    for (name, _) in SHIPPED {
        let script = find(name).unwrap();
        assert!(!script.title.is_empty());
        for step in &script.steps {
            assert!(team.contains(&step.persona), "{name}: {}", step.persona);
            assert!(step.note.is_some(), "{name}: every step has a speaker note");
        }
    }
    let review = find("code-review").unwrap();
    let alice = review.steps_of("alice").next().unwrap();
    assert!(
        alice.prompt.contains("```py\n") && alice.prompt.contains("def reserve"),
        "{}",
        alice.prompt
    );
    let john = review.steps_of("John").next().unwrap();
    assert!(john.prompt.contains("class RateLimiter"));
    let team_script = find("team").unwrap();
    let order: Vec<&str> = team_script
        .steps
        .iter()
        .map(|s| s.persona.as_str())
        .collect();
    assert_eq!(order, ["Alice", "Alice", "John", "John", "Sam"]);
}

#[test]
fn bad_scripts_say_where() {
    let none = |_: &Path| -> Result<String, String> { Err("no such file".into()) };
    let err = parse(
        "title = \"t\"\n[[step]]\npersona = \"Alice\"\npromt = \"x\"\n",
        &none,
    )
    .unwrap_err();
    assert!(err.contains("line 4") && err.contains("promt"), "{err}");
    let err = parse(
        "title = \"t\"\n\n[[step]]\npersona = \"Alice\"\nprompt = \"  \"\n",
        &none,
    )
    .unwrap_err();
    assert!(
        err.contains("line 3") && err.contains("needs a persona and a prompt"),
        "{err}"
    );
    let err = parse(
        "title = \"t\"\n[[step]]\npersona = \"A\"\nprompt = \"p\"\nattach = \"../secret\"\n",
        &none,
    )
    .unwrap_err();
    assert!(err.contains("inside the script's directory"), "{err}");
    let err = parse(
        "title = \"t\"\n[[step]]\npersona = \"A\"\nprompt = \"p\"\nattach = \"gone.rs\"\n",
        &none,
    )
    .unwrap_err();
    assert!(err.contains("cannot read the attached gone.rs"), "{err}");
    let err = find("nope").unwrap_err();
    assert!(err.contains("team, code-review, incident"), "{err}");
    // A file on disk, with its attachment beside it.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("prog.rs"), "fn main() {}\n").unwrap();
    let path = tmp.path().join("mine.toml");
    std::fs::write(&path, "title = \"mine\"\n[[step]]\npersona = \"Sam\"\nprompt = \"Review:\"\nattach = \"prog.rs\"\n").unwrap();
    let script = find(path.to_str().unwrap()).unwrap();
    assert_eq!(
        script.steps[0].prompt,
        "Review:\n\n```rs\nfn main() {}\n```"
    );
}

#[test]
fn f5_types_each_personas_prompts_in_order_and_keeps_the_note_off_screen() {
    let mut app = app(160, 48);
    app.update(key(KeyCode::F(5)));
    assert!(app.notice.as_ref().unwrap().text.contains("no demo script"));
    app.script = Some(find("team").unwrap());
    let shown = screen(&app);
    assert!(
        shown.contains("F5 types Alice's first prompt (of 2)"),
        "{shown}"
    );
    type_text(&mut app, "a draft");
    let effects = app.update(key(KeyCode::F(5)));
    let input = app.active_tab().unwrap().input.lines().join("\n");
    assert!(
        input.starts_with("I just got off the phone with Acme Corp."),
        "the draft is replaced: {input}"
    );
    // The note goes to the presenter's notes (--notes), never to the audience's screen…
    assert!(
        matches!(effects.as_slice(), [Effect::SpeakerNote(note)]
            if note.starts_with("Acme's migration: from first call to proposal · Alice 1/2: Alice does discovery.")),
        "{effects:?}"
    );
    let shown = screen(&app);
    assert!(shown.contains("▶ 1/2 · notes hidden (F8)"), "{shown}");
    assert!(!shown.contains("Alice does discovery"), "{shown}");
    // … unless the presenter shows it (F8), and hides it again.
    app.update(key(KeyCode::F(8)));
    let shown = screen(&app);
    assert!(shown.contains("▶ 1/2 · Alice does discovery."), "{shown}");
    app.update(key(KeyCode::F(8)));
    assert!(!screen(&app).contains("Alice does discovery"));
    let effects = app.update(key(KeyCode::Enter));
    assert!(
        matches!(effects.as_slice(), [Effect::StartTurn { text, .. }] if text.starts_with("I just got off the phone")),
        "{effects:?}"
    );
    // John's prompts are his own.
    app.update(alt(KeyCode::Char('2')));
    app.update(key(KeyCode::F(5)));
    let input = app.active_tab().unwrap().input.lines().join("\n");
    assert!(input.starts_with("What do we know about Acme?"), "{input}");
    app.update(alt(KeyCode::Char('1')));
    app.update(key(KeyCode::F(5)));
    app.update(key(KeyCode::F(5)));
    assert!(
        app.notice
            .as_ref()
            .unwrap()
            .text
            .contains("Alice has no more scripted prompts")
    );
    let shown = screen(&app);
    assert!(shown.contains("▶ 2/2 ·"), "{shown}");
}

/// A presenter who moved the keys (`[keys]`): the new keys work, the old ones do nothing, and
/// every hint on screen and the help name the new keys.
#[test]
fn moved_keys_work_and_every_hint_names_them() {
    use memdeck::app::keymap::{Keymap, parse_key};
    let mut app = app(160, 48);
    app.keymap = Keymap::with(&[
        ("next_prompt", parse_key("F9").unwrap()),
        ("help", parse_key("F11").unwrap()),
        ("toggle_panel", parse_key("Ctrl+G").unwrap()),
        ("new_tab", parse_key("Alt+N").unwrap()),
    ])
    .unwrap();
    app.script = Some(find("team").unwrap());
    let shown = screen(&app);
    for hint in [
        "F9 types Alice's first prompt (of 2)",
        "F11 help",
        "^G hide",
        "Alt+N new tab",
    ] {
        assert!(shown.contains(hint), "{hint} not in\n{shown}");
    }
    for stale in ["F5 types", "F1 help", "^B hide", "^T new tab"] {
        assert!(!shown.contains(stale), "{stale} still in\n{shown}");
    }
    app.update(key(KeyCode::F(5)));
    assert_eq!(app.active_tab().unwrap().input.lines().join(""), "");
    app.update(key(KeyCode::F(9)));
    let input = app.active_tab().unwrap().input.lines().join("\n");
    assert!(input.starts_with("I just got off the phone"), "{input}");
    app.update(key(KeyCode::F(11)));
    let help = screen(&app);
    assert!(
        help.contains("F9") && help.contains("demo script: type the tab's next prompt"),
        "{help}"
    );
    let row = help
        .lines()
        .find(|l| l.contains("show / hide the memory panel"))
        .unwrap();
    assert!(row.contains("Ctrl+G"), "{row}");
    app.update(key(KeyCode::Esc));
    app.update(ctrl('g'));
    assert!(!screen(&app).contains("^G hide"), "the panel did not hide");
}
