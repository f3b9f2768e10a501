//! Keys to intents, by focus: pure and table-checked.
//!
//! [`resolve`] runs before any text field sees a key, so the app's keys always win over the
//! textarea's defaults. [`BINDINGS`] is what the help overlay lists; a test walks every key
//! and checks that whatever [`resolve`] binds is listed there.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Which part of the screen has the keyboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Focus {
    Input,
    Chat,
    Panel,
    Editor,
}

/// What a key means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intent {
    Quit,
    Suspend,
    /// Ctrl+L: clear the terminal and draw the whole screen again.
    Redraw,
    Help,
    /// Esc / Ctrl+C: cancel the active tab's turn (or clear the input).
    Cancel,
    Send,
    Newline,
    RecallLast,
    Retry,
    NextTab,
    PrevTab,
    SelectTab(usize),
    NewTab,
    RenameTab,
    /// F3: choose the active tab's model.
    PickModel,
    /// Ctrl+E: write the session as a Markdown document.
    Export,
    /// F5: type the active tab's next scripted prompt.
    NextPrompt,
    /// F7: switch context editing (off, demo, production).
    CycleContextEditing,
    /// F6: memory snapshots and the demo reset.
    Snapshots,
    CloseTab,
    FocusNext,
    FocusPrev,
    TogglePanel,
    Copy,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Up,
    Down,
    Left,
    Right,
    /// Enter outside the input: expand an item, open a file or folder.
    Activate,
    Edit,
    NewFile,
    RenameFile,
    DeleteFile,
    UndoDelete,
    History,
    Save,
}

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Everywhere,
    /// Everywhere but the memory editor (where Tab is a character).
    Panes,
    Input,
    Chat,
    Panel,
    Editor,
}

impl Scope {
    pub fn title(self) -> &'static str {
        match self {
            Self::Everywhere => "Everywhere",
            Self::Panes => "Outside the editor",
            Self::Input => "Message input",
            Self::Chat => "Chat",
            Self::Panel => "Memory panel",
            Self::Editor => "Memory editor",
        }
    }

    fn covers(self, focus: Focus) -> bool {
        matches!(
            (self, focus),
            (Self::Everywhere, _)
                | (Self::Panes, Focus::Input | Focus::Chat | Focus::Panel)
                | (Self::Input, Focus::Input)
                | (Self::Chat, Focus::Chat)
                | (Self::Panel, Focus::Panel)
                | (Self::Editor, Focus::Editor)
        )
    }
}

/// One line of the help overlay.
pub struct Binding {
    pub scope: Scope,
    /// Every key, as [`key_label`] writes it.
    pub keys: &'static [&'static str],
    /// Shown instead of the keys when they are many.
    pub label: Option<&'static str>,
    pub what: &'static str,
}

const fn bind(scope: Scope, keys: &'static [&'static str], what: &'static str) -> Binding {
    Binding {
        scope,
        keys,
        label: None,
        what,
    }
}

use Scope::{Chat, Editor, Everywhere, Input, Panel, Panes};

