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
    Shape {
        kind: "a Google API key (AIza…)",
        prefix: "AIza",
        min: 35,
        max: 35,
        alphabet: token_char,
    },
    Shape {
        kind: "a Stripe secret key (sk_live_…)",
        prefix: "sk_live_",
        min: 16,
        max: usize::MAX,
        alphabet: alphanumeric,
    },
    Shape {
        kind: "a Stripe secret key (sk_test_…)",
        prefix: "sk_test_",
        min: 16,
        max: usize::MAX,
        alphabet: alphanumeric,
    },
    Shape {
        kind: "a Stripe restricted key (rk_live_…)",
        prefix: "rk_live_",
        min: 16,
        max: usize::MAX,
        alphabet: alphanumeric,
    },
];

fn alphanumeric(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

fn base64_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '/' || c == '+'
}

fn base64url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Labels an AWS secret access key (40 characters, no prefix of its own) is written after.
const AWS_SECRET_LABELS: &[&str] = &["secret_access_key", "secretaccesskey", "aws_secret"];

/// The first secret `text` holds, if any.
pub fn find(text: &str) -> Option<Secret> {
    matches(text).into_iter().next().map(|(secret, _)| secret)
}

/// The first secret `after` holds that `before` did not: what a write would add to a file.
/// Checking the whole file catches a key built up over several edits; a secret a person had
/// already put in the file does not block the model's other edits to it.
pub fn find_new(before: &str, after: &str) -> Option<Secret> {
    let old: Vec<String> = matches(before).into_iter().map(|(_, m)| m).collect();
    matches(after)
        .into_iter()
        .find(|(_, m)| !old.contains(m))
        .map(|(secret, _)| secret)
}

/// Every secret in `text`, with the text that matched (whitespace inside it removed).
fn matches(text: &str) -> Vec<(Secret, String)> {
    let mut found = private_keys(text);
    for shape in SHAPES {
        for (at, _) in text.match_indices(shape.prefix) {
            // A word that merely ends in the prefix ("task-ant-…") is not a token's start; an
            // identifier joined by `_` or `-` ("KEY_sk-ant-…") is.
            if text[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric())
            {
                continue;
            }
            let body = run_of(&text[at + shape.prefix.len()..], shape.alphabet, shape.max);
            let len = body.chars().count();
            if len >= shape.min && len <= shape.max {
                found.push((
                    Secret { kind: shape.kind },
                    format!("{}{body}", shape.prefix),
                ));
            }
        }
    }
    found.extend(aws_secret_keys(text));
    found.extend(jwts(text));
    found
}

/// The token characters at the start of `text`, allowing the breaks a pasted key gets (a line
/// wrap, a space): a break is crossed only between two long random-looking chunks, so that
/// words after a short prefix in prose never join it.
fn run_of(text: &str, alphabet: fn(char) -> bool, max: usize) -> String {
    let chunk = |t: &str| -> String { t.chars().take_while(|&c| alphabet(c)).collect() };
    let random = |c: &str| {
        c.chars()
            .any(|ch| ch.is_ascii_digit() || ch.is_ascii_uppercase())
    };
    let mut body = chunk(text);
    let mut rest = &text[body.len()..];
    let mut last = body.clone();
    while body.chars().count() < max && last.chars().count() >= 8 {
        let gap = rest.len() - rest.trim_start_matches([' ', '\t', '\r', '\n']).len();
        if gap == 0 || gap > 2 {
            break;
        }
        let next = chunk(&rest[gap..]);
        if next.chars().count() < 8 || !random(&next) {
            break;
        }
        rest = &rest[gap + next.len()..];
        body.push_str(&next);
        last = next;
    }
    body
}

/// `-----BEGIN … PRIVATE KEY-----` headers, however the lines were broken.
fn private_keys(text: &str) -> Vec<(Secret, String)> {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed
        .match_indices("-----BEGIN")
        .filter_map(|(at, _)| {
            let header = &collapsed[at + "-----BEGIN".len()..];
            let end = header.find("-----")?;
            header[..end].trim_end().ends_with("PRIVATE KEY").then(|| {
                let tail: String = header.chars().take(end + 64).collect();
                (
                    Secret {
                        kind: "a private key (-----BEGIN … PRIVATE KEY-----)",
                    },
                    tail,
                )
            })
        })
        .collect()
}

