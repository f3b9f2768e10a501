//! What the screen needs from the configuration beyond the config module's own values: the
//! keymap (from `[keys]` and the defaults) and the theme (a built-in name or a file). The config
//! keeps these as written; they are built here, where both the app's actions and the draw
//! code's colours are known, with errors that say where the bad setting was written.

use crate::app::keymap::{Keymap, REMAPPABLE, key_label, names, parse_key, usable};
use crate::config::{Config, ConfigError, Origin, Setting, quote};
use crate::ui::theme::Theme;

/// The keys of the actions presenters move, and the colours.
#[derive(Clone, Debug)]
pub struct Prefs {
    pub keymap: Keymap,
    pub theme: Theme,
}

impl Prefs {
    /// Build both from `config`; each key's setting (default or written) joins `config`'s
    /// settings, before the theme's, so that `memdeck config` shows it.
    pub fn resolve(config: &mut Config) -> Result<Self, ConfigError> {
        let keymap = keymap(config)?;
        let theme = Theme::find(&config.theme).map_err(|e| config.invalid("theme", &e))?;
        Ok(Self { keymap, theme })
    }
}

/// `[keys]`: every entry names an action that can move; each action's key is the highest
/// file's, else its default; then the whole map is checked for one key doing two things.
fn keymap(config: &mut Config) -> Result<Keymap, ConfigError> {
    if let Some(entry) = config
        .keys
        .iter()
        .find(|e| !REMAPPABLE.iter().any(|r| r.name == e.name))
    {
        return Err(entry.invalid_name(&format!(
            "{} is not an action whose key can change; {}",
            entry.name,
            names()
        )));
    }
    let mut moves = Vec::new();
    let mut settings = Vec::new();
    for remap in REMAPPABLE {
        let (key, origin) = match config.keys.iter().find(|e| e.name == remap.name) {
            Some(entry) => (
                usable(&entry.text).map_err(|e| entry.invalid(&e))?,
                Origin::File {
                    path: entry.path.clone(),
                    line: entry.line,
                },
            ),
            None => (
                parse_key(remap.default).map_err(ConfigError)?,
                Origin::Default,
            ),
        };
        settings.push(Setting {
            key: remap.setting,
            value: quote(&key_label(key)),
            origin,
            given: String::new(),
        });
        moves.push((remap.name, key));
    }
    let keymap = Keymap::with(&moves).map_err(|e| {
        // Say where each of the settings the message names was set.
        let wheres: Vec<String> = settings
            .iter()
            .filter(|s| e.contains(s.key))
            .map(|s| format!("{} from {}", s.key, s.origin))
            .collect();
        ConfigError(format!("{e} ({})", wheres.join("; ")))
    });
    let at = config
        .settings
        .iter()
        .position(|s| s.key == "theme")
        .unwrap_or(config.settings.len());
    config.settings.splice(at..at, settings);
    keymap
}
