//! Demo scripts: the prompts a presenter sends, per persona and in order, with speaker notes.
//! A key types the active tab's next prompt into its input (the presenter presses Enter); the
//! note shows under the input.
//!
//! ```toml
//! title = "Acme: from requirements to proposal"
//!
//! [[step]]
//! persona = "Alice"
//! prompt = "Our customer Acme wants to move 40 TB to the cloud by March."
//! note = "Alice is in discovery: watch the memory panel."
//!
//! [[step]]
//! persona = "John"
//! prompt = "Review this program for thread-safety problems."
//! attach = "review/inventory.py"   # a file beside the script, added as a code block
//! ```

use std::path::Path;

use serde::Deserialize;

/// One prompt of a script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub persona: String,
    /// The whole text typed into the input (the attached file included).
    pub prompt: String,
    pub note: Option<String>,
}

/// A loaded script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    pub title: String,
    pub steps: Vec<Step>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScript {
    title: String,
    step: Vec<toml::Spanned<RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    persona: String,
    prompt: String,
    note: Option<String>,
    attach: Option<String>,
}

/// Read the script at `path`; attachments are read relative to its directory.
pub fn load(path: &Path) -> Result<Script, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the demo script {}: {e}", path.display()))?;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    parse(&text, &|name| {
        std::fs::read_to_string(dir.join(name)).map_err(|e| e.to_string())
    })
    .map_err(|e| format!("{}: {e}", path.display()))
}

/// Parse a script's text; `attachment` reads a file the script attaches (a relative path).
pub fn parse(
    text: &str,
    attachment: &dyn Fn(&Path) -> Result<String, String>,
) -> Result<Script, String> {
    let raw: RawScript = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_owned())?;
    let mut steps = Vec::new();
    for step in raw.step {
        let line = text[..step.span().start.min(text.len())]
            .matches('\n')
            .count()
            + 1;
        let step = step.into_inner();
        if step.persona.trim().is_empty() || step.prompt.trim().is_empty() {
            return Err(format!("line {line}: a step needs a persona and a prompt"));
        }
        let mut prompt = step.prompt.trim().to_owned();
        if let Some(name) = step.attach {
            let attached = Path::new(&name);
            if attached.is_absolute()
                || attached
                    .components()
                    .any(|c| matches!(c, std::path::Component::ParentDir))
            {
                return Err(format!(
                    "line {line}: attach {name:?} must be a path inside the script's directory"
                ));
            }
            let body = attachment(attached)
                .map_err(|e| format!("line {line}: cannot read the attached {name}: {e}"))?;
            let fence = "```";
            let lang = attached.extension().and_then(|e| e.to_str()).unwrap_or("");
            prompt = format!("{prompt}\n\n{fence}{lang}\n{}\n{fence}", body.trim_end());
        }
        steps.push(Step {
            persona: step.persona.trim().to_owned(),
            prompt,
            note: step
                .note
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty()),
        });
    }
    if steps.is_empty() {
        return Err("the script has no [[step]]".to_owned());
    }
    Ok(Script {
        title: raw.title,
        steps,
    })
}

impl Script {
    /// The steps of `persona` (any case), in order.
    pub fn steps_of<'a>(&'a self, persona: &'a str) -> impl Iterator<Item = &'a Step> + 'a {
        self.steps
            .iter()
            .filter(move |s| s.persona.eq_ignore_ascii_case(persona))
    }
}

/// The scripts that ship with memdeck, by name (`--demo team` loads the first).
pub const SHIPPED: &[(&str, &str)] = &[
    ("team", include_str!("../../assets/demos/team.toml")),
    (
        "code-review",
        include_str!("../../assets/demos/code-review.toml"),
    ),
    ("incident", include_str!("../../assets/demos/incident.toml")),
];

/// Attachments of the shipped scripts, by the path the scripts name.
const SHIPPED_FILES: &[(&str, &str)] = &[
    (
        "code-review/inventory.py",
        include_str!("../../assets/demos/code-review/inventory.py"),
    ),
    (
        "code-review/rate_limiter.py",
        include_str!("../../assets/demos/code-review/rate_limiter.py"),
    ),
];

/// A script by file path, or one of the shipped ones by name.
pub fn find(name_or_path: &str) -> Result<Script, String> {
    if let Some((_, text)) = SHIPPED.iter().find(|(name, _)| *name == name_or_path) {
        let shipped = |path: &Path| {
            SHIPPED_FILES
                .iter()
                .find(|(name, _)| Path::new(name) == path)
                .map(|(_, body)| (*body).to_owned())
                .ok_or_else(|| "not shipped".to_owned())
        };
        return parse(text, &shipped)
            .map_err(|e| format!("the shipped script {name_or_path}: {e}"));
    }
    let path = Path::new(name_or_path);
    if path.exists() {
        return load(path);
    }
    let names: Vec<&str> = SHIPPED.iter().map(|(n, _)| *n).collect();
    Err(format!(
        "no demo script {name_or_path:?}: give a file, or one of {}",
        names.join(", ")
    ))
}