/// An AWS secret access key: 40 base64 characters after a label that names it.
fn aws_secret_keys(text: &str) -> Vec<(Secret, String)> {
    let lower = text.to_ascii_lowercase();
    let mut found = Vec::new();
    for label in AWS_SECRET_LABELS {
        for (at, _) in lower.match_indices(label) {
            let after = &text[at + label.len()..];
            let value = after.trim_start_matches(|c: char| {
                c.is_whitespace() || matches!(c, ':' | '=' | '"' | '\'' | '`')
            });
            let key: String = value.chars().take_while(|&c| base64_char(c)).collect();
            if key.len() == 40 {
                found.push((
                    Secret {
                        kind: "an AWS secret access key",
                    },
                    key,
                ));
            }
        }
    }
    found
}

/// JSON web tokens: `eyJ…` header, `eyJ…` payload and a signature, dot-separated.
fn jwts(text: &str) -> Vec<(Secret, String)> {
    text.match_indices("eyJ")
        .filter_map(|(at, _)| {
            let token: String = text[at..]
                .chars()
                .take_while(|&c| base64url_char(c) || c == '.')
                .collect();
            let parts: Vec<&str> = token.split('.').collect();
            let shaped = parts.len() >= 3
                && parts[1].starts_with("eyJ")
                && parts[..3].iter().all(|p| p.len() >= 8);
            shaped.then_some((
                Secret {
                    kind: "a JSON web token (eyJ….eyJ….…)",
                },
                token,
            ))
        })
        .collect()
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
            "sk-ant-api03 is the prefix of every key; something interesting follows",
            "Our aws_secret is kept in the vault, ask Dana.",
            "eyJ is how a JWT starts.",
        ] {
            assert_eq!(kind(text), None, "{text}");
        }
    }

    /// The shapes the hostile test found passing, each with its count in the closing note.
    #[test]
    fn split_joined_and_newer_shapes_are_found() {
        let key = format!("sk-ant-api03-{}", "Ab3xQ9".repeat(12));
        let (head, tail) = key.split_at(30);
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        for (text, want) in [
            (format!("{head}\n{tail}"), "an Anthropic API key (sk-ant-…)"),
            (format!("{head} {tail}"), "an Anthropic API key (sk-ant-…)"),
            (
                format!("{head}\r\n{tail}"),
                "an Anthropic API key (sk-ant-…)",
            ),
            (
                format!("ANTHROPIC_KEY_{key}"),
                "an Anthropic API key (sk-ant-…)",
            ),
            (
                "-----BEGIN RSA\nPRIVATE KEY-----\nMIIE".to_owned(),
                "a private key (-----BEGIN … PRIVATE KEY-----)",
            ),
            (
                "-----BEGIN\nOPENSSH PRIVATE\nKEY-----".to_owned(),
                "a private key (-----BEGIN … PRIVATE KEY-----)",
            ),
            (
                "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned(),
                "an AWS secret access key",
            ),
            (
                "\"SecretAccessKey\": \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"".to_owned(),
                "an AWS secret access key",
            ),
            (
                "maps: AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY".to_owned(),
                "a Google API key (AIza…)",
            ),
            (
                format!("stripe sk_live_{}", "4eC39HqLyjWDarjtT1zdp7dc"),
                "a Stripe secret key (sk_live_…)",
            ),
            (
                format!("auth: Bearer {jwt}"),
                "a JSON web token (eyJ….eyJ….…)",
            ),
        ] {
            assert_eq!(kind(&text), Some(want), "{text:?}");
        }
    }

    #[test]
    fn a_key_built_over_several_edits_is_new_in_the_file() {
        let key = format!("sk-ant-api03-{}", "Ab3xQ9".repeat(12));
        let before = format!("notes\n{}", &key[..15]);
        let after = format!("notes\n{key}");
        assert!(
            find(&key[15..]).is_none(),
            "the last edit alone holds no key"
        );
        assert!(find_new(&before, &after).is_some());
        // A key a person had put there does not block other edits.
        let edited = format!("{after}\nmore notes");
        assert!(find_new(&after, &edited).is_none());
    }
}