/// Every key the app binds, for the help overlay.
pub const BINDINGS: &[Binding] = &[
    bind(Everywhere, &["F1"], "this help"),
    bind(Everywhere, &["Ctrl+Q"], "quit"),
    bind(Everywhere, &["Ctrl+Z"], "suspend (fg resumes)"),
    bind(Everywhere, &["Ctrl+L"], "redraw the whole screen"),
    Binding {
        scope: Everywhere,
        keys: &[
            "Alt+1", "Alt+2", "Alt+3", "Alt+4", "Alt+5", "Alt+6", "Alt+7", "Alt+8", "Alt+9",
        ],
        label: Some("Alt+1…9"),
        what: "select a tab",
    },
    bind(
        Everywhere,
        &["Ctrl+PageDown", "Ctrl+PageUp"],
        "next / previous tab",
    ),
    bind(Everywhere, &["Ctrl+T"], "new tab (persona)"),
    bind(Everywhere, &["F2"], "rename the tab"),
    bind(Everywhere, &["F3"], "choose the tab's model"),
    bind(Everywhere, &["Ctrl+E"], "export the session (Markdown)"),
    bind(
        Everywhere,
        &["F5"],
        "demo script: type the tab's next prompt",
    ),
    bind(
        Everywhere,
        &["F6"],
        "snapshots: save, restore, reset the demo",
    ),
    bind(
        Everywhere,
        &["F7"],
        "context editing: off, demo, production",
    ),
    bind(Everywhere, &["Ctrl+W"], "close the tab"),
    bind(Everywhere, &["Ctrl+B"], "show / hide the memory panel"),
    bind(
        Everywhere,
        &["Ctrl+Y"],
        "copy the last answer (in the panel: the file)",
    ),
    bind(Everywhere, &["Ctrl+R"], "retry the failed turn"),
    bind(
        Panes,
        &["Tab", "Shift+Tab"],
        "move focus: input, chat, memory panel",
    ),
    bind(Input, &["Enter"], "send"),
    bind(Input, &["Alt+Enter", "Shift+Enter"], "new line"),
    bind(Input, &["Up"], "in an empty input: recall the last message"),
    bind(
        Input,
        &["Esc", "Ctrl+C"],
        "cancel the turn (or clear the input)",
    ),
    bind(Input, &["PageUp", "PageDown"], "scroll the chat"),
    bind(Chat, &["Esc", "Ctrl+C"], "cancel the turn"),
    bind(Chat, &["?"], "this help"),
    bind(Chat, &["PageUp", "PageDown"], "scroll a page"),
    bind(
        Chat,
        &["Home", "End"],
        "top / bottom (End follows the stream)",
    ),
    bind(
        Chat,
        &["Up", "Down"],
        "select a tool card or thinking block",
    ),
    bind(Chat, &["Enter"], "expand / collapse it"),
    bind(Panel, &["?"], "this help"),
    bind(Panel, &["Up", "Down"], "select"),
    bind(Panel, &["Enter"], "open a file, fold a folder"),
    bind(Panel, &["Left", "Right"], "fold / unfold"),
    Binding {
        scope: Panel,
        keys: &["PageUp", "PageDown", "Home", "End"],
        label: Some("PageUp / PageDown, Home / End"),
        what: "scroll the open file",
    },
    bind(Panel, &["e"], "edit the file"),
    bind(Panel, &["n"], "new file"),
    bind(Panel, &["r"], "rename"),
    bind(Panel, &["d", "Delete"], "delete (then u undoes)"),
    bind(Panel, &["u"], "undo the delete"),
    bind(Panel, &["h"], "history: versions, restore one"),
    bind(Panel, &["y"], "copy the file"),
    bind(
        Editor,
        &["Ctrl+S"],
        "save (refused if the file changed: you choose)",
    ),
    bind(Editor, &["Esc"], "close the editor (asks if unsaved)"),
];

/// Ctrl+L, which redraws the screen whatever has focus (also in dialogs and the editor).
pub fn is_redraw(key: KeyEvent) -> bool {
    key.code == KeyCode::Char('l') && key.modifiers == KeyModifiers::CONTROL
}

