//! The demo model as the extraction call (see [`crate::chat::extract`]): from the person's
//! sentences in the turn it proposes, deterministically, who they are (a `user` memory:
//! "I'm Alice from `TechCorp`", "I lead discovery") and how they want the work done (a `feedback`
//! memory: "I prefer short bullet lists", "always quote the file"), each in the person's words
//! and attributed, as the JSON array the extraction call asks for.

use serde_json::{Value, json};

use super::words;

/// Phrases that make a sentence about how the person wants the work done.
const FEEDBACK: &[&str] = &[
    "i prefer",
    "i'd prefer",
    "i would prefer",
    "i'd rather",
    "i would rather",
    "i like ",
    "i don't like",
    "i do not like",
    "always ",
    "never ",
    "from now on",
    "in future",
    "in the future",
    "going forward",
    "keep answers",
    "keep it short",
    "keep them short",
    "be brief",
];

/// Phrases that make a sentence about who the person is.
const ABOUT_ME: &[&str] = &[
    "i'm the ",
    "i am the ",
    "i lead ",
    "i run ",
    "i manage ",
    "i own ",
    "i handle ",
    "i work on ",
    "i work in ",
    "i'm responsible",
    "i am responsible",
    "my role",
    "my team",
    "you can reach me",
    "reach me at",
];

/// The person, from the extraction prompt ("The person speaking is Alice.").
fn person(system: &str) -> String {
    system
        .split("The person speaking is ")
        .nth(1)
        .and_then(|rest| rest.split(". ").next())
        .unwrap_or("someone")
        .to_owned()
}

/// Whether a sentence introduces the person with their company: "I'm Alice from `TechCorp`".
fn introduces(lower: &str, person: &str) -> bool {
    let me = person.to_lowercase();
    [
        format!("i'm {me} from "),
        format!("i am {me} from "),
        format!("this is {me} from "),
    ]
    .iter()
    .any(|p| lower.contains(p.as_str()))
}

/// The JSON array answer for an extraction request.
pub fn answer(system: &str, messages: &[Value]) -> String {
    let person = person(system);
    let asked = messages
        .last()
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default();
    let turn = asked
        .split("<turn>\n")
        .nth(1)
        .and_then(|t| t.split("</turn>").next())
        .unwrap_or_default();
    let said: Vec<&str> = turn
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("{person}: ")))
        .collect();
    let (mut about, mut feedback) = (Vec::new(), Vec::new());
    for sentence in said.iter().flat_map(|text| words::sentences(text)) {
        let lower = format!("{} ", sentence.to_lowercase());
        let line = format!("- \"{}\" ({person})", sentence.trim());
        if FEEDBACK.iter().any(|p| lower.contains(p)) {
            feedback.push(line);
        } else if introduces(&lower, &person) || ABOUT_ME.iter().any(|p| lower.contains(p)) {
            about.push(line);
        }
    }
    let slug = words::slug(&person);
    let mut items = Vec::new();
    if !about.is_empty() {
        items.push(json!({
            "path": format!("/memories/people/{slug}.md"),
            "name": person,
            "type": "user",
            "description": format!("Who {person} is: role, team, how to reach them"),
            "body": about.join("\n"),
        }));
    }
    if !feedback.is_empty() {
        items.push(json!({
            "path": format!("/memories/people/{slug}_preferences.md"),
            "name": format!("{person}'s preferences"),
            "type": "feedback",
            "description": format!("How {person} wants answers and work done"),
            "body": feedback.join("\n"),
        }));
    }
    serde_json::to_string_pretty(&Value::Array(items)).unwrap_or_else(|_| "[]".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(person: &str, said: &str) -> Vec<Value> {
        let system = crate::chat::extract::system_prompt(person);
        let messages = vec![json!({"role": "user", "content": format!(
            "<memory_index>\n</memory_index>\n\n<turn>\n{person}: {said}\nClaude: Saved.\n[memory create /memories/acme.md]\n</turn>"
        )})];
        serde_json::from_str::<Vec<Value>>(&answer(&system, &messages)).unwrap()
    }

    #[test]
    fn who_people_are_and_how_they_want_it_done() {
        let got = ask(
            "Priya",
            "Hi, I'm Priya from Northwind and I lead the data team. Acme has 40 stores. \
             Please keep answers short, I prefer bullet lists.",
        );
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0]["path"], "/memories/people/priya.md");
        assert_eq!(got[0]["type"], "user");
        assert_eq!(
            got[0]["body"],
            "- \"Hi, I'm Priya from Northwind and I lead the data team.\" (Priya)"
        );
        assert_eq!(got[1]["path"], "/memories/people/priya_preferences.md");
        assert_eq!(got[1]["type"], "feedback");
        assert_eq!(
            got[1]["body"],
            "- \"Please keep answers short, I prefer bullet lists.\" (Priya)"
        );
    }

    #[test]
    fn plain_facts_and_tasks_propose_nothing() {
        for said in [
            "Acme runs 40 stores and wants to migrate by March.",
            "Please design a cloud migration architecture.",
            "What do we know about Globex?",
        ] {
            assert_eq!(ask("Sam", said), Vec::<Value>::new(), "{said}");
        }
    }
}
