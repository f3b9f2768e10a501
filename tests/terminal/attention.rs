//! What users of terminal AI clients ask for first, in a real terminal: a badge per tab and a
//! notification when a tab out of sight finishes, the mouse handed back to the terminal, copying
//! one message, code block or tool card, and searching a chat and the memory panel.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::tmux::{app_in, wait_for_file, wait_until};

/// The tab bar's first line.
fn tab_bar(screen: &str) -> &str {
    screen.lines().next().unwrap_or_default()
}

/// Alice answers while John's tab is shown: her badge spins, then says "finished, unseen" and
/// the terminal gets an OSC 777 notification; looking at her tab clears it; a cancelled turn
/// leaves its own badge.
#[test]
fn a_background_tab_that_finishes_is_badged_and_notified() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = dir.path().join("pane-output");
    let tmux = app_in(dir.path(), 25, (160, 48), "MEMDECK_NOTIFY=osc777");
    // Everything the app writes to its terminal, escape sequences included.
    tmux.tmux(&["pipe-pane", "-O", &format!("cat >> {}", bytes.display())]);
    tmux.text("Our customer Globex Corp runs 12 plants, budget $2.4M, deadline June 2027.");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Alice's badge while she answers", |s| {
        let bar = tab_bar(s);
        let after = bar.split("Alice  ").nth(1).unwrap_or_default();
        after.starts_with(|c: char| ('\u{2800}'..='\u{28ff}').contains(&c) || c == '⇄')
    });
    tmux.keys(&["M-2"]);
    let shown = tmux.wait_for("Alice finished, unseen", |s| {
        tab_bar(s).contains("Alice  •")
    });
    assert!(tab_bar(&shown).contains("John "), "{shown}");
    wait_for_file(&bytes, "the OSC 777 notification", |out| {
        out.contains("\x1b]777;notify;memdeck;Alice finished\x07")
    });
    tmux.keys(&["M-1"]);
    tmux.wait_for("the badge cleared once seen", |s| {
        tab_bar(s).contains("Alice ") && !tab_bar(s).contains('•')
    });
    // A turn stopped with Esc.
    tmux.text("What do we know about Globex?");
    tmux.keys(&["Enter"]);
    tmux.keys(&["Escape"]);
    tmux.wait_for("the cancelled badge", |s| tab_bar(s).contains("Alice  ⊘"));
    tmux.quit_app();
}

/// The bell, the default: a background tab's end rings it (tmux flags the window).
#[test]
fn the_bell_rings_for_a_background_tab_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let tmux = app_in(dir.path(), 25, (160, 48), "");
    assert_eq!(tmux.format("#{window_bell_flag}"), "0");
    tmux.text("Our customer Initech runs 3 offices.");
    tmux.keys(&["Enter", "M-3"]);
    tmux.wait_for("Alice finished, unseen", |s| {
        tab_bar(s).contains("Alice  •")
    });
    wait_until(
        "the bell",
        "tmux's bell flag",
        || tmux.format("#{window_bell_flag}"),
        |flag| flag == "1",
    );
    tmux.quit_app();
}

/// F12 hands the mouse to the terminal (tmux sees the app stop asking for mouse reports, so a
/// drag selects text) and takes it back; the status bar says while it is off. `mouse = off`
/// in the configuration starts that way.
#[test]
fn f12_hands_the_mouse_to_the_terminal_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let tmux = app_in(dir.path(), 0, (160, 48), "");
    assert_eq!(tmux.format("#{mouse_any_flag}"), "1");
    tmux.keys(&["F12"]);
    tmux.wait_for("the status bar saying so", |s| {
        s.contains("mouse off (F12)")
    });
    assert_eq!(tmux.format("#{mouse_any_flag}"), "0");
    tmux.keys(&["F12"]);
    tmux.wait_for("the mark gone", |s| !s.contains("mouse off (F12)"));
    assert_eq!(tmux.format("#{mouse_any_flag}"), "1");
    tmux.quit_app();

    let tmux = app_in(dir.path(), 0, (160, 48), "MEMDECK_MOUSE=off");
    tmux.wait_for("the status bar", |s| s.contains("mouse off (F12)"));
    assert_eq!(tmux.format("#{mouse_any_flag}"), "0");
    tmux.quit_app();
}