/// The app's meaning of `key` when `focus` has the keyboard; `None` leaves it to the text
/// field that has focus (if any).
pub fn resolve(focus: Focus, key: KeyEvent) -> Option<Intent> {
    use KeyCode as K;
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    let shift = key.modifiers.contains(KeyModifiers::SHIFT);
    let plain = !ctrl && !alt;
    let only_ctrl = key.modifiers == KeyModifiers::CONTROL;
    let only_alt = key.modifiers == KeyModifiers::ALT;
    let global = match key.code {
        K::F(1) if key.modifiers.is_empty() => Some(Intent::Help),
        K::F(2) if key.modifiers.is_empty() => Some(Intent::RenameTab),
        K::F(3) if key.modifiers.is_empty() => Some(Intent::PickModel),
        K::F(5) if key.modifiers.is_empty() => Some(Intent::NextPrompt),
        K::F(6) if key.modifiers.is_empty() => Some(Intent::Snapshots),
        K::F(7) if key.modifiers.is_empty() => Some(Intent::CycleContextEditing),
        K::Char('q') if only_ctrl => Some(Intent::Quit),
        K::Char('z') if only_ctrl => Some(Intent::Suspend),
        _ if is_redraw(key) => Some(Intent::Redraw),
        K::Char('t') if only_ctrl => Some(Intent::NewTab),
        K::Char('w') if only_ctrl => Some(Intent::CloseTab),
        K::Char('b') if only_ctrl => Some(Intent::TogglePanel),
        K::Char('y') if only_ctrl => Some(Intent::Copy),
        K::Char('r') if only_ctrl => Some(Intent::Retry),
        K::Char('e') if only_ctrl => Some(Intent::Export),
        K::Char(c @ '1'..='9') if only_alt => Some(Intent::SelectTab(c as usize - '1' as usize)),
        K::PageDown if only_ctrl => Some(Intent::NextTab),
        K::PageUp if only_ctrl => Some(Intent::PrevTab),
        K::Tab if plain && !shift && focus != Focus::Editor => Some(Intent::FocusNext),
        K::BackTab if focus != Focus::Editor && plain => Some(Intent::FocusPrev),
        _ => None,
    };
    if global.is_some() {
        return global;
    }
    let nav = |code: KeyCode| match code {
        K::PageUp => Some(Intent::PageUp),
        K::PageDown => Some(Intent::PageDown),
        K::Home => Some(Intent::Top),
        K::End => Some(Intent::Bottom),
        K::Up => Some(Intent::Up),
        K::Down => Some(Intent::Down),
        _ => None,
    };
    match focus {
        Focus::Input => match key.code {
            K::Enter if (alt || shift) && !ctrl => Some(Intent::Newline),
            K::Enter if key.modifiers.is_empty() => Some(Intent::Send),
            K::Esc if key.modifiers.is_empty() => Some(Intent::Cancel),
            K::Char('c') if only_ctrl => Some(Intent::Cancel),
            K::Up if key.modifiers.is_empty() => Some(Intent::RecallLast),
            K::PageUp if key.modifiers.is_empty() => Some(Intent::PageUp),
            K::PageDown if key.modifiers.is_empty() => Some(Intent::PageDown),
            _ => None,
        },
        Focus::Chat => match key.code {
            K::Esc if key.modifiers.is_empty() => Some(Intent::Cancel),
            K::Char('c') if only_ctrl => Some(Intent::Cancel),
            K::Char('?') if plain => Some(Intent::Help),
            K::Enter if key.modifiers.is_empty() => Some(Intent::Activate),
            code if key.modifiers.is_empty() => nav(code),
            _ => None,
        },
        Focus::Panel => match key.code {
            K::Char('?') if plain => Some(Intent::Help),
            K::Enter if key.modifiers.is_empty() => Some(Intent::Activate),
            K::Left if key.modifiers.is_empty() => Some(Intent::Left),
            K::Right if key.modifiers.is_empty() => Some(Intent::Right),
            K::Delete if key.modifiers.is_empty() => Some(Intent::DeleteFile),
            K::Char(c) if key.modifiers.is_empty() => match c {
                'e' => Some(Intent::Edit),
                'n' => Some(Intent::NewFile),
                'r' => Some(Intent::RenameFile),
                'd' => Some(Intent::DeleteFile),
                'u' => Some(Intent::UndoDelete),
                'h' => Some(Intent::History),
                'y' => Some(Intent::Copy),
                _ => None,
            },
            code if key.modifiers.is_empty() => nav(code),
            _ => None,
        },
        Focus::Editor => match key.code {
            K::Char('s') if only_ctrl => Some(Intent::Save),
            K::Esc if key.modifiers.is_empty() => Some(Intent::Cancel),
            _ => None,
        },
    }
}

