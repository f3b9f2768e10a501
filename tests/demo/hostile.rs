//! Whatever a presenter types (letters whose lowercase is longer or shorter than they are,
//! marks, emoji, lone brackets, numbers said in words, half sentences), the offline demo
//! model answers every persona without a panic, and what it writes is a memory file the store
//! takes. Random messages built from the grammar's own words mixed with such characters.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use proptest::prelude::*;

use crate::support::demo;

use demo::{local_store, say, scratch};
use memdeck::chat::Conversation;
use memdeck::memory::{MemPath, NodeKind};

/// Words the demo model's grammar reacts to.
#[rustfmt::skip]
const GRAMMAR: &[&str] = &[
    "Globex", "Initech", "Corp", "Industries", "GmbH", "&", "budget", "Budget:", "is", "$5M",
    "€4M", "1,200", "~25", "(2", "PB)", "by", "Q3", "2027", "deadline", "contact", "Dr.", "(CIO)",
    "(Head", "of", "IT)", "they", "They've", "they'd", "like", "want", "wants", "to", "move",
    "AWS", "Azure", "GKE", "and", "forget", "Forget", "the", "What's", "how", "many", "clinics",
    "added", "3", "more", "fewer", "—", "-", ":", "not", "two", "hundred", "zero", "million",
    "dollars", "platform", "a", "assistant", "trained", "on", "per", "second", "Compare", "Sam,",
    "architecture", "proposal", "Design", "Write", "is", "the", "hard", "from", "at", "Jane",
    "coffee", "with", "champion", "our", "phase", "1", "live", "actually", "Actually", "\n- ",
    "\n1. ", "* ", "?", ".", ",", ";", "(", ")", "\"", "'s", "```", "İ", "K", "ß", "ﬁ", "ǅ", "Σ",
    "ς", "𝔘", "😀", "\u{301}", "\u{200F}", "\u{FEFF}", "\t", "ŉ", "Ω", "ẞ", "oK", "5K", "$5K",
    "ﬁve", "İİ", "Kontakt", "ﬀ", "Å", "18446744073709551615", "9223372036854775807", "years",
    "months", "weeks", "apps", "plants", "Review", "review", "audit", "security", "must",
    "stay", "in", "EU",
];

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(GRAMMAR).prop_map(str::to_owned),
        1 => "[a-zA-Z0-9$€£%.,:;()'&/-]{1,8}",
        1 => any::<char>().prop_map(|c| c.to_string()),
    ]
}

fn message() -> impl Strategy<Value = String> {
    prop::collection::vec((word(), prop::bool::ANY), 0..24).prop_map(|ws| {
        ws.into_iter()
            .map(|(w, glued)| if glued { w } else { format!(" {w}") })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Alice remembers it, John designs from it, Sam is asked it: no panic, each answer says
    /// something, and every file left is readable.
    #[test]
    fn any_message_gets_an_answer_and_leaves_readable_files(said in message(), asked in message()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let (_tmp, dir) = scratch();
            let store = local_store(&dir);
            let seed = "Met with Globex: 40 plants, budget $2M, deadline Q3 2027, contact is Dana Ortiz (CTO).";
            for (persona, text) in [
                ("Alice", seed),
                ("Alice", said.as_str()),
                ("John", &format!("Design the architecture for {said}")),
                ("Sam", asked.as_str()),
                ("Sam", &format!("Write the proposal for Globex. {asked}")),
                ("Sam", &format!("Forget {asked}")),
            ] {
                let agent = demo::agent(&store, persona, "team member");
                let (answer, _) = say(&agent, &mut Conversation::default(), text).await;
                prop_assert!(!answer.trim().is_empty(), "{persona} said nothing to {text:?}");
            }
            let listing = store.list(&MemPath::root(), 4).unwrap();
            for entry in listing.entries.iter().filter(|e| e.kind == NodeKind::File) {
                let path = MemPath::parse(&format!("/memories/{}", entry.relative)).unwrap();
                let read = store.read(&path);
                prop_assert!(read.is_ok(), "{}: {read:?}", entry.relative);
            }
            Ok(())
        })?;
    }
}

/// Messages that once broke the demo model: a Kelvin sign (its lowercase is one byte, "k")
/// after a letter cut a word inside a character; names with nothing said about them got an
/// empty answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_that_once_broke_it() {
    let (_tmp, dir) = scratch();
    let store = local_store(&dir);
    for text in [
        "Met with Globex: 40 plants, budget $2M, deadline Q3 2027, contact is Dana Ortiz (CTO).",
        "o\u{212A}, budget is $5M for Globex",
        "Globex budget 5\u{212A}",
        "\u{212A}eep in mind that Globex runs SAP",
        "Globex wants to move by \u{212A}3. Compliance with \u{130}\u{130} GDPR",
        "need to \u{130}\u{130}\u{130} check the Globex deadline by Q3",
        "Globex is on a \u{130}\u{130} project for the cloud",
        " $5M \n-  \u{376} Globex PB)Dr. \u{130}\u{130} Dr. of PB)",
    ] {
        let agent = demo::agent(&store, "Alice", "team member");
        let (answer, _) = say(&agent, &mut Conversation::default(), text).await;
        assert!(!answer.trim().is_empty(), "nothing said to {text:?}");
    }
}
