//! The demo model's design for something new (a fraud detection platform, a support
//! assistant, a data platform) rather than a move of what a customer runs today: what is
//! wanted, the parts its facts call for, and phases from discovery to go-live.

use super::words;

/// Nouns that end the name of a thing someone wants built.
const HEADS: [&str; 21] = [
    "platform",
    "assistant",
    "app",
    "application",
    "portal",
    "system",
    "service",
    "chatbot",
    "bot",
    "dashboard",
    "pipeline",
    "lakehouse",
    "warehouse",
    "api",
    "website",
    "engine",
    "copilot",
    "agent",
    "tool",
    "marketplace",
    "hub",
];

/// Words after which the thing wanted is named ("wants a fraud detection platform").
const WANTING: [&str; 10] = [
    "wants",
    "want",
    "needs",
    "need",
    "build",
    "building",
    "launch",
    "launching",
    "asked",
    "looking",
];

/// Words that say the work moves what exists, so it is no new build.
const MOVING: [&str; 12] = [
    "migrat",
    "move ",
    "moving",
    "rehost",
    "lift and shift",
    "data cent",
    "datacent",
    "out of their",
    "out of its",
    "exit",
    "replatform",
    "on-prem",
];

/// The thing the facts want built, as written ("fraud detection platform", "support
/// assistant"); `None` when the work moves what exists or nothing new is named.
pub fn wanted(text: &str) -> Option<String> {
    let low = text.to_lowercase();
    if MOVING.iter().any(|m| low.contains(m)) {
        return None;
    }
    let ws: Vec<&str> = text.split_whitespace().collect();
    for (i, w) in ws.iter().enumerate() {
        if !WANTING.contains(&words::core(w).to_lowercase().as_str()) {
            continue;
        }
        // "wants a …", "needs a new …", "looking for a …", "asked for an …".
        let mut at = i + 1;
        while ws
            .get(at)
            .is_some_and(|n| matches!(words::core(n).to_lowercase().as_str(), "for" | "to"))
        {
            at += 1;
        }
        if !ws
            .get(at)
            .is_some_and(|n| matches!(words::core(n).to_lowercase().as_str(), "a" | "an" | "new"))
        {
            continue;
        }
        let start = at + 1;
        for end in start..(start + 5).min(ws.len()) {
            let word = words::core(ws[end]).to_lowercase();
            if HEADS.contains(&word.as_str())
                || word.strip_suffix('s').is_some_and(|w| HEADS.contains(&w))
            {
                let thing: Vec<&str> = ws[start..=end]
                    .iter()
                    .map(|w| words::core(w))
                    .filter(|w| !w.eq_ignore_ascii_case("new"))
                    .collect();
                return Some(thing.join(" "));
            }
            if ws[end].ends_with([',', '.', ';', ':']) {
                break;
            }
        }
    }
    None
}

