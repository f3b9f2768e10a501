//! Secrets the memory tool will not store.
//!
//! Memory is shared: every tab reads it, and with the Redis backend so does every machine of the
//! team. A key the model was shown (pasted into a prompt, read from a document) must not be
//! copied there. The model's writes (`create`'s text, `str_replace`'s new text, `insert`'s text)
//! are checked for the shapes of common credentials; a match refuses the write with a message
//! that names the kind of secret but never repeats it.

/// What a write was refused for: the kind of secret, as the model and the log are told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Secret {
    pub kind: &'static str,
}

/// A credential shape: a fixed prefix, then at least `min` (and at most `max`) characters of
/// the token's alphabet.
struct Shape {
    kind: &'static str,
    prefix: &'static str,
    min: usize,
    max: usize,
    alphabet: fn(char) -> bool,
}

fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

fn upper_or_digit(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
}

const SHAPES: &[Shape] = &[
    Shape {
        kind: "an Anthropic API key (sk-ant-…)",
        prefix: "sk-ant-",
        min: 20,
        max: usize::MAX,
        alphabet: token_char,
    },
    // OpenAI's keys (`sk-…`, `sk-proj-…`): long enough not to be mistaken for a word.
    Shape {
        kind: "an API key (sk-…)",
        prefix: "sk-",
        min: 32,
        max: usize::MAX,
        alphabet: token_char,
    },
    Shape {
        kind: "an AWS access key id (AKIA…)",
        prefix: "AKIA",
        min: 16,
        max: 16,
        alphabet: upper_or_digit,
    },
    Shape {
        kind: "an AWS access key id (ASIA…)",
        prefix: "ASIA",
        min: 16,
        max: 16,
        alphabet: upper_or_digit,
    },
    Shape {
        kind: "a GitHub token (ghp_…)",
        prefix: "ghp_",
        min: 36,
        max: usize::MAX,
        alphabet: token_char,
    },
    Shape {
        kind: "a GitHub token (gho_…)",
        prefix: "gho_",
        min: 36,
        max: usize::MAX,
        alphabet: token_char,
    },
    Shape {
        kind: "a GitHub token (github_pat_…)",
        prefix: "github_pat_",
        min: 22,
        max: usize::MAX,
        alphabet: token_char,
    },
    Shape {
        kind: "a Slack token (xoxb-…)",
        prefix: "xoxb-",
        min: 10,
        max: usize::MAX,
        alphabet: token_char,
    },
    Shape {
        kind: "a Slack token (xoxp-…)",
        prefix: "xoxp-",
        min: 10,
        max: usize::MAX,
        alphabet: token_char,
    },
];

/// The first secret `text` holds, if any.
pub fn find(text: &str) -> Option<Secret> {
    let private_key = text.match_indices("-----BEGIN ").any(|(at, _)| {
        text[at..]
            .lines()
            .next()
            .is_some_and(|line| line.contains("PRIVATE KEY-----"))
    });
    if private_key {
        return Some(Secret {
            kind: "a private key (-----BEGIN … PRIVATE KEY-----)",
        });
    }
    SHAPES.iter().find_map(|shape| {
        text.match_indices(shape.prefix)
            .any(|(at, _)| {
                // A word that merely ends in the prefix ("task-ant-…") is not a token's start.
                let starts_token = !text[..at].chars().next_back().is_some_and(token_char);
                let run = text[at + shape.prefix.len()..]
                    .chars()
                    .take_while(|&c| (shape.alphabet)(c))
                    .count();
                starts_token && run >= shape.min && run <= shape.max
            })
            .then_some(Secret { kind: shape.kind })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> Option<&'static str> {
        find(text).map(|s| s.kind)
    }

    #[test]
    fn credentials_are_found_wherever_they_sit() {
        let anthropic = format!("sk-ant-api03-{}", "Ab3_-x".repeat(15));
        assert_eq!(
            kind(&format!("The key is {anthropic}.")),
            Some("an Anthropic API key (sk-ant-…)")
        );
        assert_eq!(
            kind(&format!("key=\"{anthropic}\"")),
            Some("an Anthropic API key (sk-ant-…)")
        );
        let openai = format!("sk-proj-{}", "a1B2c3D4".repeat(6));
        assert_eq!(kind(&format!("- {openai}\n")), Some("an API key (sk-…)"));
        assert_eq!(
            kind("aws: AKIAIOSFODNN7EXAMPLE, region us-east-1"),
            Some("an AWS access key id (AKIA…)")
        );
        assert_eq!(
            kind("ASIAY34FZKBOKMUTVV7A"),
            Some("an AWS access key id (ASIA…)")
        );
        assert_eq!(
            kind(&format!("token ghp_{}", "x9".repeat(18))),
            Some("a GitHub token (ghp_…)")
        );
        assert_eq!(
            kind(&format!("github_pat_{}", "Z".repeat(40))),
            Some("a GitHub token (github_pat_…)")
        );
        assert_eq!(
            kind("slack xoxb-1234567890-abcdef"),
            Some("a Slack token (xoxb-…)")
        );
        assert_eq!(
            kind("-----BEGIN CERTIFICATE-----\nMIIB\n-----BEGIN EC PRIVATE KEY-----\n"),
            Some("a private key (-----BEGIN … PRIVATE KEY-----)")
        );
        assert_eq!(
            kind("notes\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk=\n"),
            Some("a private key (-----BEGIN … PRIVATE KEY-----)")
        );
    }

    #[test]
    fn ordinary_notes_are_not_secrets() {
        for text in [
            "Use sk-learn for the prototype; ask-ant-colony optimisation later.",
            "sk-ant-short",
            "The task-ant-api03-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa id is a word's tail",
            "AKIAIOSFODNN7EXAMPLEX is one character too long",
            "AKIA1234 is too short",
            "ghp_ then nothing",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
            "-----BEGIN PUBLIC KEY-----",
            "-----BEGIN CERTIFICATE-----\n-----BEGIN RSA PUBLIC KEY-----",
            "Customer ACME: 40 TB by March, budget $120k, contact Dana.",
        ] {
            assert_eq!(kind(text), None, "{text}");
        }
    }
}