/// A key as the help overlay writes it: `Ctrl+PageDown`, `Alt+1`, `Shift+Tab`, `?`.
pub fn key_label(key: KeyEvent) -> String {
    let code = match key.code {
        KeyCode::Char(c)
            if key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            c.to_uppercase().to_string()
        }
        KeyCode::Char(c) => c.to_string(),
        KeyCode::F(n) => format!("F{n}"),
        KeyCode::BackTab => return "Shift+Tab".to_owned(),
        KeyCode::PageUp => "PageUp".to_owned(),
        KeyCode::PageDown => "PageDown".to_owned(),
        other => format!("{other:?}"),
    };
    let mut label = String::new();
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        label.push_str("Ctrl+");
    }
    if key.modifiers.contains(KeyModifiers::ALT) {
        label.push_str("Alt+");
    }
    if key.modifiers.contains(KeyModifiers::SHIFT) && !matches!(key.code, KeyCode::Char(_)) {
        label.push_str("Shift+");
    }
    label + &code
}

/// Whether the help overlay lists `key` for `focus`.
pub fn is_listed(focus: Focus, key: KeyEvent) -> bool {
    let label = key_label(key);
    BINDINGS
        .iter()
        .any(|b| b.scope.covers(focus) && b.keys.contains(&label.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn universe() -> Vec<KeyEvent> {
        let mut codes: Vec<KeyCode> = ('a'..='z')
            .chain('0'..='9')
            .chain("?/!@#$%^&*()-_=+[]{};:'\",.<> ".chars())
            .map(KeyCode::Char)
            .collect();
        codes.extend([
            KeyCode::Enter,
            KeyCode::Esc,
            KeyCode::Tab,
            KeyCode::BackTab,
            KeyCode::Backspace,
            KeyCode::Delete,
            KeyCode::Insert,
            KeyCode::Up,
            KeyCode::Down,
            KeyCode::Left,
            KeyCode::Right,
            KeyCode::Home,
            KeyCode::End,
            KeyCode::PageUp,
            KeyCode::PageDown,
        ]);
        codes.extend((1..=12).map(KeyCode::F));
        let mods = [
            KeyModifiers::NONE,
            KeyModifiers::CONTROL,
            KeyModifiers::ALT,
            KeyModifiers::SHIFT,
            KeyModifiers::CONTROL | KeyModifiers::SHIFT,
        ];
        codes
            .iter()
            .flat_map(|&c| mods.iter().map(move |&m| KeyEvent::new(c, m)))
            .collect()
    }

    #[test]
    fn every_bound_key_is_in_the_help() {
        for focus in [Focus::Input, Focus::Chat, Focus::Panel, Focus::Editor] {
            for key in universe() {
                if let Some(intent) = resolve(focus, key) {
                    assert!(
                        is_listed(focus, key),
                        "{} ({intent:?}) is bound in {focus:?} but not in the help",
                        key_label(key)
                    );
                }
            }
        }
    }

    #[test]
    fn every_key_in_the_help_is_bound() {
        let universe = universe();
        for binding in BINDINGS {
            for label in binding.keys {
                let bound = universe.iter().any(|&key| {
                    key_label(key) == *label
                        && [Focus::Input, Focus::Chat, Focus::Panel, Focus::Editor]
                            .into_iter()
                            .filter(|&f| binding.scope.covers(f))
                            .all(|f| resolve(f, key).is_some())
                });
                assert!(bound, "the help lists {label} but no key does that");
            }
        }
    }

    #[test]
    fn app_keys_win_over_the_textarea() {
        let key = |c, m| KeyEvent::new(c, m);
        let ctrl = KeyModifiers::CONTROL;
        assert_eq!(
            resolve(Focus::Input, key(KeyCode::Enter, KeyModifiers::NONE)),
            Some(Intent::Send)
        );
        assert_eq!(
            resolve(Focus::Input, key(KeyCode::Enter, KeyModifiers::ALT)),
            Some(Intent::Newline)
        );
        assert_eq!(
            resolve(Focus::Input, key(KeyCode::Char('c'), ctrl)),
            Some(Intent::Cancel)
        );
        assert_eq!(
            resolve(Focus::Input, key(KeyCode::Char('e'), KeyModifiers::NONE)),
            None
        );
        assert_eq!(
            resolve(Focus::Editor, key(KeyCode::Char('s'), ctrl)),
            Some(Intent::Save)
        );
        // Tab is a character in the editor, not a focus change.
        assert_eq!(
            resolve(Focus::Editor, key(KeyCode::Tab, KeyModifiers::NONE)),
            None
        );
    }
}