/// Copying in a real terminal: tmux with `set-clipboard on` keeps what the app sends by OSC 52
/// as a paste buffer, so `show-buffer` reads the clipboard. The person's message holds a code
/// block; the chat selects the message, then the block, then a tool card, each copied.
#[test]
fn a_code_block_a_message_and_a_tool_card_are_copied_through_osc_52() {
    let dir = tempfile::tempdir().unwrap();
    let tmux = app_in(dir.path(), 0, (140, 40), "");
    tmux.tmux(&["set-option", "-g", "set-clipboard", "on"]);
    tmux.paste("Deploy notes for Globex:\n\n```sh\nmake deploy ENV=prod\n```\n");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the answer", |s| {
        s.contains("↳") && !s.contains("streaming")
    });
    tmux.keys(&["Tab"]);
    let mut presses = 0;
    while !tmux.screen().contains("▶ ● Alice") {
        assert!(
            presses < 20,
            "the message never got selected:\n{}",
            tmux.screen()
        );
        tmux.keys(&["Up"]);
        presses += 1;
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let copied = |what: &str, want: &dyn Fn(&str) -> bool| {
        tmux.wait_for(what, |s| s.contains("copied "));
        wait_until(what, "the clipboard", || tmux.tmux(&["show-buffer"]), want)
    };
    tmux.keys(&["y"]);
    copied("the message", &|b| {
        b.starts_with("Deploy notes for Globex:")
    });
    tmux.keys(&["Right"]);
    tmux.wait_for("the block selected", |s| {
        s.contains("┃ make deploy ENV=prod")
    });
    tmux.keys(&["y"]);
    copied("the code block", &|b| b == "make deploy ENV=prod");
    // Down to the answer's tool card.
    let mut presses = 0;
    while !tmux
        .screen()
        .lines()
        .any(|l| l.contains("▶ ┌") && l.contains(" memory "))
    {
        assert!(
            presses < 20,
            "no tool card got selected:\n{}",
            tmux.screen()
        );
        tmux.keys(&["Down"]);
        presses += 1;
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    tmux.keys(&["y"]);
    let card = copied("the tool card", &|b| b.starts_with("memory "));
    assert!(
        card.contains("\ninput:\n{") && card.contains("\nresult:\n"),
        "{card}"
    );
    tmux.quit_app();
}

/// Search in a real terminal: the chat's hits counted and walked, then the memory files found
/// by name and by text from the panel, each opened at its line in the viewer.
#[test]
fn the_chat_and_the_memory_panel_are_searched() {
    let dir = tempfile::tempdir().unwrap();
    let memories = dir.path().join("memories");
    std::fs::create_dir_all(memories.join("clients")).unwrap();
    std::fs::write(
        memories.join("clients/globex.md"),
        "Globex runs 12 plants.\nBudget: $2.4M\nDeadline: June 2027\n",
    )
    .unwrap();
    std::fs::write(
        memories.join("notes.md"),
        "Team notes\nAlice met the Globex CTO in Berlin.\n",
    )
    .unwrap();
    let tmux = app_in(dir.path(), 0, (150, 40), "");
    tmux.text("What do we know about Globex?");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the answer", |s| {
        s.contains("↳") && !s.contains("streaming")
    });
    tmux.keys(&["C-f"]);
    tmux.text("globex");
    let shown = tmux.wait_for("the chat's hits counted", |s| {
        s.contains("Find in Alice's chat") && s.contains("globex▏")
    });
    let count = |s: &str| -> (usize, usize) {
        let line = s.lines().find(|l| l.contains("globex▏")).unwrap();
        let at = line
            .split("globex▏")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap();
        let (a, b) = at.split_once('/').unwrap_or_else(|| panic!("{line}"));
        (a.parse().unwrap(), b.parse().unwrap())
    };
    let (first, total) = count(&shown);
    assert!(total >= 2, "{shown}");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the next hit", |s| count(s).0 == first % total + 1);
    tmux.keys(&["Escape"]);
    tmux.wait_for("the search closed", |s| {
        !s.contains("Find in") && s.contains("Alice ›")
    });

    // The panel: Tab to it, `/`, by text and by name.
    tmux.keys(&["Tab", "Tab", "/"]);
    tmux.text("berlin");
    let shown = tmux.wait_for("the file found by its text, opened at the line", |s| {
        s.contains("notes.md:2  Alice met the Globex CTO in Berlin.")
            && s.contains("─ /memories/notes.md")
            && s.contains("1/1")
    });
    assert!(shown.contains("Find in memory"), "{shown}");
    for _ in 0..6 {
        tmux.keys(&["BSpace"]);
    }
    tmux.text("globex");
    tmux.wait_for("both files, the name first", |s| {
        s.contains("clients/globex.md:1  Globex runs 12 plants.") && s.contains("notes.md:2")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for("the tree back", |s| {
        s.contains("clients/") && !s.contains("Find in")
    });
    tmux.quit_app();
}
