//! Keys to intents, by focus: pure and table-checked.
//!
//! [`Keymap::resolve`] runs before any text field sees a key, so the app's keys always win over the
//! textarea's defaults. [`BINDINGS`] is what the help overlay lists; a test walks every key
//! and checks that whatever [`Keymap::resolve`] binds is listed there.

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
    /// Esc / Ctrl+C: clear the input's draft; with none, cancel the active tab's turn.
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
    /// F7: switch context editing (off, demo, production, compact).
    CycleContextEditing,
    /// F6: memory snapshots and the demo reset.
    Snapshots,
    /// F8: show or hide the demo script's speaker notes on the main screen.
    ToggleNotes,
    /// F4: side by side: the active tab and the next ones, each streaming, in columns.
    ToggleSplit,
    CloseTab,
    FocusNext,
    FocusPrev,
    TogglePanel,
    /// F12: the app takes the mouse, or leaves it to the terminal (its own selection).
    ToggleMouse,
    /// Ctrl+F, `/`: search the chat, or the memory files from the panel.
    Find,
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
    /// `u` in the chat: undo the selected (or newest) turn's memory changes.
    UndoTurn,
    /// `a` / `x` in the chat: accept or dismiss a proposed memory.
    AcceptProposal,
    DismissProposal,
    /// The tab's extraction after each answer: off, on, auto.
    CycleExtract,
    /// Propose a consolidation of the store (a diff to approve).
    Consolidate,
    /// Alt+R: the personas work the demo script's tasks themselves.
    TeamRun,
    /// `b` in the panel: the task board instead of the tree (and back).
    ToggleBoard,
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
    /// Every key, as [`key_label`] writes it (none for an action a [`Keymap`] places).
    pub keys: &'static [&'static str],
    /// Shown instead of the keys when they are many.
    pub label: Option<&'static str>,
    pub what: &'static str,
    /// An action presenters may move: its key comes from the [`Keymap`].
    pub intent: Option<Intent>,
}

const fn bind(scope: Scope, keys: &'static [&'static str], what: &'static str) -> Binding {
    Binding {
        scope,
        keys,
        label: None,
        what,
        intent: None,
    }
}

/// A remappable action's line: everywhere, on the key the [`Keymap`] gives it.
const fn remap(intent: Intent, what: &'static str) -> Binding {
    Binding {
        scope: Scope::Everywhere,
        keys: &[],
        label: None,
        what,
        intent: Some(intent),
    }
}

/// One action presenters can move to another key, under `[keys]` in the configuration.
pub struct Remap {
    /// Its name in the configuration.
    pub name: &'static str,
    /// Its name in `memdeck config` and in messages.
    pub setting: &'static str,
    pub intent: Intent,
    /// Its key unless configured, as [`parse_key`] reads it.
    pub default: &'static str,
}

const fn remappable(
    name: &'static str,
    setting: &'static str,
    intent: Intent,
    default: &'static str,
) -> Remap {
    Remap {
        name,
        setting,
        intent,
        default,
    }
}

/// The actions whose keys the configuration can change: the few a presenter reaches for.
pub const REMAPPABLE: &[Remap] = &[
    remappable("help", "keys.help", Intent::Help, "F1"),
    remappable("quit", "keys.quit", Intent::Quit, "Ctrl+Q"),
    remappable("new_tab", "keys.new_tab", Intent::NewTab, "Ctrl+T"),
    remappable("rename_tab", "keys.rename_tab", Intent::RenameTab, "F2"),
    remappable("pick_model", "keys.pick_model", Intent::PickModel, "F3"),
    remappable("export", "keys.export", Intent::Export, "Ctrl+E"),
    remappable("next_prompt", "keys.next_prompt", Intent::NextPrompt, "F5"),
    remappable("snapshots", "keys.snapshots", Intent::Snapshots, "F6"),
    remappable(
        "context_editing",
        "keys.context_editing",
        Intent::CycleContextEditing,
        "F7",
    ),
    remappable("notes", "keys.notes", Intent::ToggleNotes, "F8"),
    remappable("split", "keys.split", Intent::ToggleSplit, "F4"),
    remappable("close_tab", "keys.close_tab", Intent::CloseTab, "Ctrl+W"),
    remappable(
        "toggle_panel",
        "keys.toggle_panel",
        Intent::TogglePanel,
        "Ctrl+B",
    ),
    remappable("mouse", "keys.mouse", Intent::ToggleMouse, "F12"),
    remappable("copy", "keys.copy", Intent::Copy, "Ctrl+Y"),
    remappable("retry", "keys.retry", Intent::Retry, "Ctrl+R"),
    remappable("extract", "keys.extract", Intent::CycleExtract, "Alt+M"),
    remappable(
        "consolidate",
        "keys.consolidate",
        Intent::Consolidate,
        "Alt+C",
    ),
    remappable("team_run", "keys.team_run", Intent::TeamRun, "Alt+R"),
];