/// The parts of the design the facts call for, after the landing zone: the thing itself, AI,
/// models, streaming, data, access, compliance and what it connects to.
pub fn design(text: &str, thing: &str, kubernetes: &str, connects: &[String]) -> Vec<String> {
    let low = text.to_lowercase();
    let has = |ws: &[&str]| ws.iter().any(|w| low.contains(w));
    let mut out = vec![format!(
        "{}: new services in containers on {kubernetes}, behind an API gateway, released through one pipeline",
        words::capitalise(thing)
    )];
    if has(&[
        "genai",
        "gen ai",
        "llm",
        "assistant",
        "chatbot",
        "copilot",
        "gpt",
        " ai ",
        "ai-",
    ]) {
        let source = grounding(text).unwrap_or_else(|| "their own documents".to_owned());
        out.push(format!(
            "AI: a managed LLM endpoint with retrieval over {source}; answers cite their sources, prompts and answers are logged for evaluation, and personal data is masked before it leaves their accounts"
        ));
    }
    if has(&[
        "fraud",
        "scoring",
        "predict",
        "recommend",
        "forecast",
        "machine learning",
        "ml model",
    ]) {
        out.push("Models: features computed from live events, a model-serving endpoint that answers in milliseconds, models retrained on a schedule and shadow-tested before each release".to_owned());
    }
    if has(&[
        "kafka",
        "real-time",
        "realtime",
        "real time",
        "stream",
        "events",
        "per second",
    ]) {
        let rate = per_second(text).map_or_else(String::new, |r| {
            format!(", sized for {r} with headroom for twice that")
        });
        out.push(format!(
            "Streaming: events flow through a managed Kafka service{rate}"
        ));
    }
    if has(&[
        "data platform",
        "lakehouse",
        "warehouse",
        "analytics",
        "dashboard",
        "reporting",
        " bi ",
    ]) {
        out.push("Data: ingestion pipelines into object storage, a managed warehouse for reporting, one catalogue with access by role".to_owned());
    }
    if let Some(people) = people(text) {
        out.push(format!(
            "Access: the {people} sign in with single sign-on, with roles per team"
        ));
    }
    let rules: Vec<&str> = ["PCI DSS", "HIPAA", "GDPR", "SOC 2", "ISO 27001", "SOX"]
        .into_iter()
        .filter(|r| low.contains(&r.to_lowercase()))
        .collect();
    if !rules.is_empty() {
        out.push(format!(
            "Compliance: {} controls mapped in the landing zone, evidence collected automatically, audited before go-live",
            rules.join(" and ")
        ));
    }
    let links: Vec<&String> = connects
        .iter()
        .filter(|c| !c.eq_ignore_ascii_case("kafka"))
        .collect();
    if !links.is_empty() {
        let names: Vec<&str> = links.iter().map(|c| c.as_str()).collect();
        out.push(format!(
            "Integrations: {} connected through the API gateway and managed connectors, never by direct database access",
            names.join(", ")
        ));
    }
    out
}

/// "trained on their Zendesk tickets" -> "their Zendesk tickets".
fn grounding(text: &str) -> Option<String> {
    let low = text.to_ascii_lowercase();
    let at = [
        "trained on ",
        "grounded in ",
        "based on ",
        "answers from ",
        "built on ",
    ]
    .iter()
    .find_map(|m| low.find(m).map(|at| at + m.len()))?;
    let mut phrase: Vec<&str> = Vec::new();
    for w in text[at..].split_whitespace().take(5) {
        if matches!(w.to_lowercase().as_str(), "and" | "so" | "but" | "with") {
            break;
        }
        phrase.push(w);
        if w.ends_with(['.', ',', ';', ':']) {
            break;
        }
    }
    let phrase = phrase.join(" ");
    let phrase = phrase.trim_end_matches(['.', ',', ';', ')']);
    (!phrase.is_empty()).then(|| phrase.to_owned())
}

/// "5,000 transactions per second" as written.
fn per_second(text: &str) -> Option<String> {
    let ws: Vec<&str> = text.split_whitespace().collect();
    let at = ws.windows(2).position(|p| {
        words::core(p[0]).eq_ignore_ascii_case("per") && words::core(p[1]).starts_with("second")
    })?;
    let from =
        (at.saturating_sub(2)..at).find(|&i| ws[i].starts_with(|c: char| c.is_ascii_digit()))?;
    let phrase = ws[from..at + 2].join(" ");
    Some(phrase.trim_end_matches(['.', ',', ';']).to_owned())
}

/// "300 support agents": the people who will use it.
fn people(text: &str) -> Option<String> {
    const WHO: [&str; 14] = [
        "users",
        "agents",
        "employees",
        "staff",
        "engineers",
        "customers",
        "members",
        "doctors",
        "nurses",
        "students",
        "analysts",
        "drivers",
        "advisors",
        "clinicians",
    ];
    let ws: Vec<&str> = text.split_whitespace().collect();
    for (i, w) in ws.iter().enumerate() {
        if !w
            .trim_start_matches('~')
            .starts_with(|c: char| c.is_ascii_digit())
        {
            continue;
        }
        for end in i + 1..(i + 3).min(ws.len()) {
            if WHO.contains(&words::core(ws[end]).to_lowercase().as_str()) {
                let phrase: Vec<&str> = ws[i..=end].iter().map(|w| words::core(w)).collect();
                return Some(phrase.join(" "));
            }
            if ws[end].ends_with([',', '.', ';']) {
                break;
            }
        }
    }
    None
}

