//! A demo script played without the app: every step in order, each through its persona's agent
//! with one conversation per persona (as the app's tabs keep them), printed as `memdeck ask`
//! prints a turn. `memdeck demo run` plays a script; `memdeck demo record` plays it through a
//! recorder, so that the app can replay it at the venue (`--demo NAME --replay FILE`).

use std::collections::HashMap;
use std::io::Write;

use tokio_util::sync::CancellationToken;

use super::ask::{Io, Output, ask_in};
use super::{Agent, Conversation, TurnError};

/// A step that did not complete: which one, and why.
#[derive(Debug)]
pub struct Stopped {
    /// Counting from 1.
    pub step: usize,
    pub persona: String,
    pub error: TurnError,
}

/// One step of a script: who says it, and what.
pub struct Step<'a> {
    pub persona: &'a str,
    pub prompt: &'a str,
}

/// Play the steps in order: `agent_for` gives each persona's agent. Before each step a header
/// names it (`── 2/5 · Alice ──` and the prompt's first line).
pub async fn play(
    steps: &[Step<'_>],
    agent_for: &dyn Fn(&str) -> Agent,
    cancel: &CancellationToken,
    output: Output,
    out: &mut (dyn Write + Send),
    notes: &mut (dyn Write + Send),
) -> Result<(), Stopped> {
    let mut tabs: HashMap<String, Conversation> = HashMap::new();
    let total = steps.len();
    for (i, step) in steps.iter().enumerate() {
        let first = step.prompt.lines().next().unwrap_or_default();
        if output == Output::Text {
            let _ = writeln!(
                out,
                "── {}/{total} · {} ──\n> {}",
                i + 1,
                step.persona,
                crate::safe::printable(first)
            );
        }
        let agent = agent_for(step.persona);
        let conversation = tabs.entry(step.persona.to_lowercase()).or_default();
        let io = Io {
            output,
            out: &mut *out,
            notes: &mut *notes,
            extraction: None,
        };
        ask_in(&agent, conversation, step.prompt, cancel, io, &mut |_| {})
            .await
            .map_err(|error| Stopped {
                step: i + 1,
                persona: step.persona.to_owned(),
                error,
            })?;
        if output == Output::Text {
            let _ = writeln!(out);
        }
    }
    Ok(())
}