use Scope::{Chat, Editor, Everywhere, Input, Panel, Panes};

/// Every key the app binds, for the help overlay.
pub const BINDINGS: &[Binding] = &[
    remap(Intent::Help, "this help"),
    remap(Intent::Quit, "quit"),
    bind(Everywhere, &["Ctrl+Z"], "suspend (fg resumes)"),
    bind(Everywhere, &["Ctrl+L"], "redraw the whole screen"),
    Binding {
        scope: Everywhere,
        keys: &[
            "Alt+1", "Alt+2", "Alt+3", "Alt+4", "Alt+5", "Alt+6", "Alt+7", "Alt+8", "Alt+9",
        ],
        label: Some("Alt+1…9"),
        what: "select a tab",
        intent: None,
    },
    bind(
        Everywhere,
        &["Ctrl+PageDown", "Ctrl+PageUp"],
        "next / previous tab",
    ),
    remap(Intent::NewTab, "new tab (persona)"),
    remap(Intent::RenameTab, "rename the tab"),
    remap(Intent::PickModel, "choose the tab's model"),
    remap(Intent::Export, "export the session (Markdown)"),
    remap(
        Intent::NextPrompt,
        "demo script: type the tab's next prompt",
    ),
    remap(
        Intent::Snapshots,
        "snapshots: save, restore, reset the demo",
    ),
    remap(
        Intent::CycleContextEditing,
        "context editing: off, demo, production, compact",
    ),
    remap(
        Intent::ToggleNotes,
        "demo script: show / hide the speaker notes",
    ),
    remap(
        Intent::ToggleSplit,
        "side by side: this tab and the next ones in columns",
    ),
    remap(Intent::CloseTab, "close the tab"),
    remap(Intent::TogglePanel, "show / hide the memory panel"),
    remap(
        Intent::ToggleMouse,
        "mouse on / off (off: the terminal selects text)",
    ),
    remap(
        Intent::Copy,
        "copy the last answer (chat: the selection; panel: the file)",
    ),
    remap(Intent::Retry, "retry the failed turn"),
    remap(
        Intent::CycleExtract,
        "extract memories after answers: off, on, auto",
    ),
    remap(
        Intent::Consolidate,
        "consolidate memory: merge duplicates, drop contradicted facts",
    ),
    remap(
        Intent::TeamRun,
        "team run: personas work the script's tasks",
    ),
    bind(
        Panes,
        &["Tab", "Shift+Tab"],
        "move focus: input, chat, memory panel",
    ),
    bind(
        Panes,
        &["Ctrl+F"],
        "find in the chat (from the panel: in memory files)",
    ),
    bind(Input, &["Enter"], "send"),
    bind(Input, &["Alt+Enter", "Shift+Enter"], "new line"),
    bind(Input, &["Up"], "in an empty input: recall the last message"),
    bind(
        Input,
        &["Esc", "Ctrl+C"],
        "clear the draft, else stop the answer",
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
        "select a message, tool card or thinking block",
    ),
    bind(Chat, &["Enter"], "expand / collapse it"),
    bind(
        Chat,
        &["Left", "Right"],
        "select a code block of the message",
    ),
    bind(
        Chat,
        &["y"],
        "copy it (the code block, the message, a tool call's input and result)",
    ),
    bind(Chat, &["/"], "find in the chat (Enter next, Esc closes)"),
    bind(Chat, &["u"], "undo a turn's memory changes"),
    bind(Chat, &["a", "x"], "accept / dismiss a proposed memory"),
    bind(Panel, &["?"], "this help"),
    bind(Panel, &["Up", "Down"], "select"),
    bind(Panel, &["Enter"], "open a file, fold a folder"),
    bind(Panel, &["Left", "Right"], "fold / unfold"),
    Binding {
        scope: Panel,
        keys: &["PageUp", "PageDown", "Home", "End"],
        label: Some("PageUp / PageDown, Home / End"),
        what: "scroll the open file",
        intent: None,
    },
    bind(Panel, &["e"], "edit the file"),
    bind(Panel, &["n", "Ctrl+N"], "new file"),
    bind(Panel, &["r"], "rename"),
    bind(Panel, &["d", "Delete"], "delete (then u undoes)"),
    bind(Panel, &["u"], "undo the delete"),
    bind(Panel, &["h"], "history: versions, restore one"),
    bind(Panel, &["y"], "copy the file"),
    bind(Panel, &["/"], "find memory files by name and text"),
    bind(Panel, &["b"], "task board (n new, r give, d close)"),
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

/// The meaning of `key` among the keys no configuration moves.
fn fixed(focus: Focus, key: KeyEvent) -> Option<Intent> {
    use KeyCode as K;
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    let shift = key.modifiers.contains(KeyModifiers::SHIFT);
    let plain = !ctrl && !alt;
    let only_ctrl = key.modifiers == KeyModifiers::CONTROL;
    let only_alt = key.modifiers == KeyModifiers::ALT;
    let global = match key.code {
        K::Char('z') if only_ctrl => Some(Intent::Suspend),
        _ if is_redraw(key) => Some(Intent::Redraw),
        K::Char(c @ '1'..='9') if only_alt => Some(Intent::SelectTab(c as usize - '1' as usize)),
        K::PageDown if only_ctrl => Some(Intent::NextTab),
        K::PageUp if only_ctrl => Some(Intent::PrevTab),
        K::Tab if plain && !shift && focus != Focus::Editor => Some(Intent::FocusNext),
        K::BackTab if focus != Focus::Editor && plain => Some(Intent::FocusPrev),
        K::Char('f') if only_ctrl && focus != Focus::Editor => Some(Intent::Find),
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
            K::Char('u') if plain => Some(Intent::UndoTurn),
            K::Char('a') if plain => Some(Intent::AcceptProposal),
            K::Char('x') if plain => Some(Intent::DismissProposal),
            K::Char('y') if plain => Some(Intent::Copy),
            K::Char('/') if plain => Some(Intent::Find),
            K::Left if key.modifiers.is_empty() => Some(Intent::Left),
            K::Right if key.modifiers.is_empty() => Some(Intent::Right),
            code if key.modifiers.is_empty() => nav(code),
            _ => None,
        },
        Focus::Panel => match key.code {
            K::Char('?') if plain => Some(Intent::Help),
            K::Enter if key.modifiers.is_empty() => Some(Intent::Activate),
            K::Left if key.modifiers.is_empty() => Some(Intent::Left),
            K::Right if key.modifiers.is_empty() => Some(Intent::Right),
            K::Delete if key.modifiers.is_empty() => Some(Intent::DeleteFile),
            K::Char('n') if only_ctrl => Some(Intent::NewFile),
            K::Char(c) if key.modifiers.is_empty() => match c {
                'e' => Some(Intent::Edit),
                'n' => Some(Intent::NewFile),
                'r' => Some(Intent::RenameFile),
                'd' => Some(Intent::DeleteFile),
                'u' => Some(Intent::UndoDelete),
                'h' => Some(Intent::History),
                'y' => Some(Intent::Copy),
                'b' => Some(Intent::ToggleBoard),
                '/' => Some(Intent::Find),
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

/// The keys of the remappable actions: the defaults, changed by `[keys]` in the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keymap {
    /// One key per entry of [`REMAPPABLE`], in its order.
    keys: Vec<KeyEvent>,
}

impl Default for Keymap {
    fn default() -> Self {
        Self {
            keys: REMAPPABLE
                .iter()
                .map(|r| parse_key(r.default).unwrap_or_else(|e| unreachable!("{e}")))
                .collect(),
        }
    }
}

impl Keymap {
    /// The app's meaning of `key` when `focus` has the keyboard; `None` leaves it to the text
    /// field that has focus (if any).
    pub fn resolve(&self, focus: Focus, key: KeyEvent) -> Option<Intent> {
        let moved = self
            .keys
            .iter()
            .position(|k| k.code == key.code && k.modifiers == key.modifiers);
        match moved {
            Some(i) => Some(REMAPPABLE[i].intent),
            None => fixed(focus, key),
        }
    }

    /// The key of a remappable action.
    pub fn key(&self, intent: Intent) -> Option<KeyEvent> {
        REMAPPABLE
            .iter()
            .position(|r| r.intent == intent)
            .map(|i| self.keys[i])
    }

    /// The key of a remappable action as the screen writes it, e.g. `F5` or `Ctrl+E`.
    pub fn label(&self, intent: Intent) -> String {
        self.key(intent).map(key_label).unwrap_or_default()
    }

    /// The same, short: `^E` for `Ctrl+E`, for hints where room is scarce.
    pub fn short(&self, intent: Intent) -> String {
        let label = self.label(intent);
        match label.strip_prefix("Ctrl+") {
            Some(rest) if !rest.contains('+') => format!("^{rest}"),
            _ => label,
        }
    }

    /// The keys of a help line.
    pub fn keys_of(&self, binding: &Binding) -> String {
        match (binding.intent, binding.label) {
            (Some(intent), _) => self.label(intent),
            (None, Some(label)) => label.to_owned(),
            (None, None) => binding.keys.join(" / "),
        }
    }

    /// Whether the help overlay lists `key` for `focus`.
    pub fn is_listed(&self, focus: Focus, key: KeyEvent) -> bool {
        let label = key_label(key);
        BINDINGS.iter().any(|b| {
            b.scope.covers(focus)
                && match b.intent {
                    Some(intent) => self.label(intent) == label,
                    None => b.keys.contains(&label.as_str()),
                }
        })
    }

    /// Move the actions in `moves` (by [`Remap::name`]) to their keys. Refused, with the
    /// reason: an unknown action, a key that is not one, a key that would type a character or
    /// that something else already uses, or one key for two actions.
    pub fn with(moves: &[(&str, KeyEvent)]) -> Result<Self, String> {
        let mut map = Self::default();
        for (name, key) in moves {
            let Some(i) = REMAPPABLE.iter().position(|r| r.name == *name) else {
                return Err(format!(
                    "{name} is not an action whose key can change; {}",
                    names()
                ));
            };
            check_free(*key)?;
            map.keys[i] = *key;
        }
        for (i, key) in map.keys.iter().enumerate() {
            if let Some(j) = map.keys[..i].iter().position(|k| k == key) {
                return Err(format!(
                    "{} and {} are both on {}; each action needs its own key",
                    REMAPPABLE[j].setting,
                    REMAPPABLE[i].setting,
                    key_label(*key)
                ));
            }
        }
        Ok(map)
    }
}

/// The actions `[keys]` may move, for messages.
pub fn names() -> String {
    let names: Vec<&str> = REMAPPABLE.iter().map(|r| r.name).collect();
    format!("the actions are {}", names.join(", "))
}

/// A key as the configuration writes it: `F5`, `Ctrl+E`, `Alt+P`, `Shift+F2`, `Ctrl+Alt+X`,
/// `Ctrl+PageDown`. Names and modifiers in any case.
pub fn parse_key(text: &str) -> Result<KeyEvent, String> {
    let bad = || {
        format!(
            "{text:?} is not a key; write one such as F5, Ctrl+E, Alt+P, Shift+F2 or Ctrl+Alt+X"
        )
    };
    let mut parts: Vec<&str> = text.trim().split('+').map(str::trim).collect();
    // "Ctrl++" is the plus key.
    if text.trim().ends_with("++") {
        parts.pop();
        parts.pop();
        parts.push("+");
    }
    let name = parts.pop().filter(|n| !n.is_empty()).ok_or_else(bad)?;
    let mut modifiers = KeyModifiers::NONE;
    for part in parts {
        modifiers |= match part.to_ascii_lowercase().as_str() {
            "ctrl" | "control" => KeyModifiers::CONTROL,
            "alt" | "meta" | "option" => KeyModifiers::ALT,
            "shift" => KeyModifiers::SHIFT,
            _ => return Err(bad()),
        };
    }
    let lower = name.to_ascii_lowercase();
    let code = match lower.as_str() {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backspace" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" => KeyCode::PageUp,
        "pagedown" => KeyCode::PageDown,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "space" => KeyCode::Char(' '),
        f if f.starts_with('f') && f.len() > 1 && f[1..].bytes().all(|b| b.is_ascii_digit()) => {
            match f[1..].parse::<u8>() {
                Ok(n @ 1..=12) => KeyCode::F(n),
                _ => return Err(bad()),
            }
        }
        _ => {
            let mut chars = name.chars();
            match (chars.next(), chars.next()) {
                // Letters with Ctrl or Alt arrive lower case.
                (Some(c), None)
                    if modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
                {
                    if modifiers.contains(KeyModifiers::SHIFT) && c.is_alphabetic() {
                        return Err(format!(
                            "{text:?}: terminals do not tell Shift apart with Ctrl or Alt and a \
                             letter; choose another key"
                        ));
                    }
                    KeyCode::Char(c.to_ascii_lowercase())
                }
                (Some(c), None) => KeyCode::Char(c),
                _ => return Err(bad()),
            }
        }
    };
    Ok(KeyEvent::new(code, modifiers))
}

/// A key as the configuration writes it, when a remappable action may take it.
pub fn usable(text: &str) -> Result<KeyEvent, String> {
    let key = parse_key(text)?;
    check_free(key)?;
    Ok(key)
}

/// Whether a remappable action may take `key`: not a character the input would type, not a
/// key the terminal sends as another, not a key the app already uses.
fn check_free(key: KeyEvent) -> Result<(), String> {
    let label = key_label(key);
    let mods = key.modifiers;
    if let KeyCode::Char(c) = key.code {
        if !mods.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
            return Err(format!(
                "{label} alone would type into the message input; add Ctrl or Alt, or use a \
                 function key"
            ));
        }
        if mods == KeyModifiers::CONTROL && matches!(c, 'm' | 'i' | 'h' | 'j' | '[') {
            return Err(format!(
                "{label} reaches the app as Enter, Tab, Backspace or Esc in most terminals; \
                 choose another key"
            ));
        }
    }
    for focus in [Focus::Input, Focus::Chat, Focus::Panel, Focus::Editor] {
        if fixed(focus, key).is_some() {
            let what = BINDINGS
                .iter()
                .find(|b| b.intent.is_none() && b.keys.contains(&label.as_str()))
                .map_or("something else", |b| b.what);
            return Err(format!("{label} is taken: it means “{what}”"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(focus: Focus, key: KeyEvent) -> Option<Intent> {
        Keymap::default().resolve(focus, key)
    }

    fn is_listed(focus: Focus, key: KeyEvent) -> bool {
        Keymap::default().is_listed(focus, key)
    }

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
        for remap in REMAPPABLE {
            assert!(
                BINDINGS.iter().any(|b| b.intent == Some(remap.intent)),
                "{} is not in the help",
                remap.name
            );
        }
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

    #[test]
    fn keys_parse_as_people_write_them() {
        let key = |c, m| Ok(KeyEvent::new(c, m));
        let ctrl = KeyModifiers::CONTROL;
        assert_eq!(parse_key("F9"), key(KeyCode::F(9), KeyModifiers::NONE));
        assert_eq!(parse_key("ctrl+e"), key(KeyCode::Char('e'), ctrl));
        assert_eq!(parse_key(" Ctrl + E "), key(KeyCode::Char('e'), ctrl));
        assert_eq!(
            parse_key("Alt+P"),
            key(KeyCode::Char('p'), KeyModifiers::ALT)
        );
        assert_eq!(
            parse_key("Shift+F2"),
            key(KeyCode::F(2), KeyModifiers::SHIFT)
        );
        assert_eq!(
            parse_key("Ctrl+Alt+x"),
            key(KeyCode::Char('x'), ctrl | KeyModifiers::ALT)
        );
        assert_eq!(parse_key("Ctrl+PageDown"), key(KeyCode::PageDown, ctrl));
        assert_eq!(parse_key("Ctrl++"), key(KeyCode::Char('+'), ctrl));
        for bad in ["", "F13", "F0", "Hyper+X", "Ctrl+", "Ctrl+Shift+E", "ab"] {
            assert!(parse_key(bad).is_err(), "{bad:?} parsed");
        }
        // What parses is written back the same way.
        for text in [
            "F9",
            "Ctrl+E",
            "Alt+P",
            "Shift+F2",
            "Ctrl+Alt+X",
            "Ctrl+PageDown",
        ] {
            assert_eq!(key_label(parse_key(text).unwrap()), text);
        }
    }

    #[test]
    fn a_moved_action_answers_on_its_new_key_only_and_the_help_follows() {
        let f9 = parse_key("F9").unwrap();
        let f5 = parse_key("F5").unwrap();
        let map =
            Keymap::with(&[("next_prompt", f9), ("export", parse_key("Alt+X").unwrap())]).unwrap();
        assert_eq!(map.resolve(Focus::Input, f9), Some(Intent::NextPrompt));
        assert_eq!(map.resolve(Focus::Input, f5), None);
        assert_eq!(map.label(Intent::NextPrompt), "F9");
        assert_eq!(map.short(Intent::TogglePanel), "^B");
        assert!(map.is_listed(Focus::Chat, f9));
        assert!(!map.is_listed(Focus::Chat, f5));
        let line = BINDINGS
            .iter()
            .find(|b| b.intent == Some(Intent::Export))
            .unwrap();
        assert_eq!(map.keys_of(line), "Alt+X");
        // Every key the moved map binds is still in its help.
        for focus in [Focus::Input, Focus::Chat, Focus::Panel, Focus::Editor] {
            for key in universe() {
                if map.resolve(focus, key).is_some() {
                    assert!(map.is_listed(focus, key), "{}", key_label(key));
                }
            }
        }
    }

    #[test]
    fn keys_that_cannot_be_used_are_refused_with_the_reason() {
        let moved = |pairs: &[(&str, &str)]| {
            let keys: Vec<(&str, KeyEvent)> = pairs
                .iter()
                .map(|(name, key)| (*name, parse_key(key).unwrap()))
                .collect();
            Keymap::with(&keys).unwrap_err()
        };
        assert_eq!(
            moved(&[("export", "x")]),
            "x alone would type into the message input; add Ctrl or Alt, or use a function key"
        );
        assert_eq!(
            moved(&[("export", "Ctrl+C")]),
            "Ctrl+C is taken: it means “clear the draft, else stop the answer”"
        );
        assert_eq!(
            moved(&[("export", "Enter")]),
            "Enter is taken: it means “send”"
        );
        assert!(moved(&[("export", "Ctrl+M")]).contains("as Enter, Tab"));
        assert_eq!(
            moved(&[("export", "F6")]),
            "keys.export and keys.snapshots are both on F6; each action needs its own key"
        );
        assert!(moved(&[("dance", "F9")]).starts_with(
            "dance is not an action whose key can change; the actions are help, quit,"
        ));
        // Swapping two actions' keys is fine.
        assert!(
            Keymap::with(&[
                ("snapshots", parse_key("F7").unwrap()),
                ("context_editing", parse_key("F6").unwrap()),
            ])
            .is_ok()
        );
    }
}