/// Phases of a new build within `months` (none known: no spans): discovery, a first version,
/// hardening, go-live.
pub fn phases(thing: &str, customer: &str, months: Option<u64>, done: Option<&str>) -> Vec<String> {
    let spans: Vec<String> = match months {
        Some(m) if m >= 4 => {
            // Ends of the four phases, at 15%, 50%, 85% and all of the months.
            let ends: Vec<u64> = [15, 50, 85, 100]
                .iter()
                .map(|p| (m * p).div_ceil(100).max(1))
                .collect();
            let mut from = 1;
            ends.iter()
                .map(|&to| {
                    let to = to.max(from);
                    let span = if from == to {
                        format!(" (month {from})")
                    } else {
                        format!(" (months {from}–{to})")
                    };
                    from = to + 1;
                    span
                })
                .collect()
        }
        _ => vec![String::new(); 4],
    };
    let mut golive = format!("Go-live{}: launch with two weeks of hypercare", spans[3]);
    if let Some(d) = done {
        golive.push_str("; done ");
        golive.push_str(d);
    }
    vec![
        format!(
            "Discovery and design{}: use cases, data sources and success measures agreed with {customer}",
            spans[0]
        ),
        format!(
            "First version{}: the {thing} for one team, used for real and measured",
            spans[1]
        ),
        format!(
            "Scale and harden{}: load, security and compliance tests, then every team",
            spans[2]
        ),
        golive,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_wanted_new() {
        for (text, want) in [
            (
                "Wants a fraud detection platform. Real-time scoring on Kafka",
                Some("fraud detection platform"),
            ),
            (
                "Wants a GenAI assistant for their 300 support agents",
                Some("GenAI assistant"),
            ),
            (
                "Needs a new customer portal by June",
                Some("customer portal"),
            ),
            ("Looking for a data platform", Some("data platform")),
            ("Wants to move 50 apps to Azure. Needs a new portal", None),
            ("Runs SAP. Wants lower costs", None),
        ] {
            assert_eq!(wanted(text).as_deref(), want, "{text}");
        }
    }

    #[test]
    fn the_design_follows_the_facts() {
        let text = "Wants a GenAI assistant for their 300 support agents. Trained on their Zendesk tickets. Data must stay in the EU. GDPR applies.";
        let lines = design(
            text,
            "GenAI assistant",
            "Amazon EKS",
            &["Zendesk".to_owned()],
        );
        let all = lines.join("\n");
        for want in [
            "GenAI assistant: new services in containers on Amazon EKS",
            "retrieval over their Zendesk tickets",
            "Access: the 300 support agents sign in",
            "Compliance: GDPR controls",
            "Integrations: Zendesk",
        ] {
            assert!(all.contains(want), "no {want:?} in\n{all}");
        }
        assert!(!all.contains("Models:"), "{all}");
        let fraud = design(
            "Real-time scoring on Kafka, 5,000 transactions per second, PCI DSS",
            "fraud detection platform",
            "a managed Kubernetes service",
            &["Kafka".to_owned()],
        )
        .join("\n");
        for want in [
            "Models: features computed from live events",
            "sized for 5,000 transactions per second",
            "Compliance: PCI DSS controls",
        ] {
            assert!(fraud.contains(want), "no {want:?} in\n{fraud}");
        }
        assert!(!fraud.contains("Integrations"), "{fraud}");
    }

    #[test]
    fn phases_fit_the_months() {
        let p = phases("portal", "Globex", Some(10), Some("by June"));
        assert!(p[0].contains("(months 1–2)"), "{p:?}");
        assert!(
            p[3].contains("(months 10") || p[3].contains("(month 10)"),
            "{p:?}"
        );
        assert!(p[3].ends_with("; done by June"), "{p:?}");
        let short = phases("portal", "Globex", Some(2), None);
        assert!(!short.join(" ").contains("month"), "{short:?}");
    }
}
