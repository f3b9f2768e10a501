//! The demo model's review of a design: what an architecture covers for security and
//! resilience, what it leaves open, measured against the customer's own facts (data that must
//! stay somewhere, the rules they must follow).

use std::fmt::Write as _;

use super::compose::Doc;

/// One concern a review looks for: its name, words that show the design covers it, and what
/// to add when it does not.
struct Concern {
    name: &'static str,
    shown_by: &'static [&'static str],
    gap: &'static str,
}

const CONCERNS: [Concern; 7] = [
    Concern {
        name: "Identity",
        shown_by: &["single sign-on", "sso", "okta", "entra", "identity"],
        gap: "add single sign-on for people and least-privilege roles per team",
    },
    Concern {
        name: "Network boundaries",
        shown_by: &["hub network", "private link", "site-to-site", "segmented"],
        gap: "add a hub network with private subnets, and a web firewall in front of anything public",
    },
    Concern {
        name: "Encryption",
        shown_by: &["encrypt", "kms", "customer-managed key", "tokenised"],
        gap: "encrypt data at rest with customer-managed keys, and in transit with TLS everywhere",
    },
    Concern {
        name: "Secrets",
        shown_by: &["secret", "vault", "key management"],
        gap: "keep credentials in a managed secrets store, rotated, never in pipelines or images",
    },
    Concern {
        name: "Audit trail",
        shown_by: &["central logging", "audit", "siem", "logged"],
        gap: "send every account's logs to one place the workload teams cannot change",
    },
    Concern {
        name: "Recovery",
        shown_by: &["backup", "rollback", "disaster recovery", "restore"],
        gap: "state recovery objectives (RTO and RPO) and test a restore before the first release",
    },
    Concern {
        name: "Entry points",
        shown_by: &[
            "api gateway",
            "gateway",
            "waf",
            "web firewall",
            "private link",
        ],
        gap: "put every public endpoint behind one gateway with a web firewall and rate limits",
    },
];

/// Rules a customer may have to follow, as written in their facts.
const RULES: [&str; 6] = ["PCI DSS", "HIPAA", "GDPR", "SOC 2", "ISO 27001", "SOX"];

/// A security and resilience review of the design at `path`, against the customer's facts.
pub fn design_review(path: &str, design: &str, facts_path: &str, facts: &str, person: &str) -> Doc {
    let low = design.to_lowercase();
    // ASCII only: a position found here cuts `facts` itself.
    let facts_low = facts.to_ascii_lowercase();
    let title = design
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .unwrap_or("the design")
        .trim();
    let mut covered: Vec<String> = Vec::new();
    let mut gaps: Vec<String> = Vec::new();
    for c in &CONCERNS {
        match c.shown_by.iter().find(|w| low.contains(*w)) {
            Some(w) => covered.push(format!("{}: the design has {w}", c.name)),
            None => gaps.push(format!("{}: {}", c.name, c.gap)),
        }
    }
    // What the customer said must hold: data residency and the rules they follow.
    if let Some(at) = facts_low.find("must stay in") {
        let place = facts[at + "must stay in".len()..]
            .split(['\n', '(', '.', ','])
            .next()
            .unwrap_or_default()
            .trim()
            .trim_start_matches("the ")
            .to_owned();
        if low.contains(&format!("{} region", place.to_lowercase())) {
            covered.push(format!(
                "Data residency: data stays in {place}, as the customer asked"
            ));
        } else {
            gaps.push(format!(
                "Data residency: the customer's data must stay in {place}; pin every store and backup to a region there"
            ));
        }
    }
    for rule in RULES {
        if !facts_low.contains(&rule.to_lowercase()) {
            continue;
        }
        if low.contains(&rule.to_lowercase()) {
            covered.push(format!("{rule}: the design maps its controls"));
        } else {
            gaps.push(format!(
                "{rule}: the customer must follow it and the design does not say how; map its controls to the landing zone and plan the audit"
            ));
        }
    }
    let mut out = format!("# Security review: {title}\n\n");
    let _ = writeln!(out, "Reviewed by {person}: {path} against {facts_path}.\n");
    out.push_str("## Covered\n\n");
    if covered.is_empty() {
        out.push_str("- Nothing yet that a security review can rely on\n");
    }
    for c in &covered {
        let _ = writeln!(out, "- {c}");
    }
    out.push_str("\n## Gaps to close\n\n");
    if gaps.is_empty() {
        out.push_str("- None found at this level of detail\n");
    }
    for (i, g) in gaps.iter().enumerate() {
        let _ = writeln!(out, "{}. {g}", i + 1);
    }
    out.push_str("\n## Verdict\n\n");
    let verdict = match gaps.len() {
        0 => "- Ready for the pilot from a security point of view".to_owned(),
        1 => "- One gap: close it before the pilot goes live".to_owned(),
        n => format!("- {n} gaps: close them before the pilot goes live, the design's owner first"),
    };
    let _ = writeln!(out, "{verdict}");
    Doc {
        intro: format!("I'll review {path} for security and resilience, against {facts_path}."),
        text: out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_follow_the_design_and_the_facts() {
        let design = "# Globex: cloud migration architecture\n\n## Target\n\n- Landing zone: one AWS organisation, a hub network, single sign-on and central logging; data that must stay in EU lives only in an EU region\n- Operations: backups and alerts set up before each wave\n";
        let facts =
            "# Globex\n\n- Data must stay in the EU (from Alice)\n- PCI DSS applies (from Alice)\n";
        let doc = design_review(
            "/memories/g_architecture.md",
            design,
            "/memories/g.md",
            facts,
            "Priya",
        )
        .text;
        for want in [
            "# Security review: Globex: cloud migration architecture",
            "Identity: the design has single sign-on",
            "Data residency: data stays in EU",
            "Encryption: encrypt data at rest",
            "Secrets: keep credentials",
            "PCI DSS: the customer must follow it",
            "gaps: close them before the pilot",
        ] {
            assert!(doc.contains(want), "no {want:?} in\n{doc}");
        }
        assert!(!doc.contains("Network boundaries: add"), "{doc}");
        assert!(!doc.contains("HIPAA"), "{doc}");
        // Letters whose lowercase is longer before the place: the cut stays on the place.
        let facts = "- \u{130}\u{130}\u{130} data must stay in the EU (from Alice)\n";
        let doc = design_review(
            "/memories/g_architecture.md",
            design,
            "/memories/g.md",
            facts,
            "Priya",
        )
        .text;
        assert!(doc.contains("Data residency: data stays in EU"), "{doc}");
    }
}
