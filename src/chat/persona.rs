//! Personas: who speaks in a tab. The default team is `assets/personas.toml`, built in.

use serde::{Deserialize, Serialize};

/// Who is speaking in a tab.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Persona {
    pub name: String,
    /// What this persona does on the team, e.g. "Discovery".
    pub role: String,
    /// A terminal colour name or `#rrggbb`, used wherever the persona appears.
    #[serde(default = "default_color")]
    pub color: String,
}

fn default_color() -> String {
    "white".to_owned()
}

#[derive(Deserialize)]
struct PersonaFile {
    persona: Vec<Persona>,
}

const DEFAULT_TEAM: &str = include_str!("../../assets/personas.toml");

/// The team a session starts with.
pub fn default_team() -> Vec<Persona> {
    // The file is part of the binary and checked by a test, so it always parses.
    toml::from_str::<PersonaFile>(DEFAULT_TEAM)
        .map(|f| f.persona)
        .unwrap_or_default()
}

impl Persona {
    /// A persona by name: one of the default team (any case), or a new team member.
    pub fn named(name: &str) -> Self {
        default_team()
            .into_iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .unwrap_or_else(|| Self {
                name: name.to_owned(),
                role: "Team member".to_owned(),
                color: default_color(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_team_parses() {
        let team = default_team();
        let names: Vec<(&str, &str)> = team
            .iter()
            .map(|p| (p.name.as_str(), p.role.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("Alice", "Discovery"),
                ("John", "Solution Architect"),
                ("Sam", "Proposal Writer")
            ]
        );
        assert!(team.iter().all(|p| !p.color.is_empty()));
    }

    #[test]
    fn names_find_their_persona() {
        assert_eq!(Persona::named("john").role, "Solution Architect");
        let guest = Persona::named("Priya");
        assert_eq!(
            (guest.name.as_str(), guest.role.as_str()),
            ("Priya", "Team member")
        );
    }
}
