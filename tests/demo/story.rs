//! The offline demo model tells a team's story right for any customer: Alice's discovery lands
//! in a file named after the customer with clean facts, John's architecture is built from that
//! file and saved, and Sam's proposal reads both. Run through the real tool loop and a real
//! store, over a table of invented variants (other customers, companies, figures, wordings).
#![allow(clippy::unwrap_used, clippy::pedantic)]

use std::path::Path;
use std::sync::Arc;

use crate::support::demo;

use demo::{local_store, say, scratch};
use memdeck::chat::Conversation;
use memdeck::memory::{LocalOptions, LocalStore, MemoryStore};

fn agent(store: &Arc<dyn MemoryStore>, name: &str) -> memdeck::chat::Agent {
    demo::agent(store, name, "team member")
}

struct Variant {
    alice: &'static str,
    john: &'static str,
    sam: &'static str,
    /// The customer file's stem.
    slug: &'static str,
    /// Our own company, which must not name the file or appear as a fact.
    us: Option<&'static str>,
    /// Text each of the customer file, the architecture and the proposal must hold.
    facts: &'static [&'static str],
    architecture: &'static [&'static str],
    proposal: &'static [&'static str],
    /// Text none of the three files may hold (a garbled fact, the target cloud as a system).
    never: &'static [&'static str],
}

const ORIGINAL_JOHN: &str = "Hi, I'm John from TechCorp. Based on the customer information in memory about ACME Corp, please design a cloud migration architecture.";
const ORIGINAL_SAM: &str = "Create a proposal based on the customer requirements and solution architecture you have in memory.";

const VARIANTS: &[Variant] = &[
    Variant {
        alice: "I'm Alice from TechCorp. We're working with ACME Corp on a cloud migration project. Budget is $500K, timeline is 9 months, they need to migrate 50 applications, mostly Java with Oracle databases.",
        john: ORIGINAL_JOHN,
        sam: ORIGINAL_SAM,
        slug: "acme_corp",
        us: Some("TechCorp"),
        facts: &[
            "- Project: cloud migration (from Alice)",
            "- Budget: $500K (from Alice)",
            "- Timeline: 9 months (from Alice)",
            "- Scope: migrate 50 applications (from Alice)",
            "- Stack: mostly Java with Oracle databases (from Alice)",
        ],
        architecture: &[
            "all 50 of them: Java applications run in containers",
            "Oracle databases move",
            "(months 1–2)",
            "3 waves of about 15 applications",
            "$500K: about $100K",
        ],
        proposal: &[
            "## What you need",
            "- Budget: $500K",
            "all 50 of them",
            "## Plan (9 months)",
            "Within your budget of $500K",
            "Oracle licensing",
        ],
        never: &[],
    },
    Variant {
        alice: "Hi, this is Priya from Northwind Consulting. Our customer Globex needs to move 120 applications to the cloud. Their budget is $2.4M and the timeline is 14 months. The stack is mostly .NET with SQL Server.",
        john: "John here. Using what we have in memory on Globex, sketch a target architecture.",
        sam: "Put together a proposal for Globex using the requirements and the architecture in memory.",
        slug: "globex",
        us: Some("Northwind"),
        facts: &[
            "Scope: move 120 applications to the cloud",
            "Budget: $2.4M",
            "Timeline: 14 months",
            "Stack: mostly .NET with SQL Server",
        ],
        architecture: &[
            ".NET applications run in containers",
            "SQL Server databases",
            "120",
        ],
        proposal: &["$2.4M", "14 months", ".NET"],
        never: &[],
    },
    Variant {
        alice: "Quick update from my call with Initech: they're planning to migrate 35 services off their on-prem VMware cluster within 6 months. Budget: 750k USD.",
        john: "Design a migration architecture for Initech based on what Alice stored.",
        sam: "Draft the proposal for Initech.",
        slug: "initech",
        us: None,
        facts: &["35 services", "VMware", "6 months", "Budget: 750k USD"],
        architecture: &["VMware", "(month 1)"],
        proposal: &["750k USD", "VMware"],
        never: &[],
    },
    Variant {
        alice: "We're working with Umbrella Health on a data platform modernization project. They have 40 TB in Oracle and need to be live by Q3 2027. Budget is €1.2M.",
        john: "What do we know about Umbrella Health? Propose an architecture.",
        sam: "Write a proposal for Umbrella Health from what the team stored.",
        slug: "umbrella_health",
        us: None,
        facts: &[
            "Project: data platform modernization",
            "40 TB",
            "Deadline: Q3 2027",
            "Budget: €1.2M",
        ],
        architecture: &[
            "data platform modernization architecture",
            "40 TB",
            "Oracle",
            "Q3 2027",
        ],
        proposal: &["€1.2M: about €240K", "Q3 2027"],
        never: &[],
    },
    Variant {
        alice: "Alice here from CloudWorks. Met with Stark Industries today: 200 Java microservices, Kafka, PostgreSQL. Deadline is end of June, budget $3M.",
        john: "Propose an architecture for Stark Industries using memory.",
        sam: "Create the Stark Industries proposal.",
        slug: "stark_industries",
        us: Some("CloudWorks"),
        facts: &[
            "200 Java microservices, Kafka, PostgreSQL",
            "Deadline: end of June",
            "Budget: $3M",
        ],
        architecture: &[
            "Java applications run in containers",
            "Kafka",
            "end of June",
        ],
        proposal: &["$3M", "end of June"],
        never: &[],
    },
    Variant {
        alice: "Talked to Hooli's CIO, Gavin Belson, this morning. They want to consolidate 3 data centers into the cloud within 18 months. Around 400 VMs, mostly Windows and some Linux. Budget around $5M.",
        john: "Can you design the target architecture for Hooli from the discovery notes?",
        sam: "Write up a proposal for Hooli based on the stored requirements and John's architecture.",
        slug: "hooli",
        us: None,
        facts: &[
            "Contact: Gavin Belson (CIO)",
            "consolidate 3 data centers",
            "18 months",
            "400 VMs",
            "Windows",
            "Budget: around $5M",
        ],
        architecture: &["Windows servers are rehosted", "400", "(months 1–4)"],
        proposal: &["$5M", "Gavin Belson"],
        never: &[],
    },
    Variant {
        alice: "Our client Wayne Enterprises wants to modernize their billing platform. Key facts: 12 apps, all .NET Framework, SQL Server 2012 databases, 9 month timeline, $800k budget, go-live before Black Friday.",
        john: "John here: please draft the solution architecture for Wayne Enterprises from memory.",
        sam: "Prepare a proposal for Wayne Enterprises.",
        slug: "wayne_enterprises",
        us: None,
        facts: &[
            "modernize their billing platform",
            "12 apps",
            ".NET Framework",
            "SQL Server 2012",
            "Timeline: 9 month",
            "Budget: $800k",
            "Deadline: before Black Friday",
        ],
        architecture: &[".NET applications", "SQL Server", "billing platform"],
        proposal: &["$800k", "Black Friday"],
        never: &[],
    },
    Variant {
        alice: "Just had a call with Soylent Corp. They run SAP ECC on-prem and want to move to the cloud by Q2 2027. Their budget is 1.5M. Contact is Maria Lopez, VP of IT.",
        john: "Propose an architecture for Soylent.",
        sam: "Draft a one-page proposal for Soylent from everything the team has stored.",
        slug: "soylent_corp",
        us: None,
        facts: &[
            "Runs SAP ECC on-prem and wants to move to the cloud",
            "Deadline: Q2 2027",
            "Budget: 1.5M",
            "Contact: Maria Lopez (VP of IT)",
        ],
        architecture: &["SAP moves to certified cloud instances", "Q2 2027"],
        proposal: &["1.5M", "Maria Lopez"],
        never: &[],
    },
    Variant {
        alice: "Cyberdyne Systems is our newest customer. They need 60 legacy COBOL programs off the mainframe in 2 years, budget $10M.",
        john: "Based on what's in memory about Cyberdyne, design a modernization architecture.",
        sam: "Create a proposal for Cyberdyne Systems based on the requirements and the architecture.",
        slug: "cyberdyne_systems",
        us: None,
        facts: &["60 legacy COBOL programs", "2 years", "Budget: $10M"],
        architecture: &[
            "mainframe workloads are rehosted on an emulation platform",
            "60 programs",
            "(months 1–5)",
        ],
        proposal: &["$10M: about $2M"],
        never: &[],
    },
    Variant {
        alice: "Heads up: Massive Dynamic signed! 25 Node.js services and a MongoDB cluster, 4 months to go live, $350K total.",
        john: "What architecture do you propose for Massive Dynamic? Design it from memory.",
        sam: "Put together the Massive Dynamic proposal.",
        slug: "massive_dynamic",
        us: None,
        facts: &[
            "Stack: 25 Node.js services and a MongoDB cluster",
            "4 months",
            "Budget: $350K",
        ],
        architecture: &[
            "web services are containerised",
            "document and wide-column stores",
        ],
        proposal: &["$350K"],
        never: &[],
    },
    Variant {
        alice: "Vandelay Industries (our customer) needs their import/export system moved to AWS by September. 15 apps, Java and MySQL. Budget is $600K.",
        john: "Design the cloud architecture for Vandelay.",
        sam: "Draft the proposal for Vandelay Industries.",
        slug: "vandelay_industries",
        us: None,
        facts: &[
            "import/export system",
            "Deadline: September",
            "15 apps",
            "Java and MySQL",
            "Budget: $600K",
        ],
        architecture: &[
            "all 15 of them: Java applications",
            "relational databases",
            "September",
        ],
        proposal: &["$600K", "September"],
        never: &[],
    },
    Variant {
        alice: "Our customer is Oceanic Airlines. 80 applications, .NET and Oracle, must finish within 12 months, budget 4M.",
        john: "Propose a migration architecture for Oceanic Airlines.",
        sam: "Write the proposal for Oceanic Airlines using memory.",
        slug: "oceanic_airlines",
        us: None,
        facts: &[
            "80 applications",
            ".NET and Oracle",
            "12 months",
            "Budget: 4M",
        ],
        architecture: &[
            "all 80 of them: .NET applications",
            "Oracle databases",
            "(months 1–2)",
        ],
        proposal: &["4M", "Oracle licensing"],
        never: &[],
    },
    Variant {
        alice: "We're helping Dunder Mifflin move their paper ordering platform to Azure. Budget $250K, 5 months, 8 applications, all PHP with MySQL.",
        john: "Sketch an architecture for Dunder Mifflin from what Alice saved.",
        sam: "Put together a proposal for Dunder Mifflin.",
        slug: "dunder_mifflin",
        us: None,
        facts: &[
            "paper ordering platform",
            "Budget: $250K",
            "5 months",
            "8 applications",
            "PHP with MySQL",
        ],
        architecture: &["paper ordering platform", "web services are containerised"],
        proposal: &["$250K"],
        never: &[],
    },
    Variant {
        alice: "Bluth Company wants a cloud migration: 30 apps, Java/Spring, Oracle 19c, deadline March 2027, budget $1M.",
        john: "Design an architecture for the Bluth Company migration.",
        sam: "Draft a proposal for Bluth Company.",
        slug: "bluth_company",
        us: None,
        facts: &[
            "30 apps",
            "Java/Spring",
            "Oracle 19c",
            "Deadline: March 2027",
            "Budget: $1M",
        ],
        architecture: &[
            "Java applications run in containers",
            "Oracle databases",
            "March 2027",
        ],
        proposal: &["$1M", "March 2027"],
        never: &[],
    },
    Variant {
        alice: "Notes from today's workshop with Pied Piper: they want to re-platform 45 Python services onto Kubernetes in 6 months. The budget is $900K.",
        john: "Using memory, design the architecture for Pied Piper.",
        sam: "Create a proposal for Pied Piper.",
        slug: "pied_piper",
        us: None,
        facts: &[
            "45 Python services",
            "Kubernetes",
            "6 months",
            "Budget: $900K",
        ],
        architecture: &["web services are containerised", "45"],
        proposal: &["$900K"],
        never: &[],
    },
    Variant {
        alice: "Wonka Foods is moving its ERP and 20 apps to the cloud. Timeline: 10 months. Budget: $1.1M. Stack: Java, Oracle.",
        john: "Propose an architecture for Wonka Foods based on the stored facts.",
        sam: "Write a proposal for Wonka Foods.",
        slug: "wonka_foods",
        us: None,
        facts: &[
            "ERP and 20 apps",
            "Timeline: 10 months",
            "Budget: $1.1M",
            "Stack: Java, Oracle",
        ],
        architecture: &["Java applications", "Oracle databases", "(months 1–2)"],
        proposal: &["$1.1M", "10 months"],
        never: &[],
    },
    Variant {
        alice: "Tyrell Corp: 70 applications to migrate, mostly Java, Oracle and DB2, 12-month timeline, budget of $2M.",
        john: "Design a migration architecture for Tyrell.",
        sam: "Draft the Tyrell Corp proposal from the team's memory.",
        slug: "tyrell_corp",
        us: None,
        facts: &[
            "70 applications",
            "Java, Oracle and DB2",
            "Timeline: 12-month",
            "Budget: $2M",
        ],
        architecture: &["all 70 of them", "Oracle databases", "mainframe workloads"],
        proposal: &["$2M: about $400K"],
        never: &[],
    },
    Variant {
        alice: "I'm Alice, account lead at TechCorp. Our customer Initrode has 10 Java apps and a Postgres database; they want them in the cloud within 3 months for $150K.",
        john: "John from TechCorp here. Pull up what we know about Initrode and propose a solution architecture.",
        sam: "Sam here. I need a customer proposal using everything in memory.",
        slug: "initrode",
        us: Some("TechCorp"),
        facts: &["10 Java apps", "Postgres", "3 months", "$150K"],
        architecture: &["all 10 of them", "relational databases"],
        proposal: &["$150K"],
        never: &[],
    },
    Variant {
        alice: "Good morning! I'm Alice from TechCorp. We just signed Gringotts Bank: they need 300 applications moved off their data centre in 24 months. Budget is $12M. Their systems are mostly Java and .NET on Oracle. Data must stay in the UK.",
        john: "Hi, I'm John from TechCorp. Based on memory about Gringotts Bank, design the architecture.",
        sam: ORIGINAL_SAM,
        slug: "gringotts_bank",
        us: Some("TechCorp"),
        facts: &[
            "300 applications",
            "24 months",
            "Budget: $12M",
            "Java and .NET on Oracle",
            "Data must stay in the UK",
        ],
        architecture: &[
            "Java applications run in containers",
            ".NET applications",
            "UK region",
            "(months 1–5)",
        ],
        proposal: &["$12M", "Data must stay in the UK"],
        never: &[],
    },
    Variant {
        alice: "We're working with Sirius Cybernetics on a cloud migration. The budget is 2 million dollars, the timeline is 8 months, they need to migrate 40 applications.",
        john: "Design the cloud migration architecture for Sirius Cybernetics.",
        sam: "Create a proposal for Sirius Cybernetics.",
        slug: "sirius_cybernetics",
        us: None,
        facts: &[
            "Budget: 2 million dollars",
            "Timeline: 8 months",
            "Scope: migrate 40 applications",
        ],
        architecture: &["40 applications are rehosted on cloud VMs", "(months 1–2)"],
        proposal: &["2 million dollars", "8 months"],
        never: &[],
    },
    Variant {
        alice: "Call notes, Aperture Science: they want 18 services moved to Kubernetes by the end of the year. Budget of $450K. Their head of IT, Caroline Johnson, approves spend.",
        john: "Propose an architecture for Aperture Science.",
        sam: "Draft a proposal for Aperture Science.",
        slug: "aperture_science",
        us: None,
        facts: &[
            "18 services",
            "Deadline: end of the year",
            "Budget: $450K",
            "Caroline Johnson (head of IT) approves spend",
        ],
        architecture: &["end of the year"],
        proposal: &["$450K", "Caroline Johnson"],
        never: &[],
    },
    Variant {
        alice: "I'm Alice from TechCorp. Fresh discovery with Contoso Ltd: 55 applications, mostly .NET with SQL Server, 10 months, $1.8M. Downtime must be under two hours per application.",
        john: "Hi, I'm John from TechCorp. Design the migration architecture for Contoso based on memory.",
        sam: "Write the Contoso proposal from the customer requirements and the architecture.",
        slug: "contoso_ltd",
        us: Some("TechCorp"),
        facts: &[
            "55 applications",
            ".NET with SQL Server",
            "10 months",
            "$1.8M",
            "Downtime must be under 2 hours",
        ],
        architecture: &[
            ".NET applications run in containers",
            "SQL Server databases",
            "(months 1–2)",
        ],
        proposal: &["$1.8M", "Downtime must be under 2 hours"],
        never: &[],
    },
    Variant {
        alice: "Hello, I'm Alice at TechCorp. We have a new prospect, Prestige Worldwide. They're looking to migrate 25 applications, all Java, by Q4. Budget is roughly $700K.",
        john: "Design an architecture for Prestige Worldwide based on Alice's notes.",
        sam: "Put together the Prestige Worldwide proposal.",
        slug: "prestige_worldwide",
        us: Some("TechCorp"),
        facts: &[
            "25 applications",
            "Java",
            "Deadline: Q4",
            "Budget: roughly $700K",
        ],
        architecture: &["all 25 of them: Java applications", "Q4"],
        proposal: &["$700K"],
        never: &[],
    },
    Variant {
        alice: "Alice from TechCorp again. Our client Ollivanders wants their 6 legacy Windows apps and an Oracle database in Azure within 4 months; budget is $200K.",
        john: "What do we know about Ollivanders? Propose an architecture for them.",
        sam: "Create a proposal for Ollivanders from memory.",
        slug: "ollivanders",
        us: Some("TechCorp"),
        facts: &[
            "6 legacy Windows apps",
            "Oracle",
            "4 months",
            "Budget: $200K",
        ],
        architecture: &["Windows servers are rehosted", "Oracle databases"],
        proposal: &["$200K"],
        never: &[],
    },
    Variant {
        alice: "Stark Tower Retail runs 140 stores. They want their point-of-sale backend and 30 applications in the cloud in 9 months. Budget: $1.5M. Stores in Germany must keep customer data in Germany.",
        john: "Propose an architecture for Stark Tower Retail from the team's notes.",
        sam: "Draft a proposal for Stark Tower Retail.",
        slug: "stark_tower_retail",
        us: None,
        facts: &[
            "140 stores",
            "30 applications",
            "9 months",
            "Budget: $1.5M",
            "Germany",
        ],
        architecture: &["Germany region", "140 stores"],
        proposal: &["$1.5M", "Germany"],
        never: &[],
    },
    Variant {
        alice: "FYI the customer is Nakatomi Trading. 90 apps, Java on WebLogic with Oracle, migration in 15 months, budget $3.5M.",
        john: "Design the architecture for Nakatomi.",
        sam: "Write the proposal for Nakatomi Trading.",
        slug: "nakatomi_trading",
        us: None,
        facts: &["90 apps", "WebLogic", "15 months", "Budget: $3.5M"],
        architecture: &[
            "all 90 of them: Java applications",
            "Oracle databases",
            "(months 1–3)",
        ],
        proposal: &["$3.5M"],
        never: &[],
    },
    Variant {
        alice: "Hi! I'm Alice from Acme Consulting. We're working with Globodyne on a hybrid cloud project. They have 500 VMs on VMware and a budget of $6M over 2 years.",
        john: "Hi, I'm John from Acme Consulting. Please design a hybrid cloud architecture for Globodyne based on memory.",
        sam: "Create a proposal for Globodyne.",
        slug: "globodyne",
        us: Some("Acme Consulting"),
        facts: &["Project: hybrid cloud", "500 VMs", "VMware", "$6M"],
        architecture: &["hybrid cloud architecture", "VMware estate"],
        proposal: &["$6M"],
        never: &[],
    },
    Variant {
        alice: "Spoke with Monsters Inc this afternoon. They need to migrate 12 applications to the cloud, mostly Python with PostgreSQL, timeline is 4 months, budget is $300K.",
        john: "Can you propose an architecture for Monsters Inc?",
        sam: "Please write a proposal for Monsters Inc.",
        slug: "monsters_inc",
        us: None,
        facts: &[
            "Scope: migrate 12 applications to the cloud",
            "Python with PostgreSQL",
            "Timeline: 4 months",
            "Budget: $300K",
        ],
        architecture: &["relational databases", "web services are containerised"],
        proposal: &["$300K", "4 months"],
        never: &[],
    },
    Variant {
        alice: "Meeting recap for Los Pollos Hermanos: 8 apps, Java and Oracle, must be in the cloud by June 2027, total budget $400K.",
        john: "Design the migration architecture for Los Pollos Hermanos.",
        sam: "Draft the proposal for Los Pollos Hermanos.",
        slug: "los_pollos_hermanos",
        us: None,
        facts: &["8 apps", "Java and Oracle", "June 2027", "$400K"],
        architecture: &["Java applications", "June 2027"],
        proposal: &["$400K", "June 2027"],
        never: &[],
    },
    Variant {
        alice: "I'm Alice from TechCorp. We're working with Duff Beer on a cloud migration project. Budget is $750K, timeline is 6 months, they need to migrate 30 applications, mostly .NET with SQL Server.",
        john: "Hi, I'm John from TechCorp. Based on the customer information in memory about Duff Beer, please design a cloud migration architecture.",
        sam: ORIGINAL_SAM,
        slug: "duff_beer",
        us: Some("TechCorp"),
        facts: &[
            "Project: cloud migration",
            "Budget: $750K",
            "Timeline: 6 months",
            "Scope: migrate 30 applications",
            "Stack: mostly .NET with SQL Server",
        ],
        architecture: &[
            "all 30 of them: .NET applications",
            "SQL Server",
            "$750K: about $150K",
        ],
        proposal: &["$750K", "6 months"],
        never: &[],
    },
    Variant {
        alice: "Our customer Krusty Krab wants to move 5 applications to AWS. Timeline is 3 months and the budget is $90K.",
        john: "Please propose an architecture for the Krusty Krab migration.",
        sam: "Write a proposal for Krusty Krab using what we have in memory.",
        slug: "krusty_krab",
        us: None,
        facts: &[
            "Scope: move 5 applications to AWS",
            "Timeline: 3 months",
            "Budget: $90K",
        ],
        architecture: &["5 applications", "(month 1)"],
        proposal: &["$90K: about $18K"],
        never: &[],
    },
    Variant {
        alice: "Big news from Genco Pura: they want to modernize 100 applications over 18 months, budget is $4.2M, mostly Java with DB2 on the mainframe.",
        john: "Design an architecture for Genco Pura.",
        sam: "Draft the proposal for Genco Pura.",
        slug: "genco_pura",
        us: None,
        facts: &["100 applications", "18 months", "Budget: $4.2M", "DB2"],
        architecture: &["mainframe workloads", "all 100 of them"],
        proposal: &["$4.2M"],
        never: &[],
    },
    Variant {
        alice: "Hey team, just wrapped up discovery with Northwind Traders. They're running SAP on-prem across 12 warehouses and want everything on Azure before end of 2027. Budget ceiling is around 3.5 million euros. Key contact: Jane Smith, their CIO.",
        john: "Hey, can you pull together a high-level architecture for Northwind Traders?",
        sam: "Could you write up a proposal for Northwind based on what's in memory?",
        slug: "northwind_traders",
        us: None,
        facts: &[
            "Running SAP on-prem across 12 warehouses",
            "Deadline: before end of 2027",
            "Budget: around 3.5 million euros",
            "Contact: Jane Smith (CIO)",
        ],
        architecture: &[
            "SAP moves to certified cloud instances",
            "the 12 warehouses connect",
        ],
        proposal: &["about €700K for the foundation", "done before end of 2027"],
        never: &[],
    },
    Variant {
        alice: "Good call with Initech Labs this afternoon. They need to lift 75 workloads out of their Dallas data center in 10 months; budget is $1.2 million. Must keep PCI scope unchanged.",
        john: "Please propose the migration architecture for Initech Labs.",
        sam: "Draft our proposal for Initech Labs.",
        slug: "initech_labs",
        us: None,
        facts: &[
            "Scope: lift 75 workloads out of their Dallas data center in 10 months",
            "Budget: $1.2 million",
            "Must keep PCI scope unchanged",
        ],
        architecture: &["Scale: 75 workloads", "(months 1–2)"],
        proposal: &[
            "about $240K for the foundation",
            "Must keep PCI scope unchanged",
        ],
        never: &[],
    },
    Variant {
        alice: "Morning! Alice from Contoso here. Spent the afternoon with St. Mary's Hospital: they run Epic on 80 VMware VMs and want to be on Azure within 12 months. Budget is about $2 million. HIPAA applies, so patient data must stay in the US.",
        john: "What architecture would you propose for St. Mary's Hospital?",
        sam: "Write the proposal for St. Mary's Hospital.",
        slug: "st_mary_s_hospital",
        us: Some("Contoso"),
        facts: &[
            "80 VMware VMs",
            "12 months",
            "Budget: $2 million",
            "Compliance: HIPAA",
            "Patient data must stay in the US",
        ],
        architecture: &[
            "Scale: 80 VMs",
            "VMware estate",
            "US region",
            "(months 1–2)",
        ],
        proposal: &[
            "about $400K for the foundation",
            "Patient data must stay in the US",
        ],
        never: &[],
    },
    Variant {
        alice: "we are working with müller logistik on moving their 1,200 stores to a new POS platform. budget $1.5bn over 3 years.",
        john: "Design the architecture for Müller Logistik.",
        sam: "Draft a proposal for Müller Logistik.",
        slug: "müller_logistik",
        us: None,
        facts: &[
            "Scope: moving their 1,200 stores to a new POS platform",
            "Budget: $1.5bn over 3 years",
        ],
        architecture: &[
            "POS platform: rehosted",
            "the 1200 stores connect",
            "(months 1–7)",
        ],
        proposal: &["about $300M for the foundation"],
        never: &[],
    },
    Variant {
        alice: "Our customer Oracle wants to move 30 apps off Solaris by Q1 2028. Budget is $900K.",
        john: "Propose an architecture for Oracle.",
        sam: "Write the proposal for Oracle.",
        slug: "oracle",
        us: None,
        facts: &["Scope: move 30 apps off Solaris", "Deadline: Q1 2028"],
        architecture: &["Scale: 30 apps", "Q1 2028"],
        proposal: &["$900K"],
        never: &[],
    },
    // A recap with the facts as one list after "they", and money "set aside" as the budget.
    Variant {
        alice: "Quick recap from today's call with Cyberdyne Systems: they run 2,000 VMs on VMware, want out of their data centre by end of 2027, and have ~$3.5M set aside. Their CIO Miles Dyson signs off.",
        john: "Propose a target architecture for Cyberdyne.",
        sam: "Put together the proposal for Cyberdyne.",
        slug: "cyberdyne_systems",
        us: None,
        facts: &[
            "- Wants out of their data centre (from Alice)",
            "- Deadline: end of 2027 (from Alice)",
            "- Budget: ~$3.5M (from Alice)",
            "- Miles Dyson (CIO) signs off (from Alice)",
        ],
        architecture: &[
            "Scale: 2000 VMs",
            "Budget: ~$3.5M",
            "3 waves of about 665 VMs",
        ],
        proposal: &[
            "Within your budget of ~$3.5M",
            "Approval: Miles Dyson (CIO) signs off",
        ],
        never: &[],
    },
    // A role before a name with an initial, reported speech, a second predicate after "and".
    Variant {
        alice: "Hey team, I just got off the phone with Acme Rockets. Their head of IT, Wile E. Coyote, says they have 45 legacy .NET apps, need everything in Azure within 18 months and can spend up to $800K.",
        john: "What's the best architecture for Acme Rockets given what we know? Design it.",
        sam: "Write the proposal for Acme Rockets.",
        slug: "acme_rockets",
        us: None,
        facts: &[
            "- Wile E. Coyote (head of IT) (from Alice)",
            "- Has 45 legacy .NET apps (from Alice)",
            "- Needs everything in Azure within 18 months (from Alice)",
            "- Budget: $800K (from Alice)",
        ],
        architecture: &["45", "$800K"],
        proposal: &["$800K", "Wile E. Coyote"],
        never: &[],
    },
    // A meeting named after the customer, cloud products in capitals (GKE, EKS), a "hard
    // deadline", and who owns the budget.
    Variant {
        alice: "Notes from the Hooli kickoff: 250 microservices on GKE, they want to consolidate onto AWS EKS, hard deadline is Black Friday 2027, Gavin Belson (CEO) owns the budget of $4.2M.",
        john: "Give me an architecture for Hooli.",
        sam: "Write the proposal for Hooli.",
        slug: "hooli",
        us: None,
        facts: &[
            "- 250 microservices on GKE (from Alice)",
            "- Deadline: Black Friday 2027 (from Alice)",
            "- Budget: $4.2M (from Alice)",
            "- Contact: Gavin Belson (CEO) (from Alice)",
        ],
        architecture: &["Scale: 250 microservices", "Deadline: Black Friday 2027"],
        proposal: &["Within your budget of $4.2M", "done by Black Friday 2027"],
        never: &[],
    },
    // An opener and a dash, the industry in brackets, a product name (S/4HANA) that is no
    // customer, a budget said in words.
    Variant {
        alice: "FYI - Soylent Corp (food manufacturing) has 12 factories and 400 SAP users. They need to go live on S/4HANA before July 2027. Budget: 2.5 million euros.",
        john: "Can you sketch a solution design for Soylent?",
        sam: "Now write up a statement of work for Soylent Corp.",
        slug: "soylent_corp",
        us: None,
        facts: &[
            "- Food manufacturing (from Alice)",
            "- Has 12 factories and 400 SAP users (from Alice)",
            "- Needs to go live on S/4HANA (from Alice)",
            "- Deadline: before July 2027 (from Alice)",
            "- Budget: 2.5 million euros (from Alice)",
        ],
        architecture: &[
            "Systems: SAP",
            "Budget: 2.5 million euros",
            "SAP moves to certified",
        ],
        proposal: &[
            "Within your budget of 2.5 million euros",
            "€1.5M for the migration waves",
        ],
        never: &[],
    },
    // Found in the rehearsal of 2026-12-05: a heading, an aside, a dash after the name; run-on
    // notes; a contact after the figures; the cloud they move to.
    Variant {
        alice: "Met with Umbrella Health today: 14 clinics, they want to move patient scheduling to AWS by March 2027, budget $2.5M, contact is Dr. Rosa Diaz (CIO).",
        john: "What do we know about Umbrella Health? Draft the architecture.",
        sam: "Write the proposal for Umbrella Health.",
        slug: "umbrella_health",
        us: None,
        facts: &[
            "- 14 clinics (from Alice)",
            "- Scope: move patient scheduling to AWS (from Alice)",
            "- Deadline: March 2027 (from Alice)",
            "- Contact: Dr. Rosa Diaz (CIO) (from Alice)",
        ],
        architecture: &["one AWS organisation", "the 14 clinics connect", "$2.5M"],
        proposal: &["Dr. Rosa Diaz (CIO)", "one AWS organisation"],
        never: &["Contact: Rosa Diaz", "Systems: AWS"],
    },
    Variant {
        alice: "Initech: 2 data centres, 450 VMs, mostly Linux. Peter Gibbons is our champion. They'd like to cut hosting costs by 30%.",
        john: "Design the architecture for Initech.",
        sam: "Draft the proposal for Initech.",
        slug: "initech",
        us: None,
        facts: &[
            "- 450 VMs (from Alice)",
            "- Stack: mostly Linux (from Alice)",
            "- Contact: Peter Gibbons (champion) (from Alice)",
            "- Wants to cut hosting costs by 30% (from Alice)",
        ],
        architecture: &["Scale: 450 VMs"],
        proposal: &["Peter Gibbons"],
        never: &["They'd"],
    },
    Variant {
        alice: "Contoso (retail, 85 stores in Germany) needs to keep customer data in the EU. Their POS system is ancient. Deadline: Christmas 2027.",
        john: "Sketch a target architecture for Contoso.",
        sam: "Write the proposal for Contoso.",
        slug: "contoso",
        us: None,
        facts: &[
            "- Retail, 85 stores in Germany (from Alice)",
            "- Needs to keep customer data in the EU (from Alice)",
            "- Deadline: Christmas 2027 (from Alice)",
        ],
        architecture: &["the 85 stores connect", "POS system", "Christmas 2027"],
        proposal: &["Christmas 2027"],
        never: &["85 stores in Germany)"],
    },
    Variant {
        alice: "new prospect: Tyrell Corp — replicant inventory platform on Oracle 12c + WebLogic, 40 TB of data, want to be on Azure in 18 months. Contact Eldon Tyrell, budget not confirmed yet.",
        john: "Design the architecture for Tyrell.",
        sam: "Write the proposal for Tyrell Corp.",
        slug: "tyrell_corp",
        us: None,
        facts: &[
            "- 40 TB of data (from Alice)",
            "- Contact: Eldon Tyrell (from Alice)",
        ],
        architecture: &[
            "Systems: Oracle, WebLogic\n",
            "Timeline: 18 months",
            "one Azure tenant",
            "Azure Kubernetes Service",
            "the 40 TB is copied",
        ],
        proposal: &["Eldon Tyrell", "Oracle licensing"],
        never: &["(Contact)"],
    },
    Variant {
        alice: "Stark Industries - CISO Pepper Potts. Requirements: SOC 2, data residency in the US, SSO via Okta. 1,500 employees, 60 apps. Go-live target Q4 2027.",
        john: "Draft an architecture for Stark Industries.",
        sam: "Proposal for Stark Industries, please.",
        slug: "stark_industries",
        us: None,
        facts: &[
            "- Pepper Potts (CISO) (from Alice)",
            "- 60 apps (from Alice)",
            "- Deadline: Q4 2027 (from Alice)",
        ],
        architecture: &["Scale: 60 apps", "Deadline: Q4 2027"],
        proposal: &["Q4 2027"],
        never: &["Go-live target"],
    },
    Variant {
        alice: "acme logistics wants to move their warehouse system to gcp by june next year budget 400k contact is bob smith",
        john: "Design the architecture for Acme Logistics.",
        sam: "Write the proposal for Acme Logistics.",
        slug: "acme_logistics",
        us: None,
        facts: &[
            "- Scope: move their warehouse system to gcp (from Alice)",
            "- Deadline: june next year (from Alice)",
            "- Budget: 400k (from Alice)",
            "- Contact: bob smith (from Alice)",
        ],
        architecture: &[
            "one Google Cloud organisation",
            "Warehouse system: rehosted",
        ],
        proposal: &["400k"],
        never: &["400k contact"],
    },
    Variant {
        alice: "Met with Müller & Söhne GmbH: 12 plants, SAP ECC 6.0, moving to Azure by 2028, budget €3M, contact Jürgen Weiß (Head of IT).",
        john: "Design the architecture for Müller & Söhne.",
        sam: "Write the proposal for Müller & Söhne GmbH.",
        slug: "müller_and_söhne_gmbh",
        us: None,
        facts: &[
            "- Stack: SAP ECC 6.0 (from Alice)",
            "- Contact: Jürgen Weiß (Head of IT) (from Alice)",
        ],
        architecture: &[
            "SAP moves to certified",
            "one Azure tenant",
            "the 12 plants connect",
        ],
        proposal: &["€3M", "Jürgen Weiß"],
        never: &["Head (contact)", "Systems: SAP, ECC, Azure"],
    },
    Variant {
        alice: "Oceanic Airlines has two hundred apps and wants to be out of its data center within two years; the board approved fifteen million dollars.",
        john: "Draft the architecture for Oceanic Airlines.",
        sam: "Write the proposal for Oceanic Airlines.",
        slug: "oceanic_airlines",
        us: None,
        facts: &[
            "- Has 200 apps (from Alice)",
            "- Budget: 15 million dollars (from Alice)",
        ],
        architecture: &[
            "Oceanic Airlines: cloud migration architecture",
            "Scale: 200 apps",
            "Timeline: 24 months",
            "about $3M for the foundation",
        ],
        proposal: &["15 million dollars"],
        never: &[],
    },
    Variant {
        alice: "Hooli wants everything on GKE. 250 microservices. Must keep 99.99% uptime.",
        john: "Architecture for Hooli please.",
        sam: "Proposal for Hooli.",
        slug: "hooli",
        us: None,
        facts: &[
            "- Wants everything on GKE (from Alice)",
            "- 250 microservices (from Alice)",
        ],
        architecture: &["250 microservices run in containers on Google Kubernetes Engine (GKE)"],
        proposal: &["Google Kubernetes Engine"],
        never: &["lift and shift"],
    },
    Variant {
        alice: "Call notes — Wonka Industries\n- 3 factories (UK, Belgium, Brazil)\n- ERP: SAP ECC, MES on-prem\n- want to move to Azure, phase 1 by Q2 2027\n- budget ~€4M\n- sponsor: Charlie Bucket (COO)",
        john: "Design the architecture for Wonka.",
        sam: "Write the proposal for Wonka Industries.",
        slug: "wonka_industries",
        us: None,
        facts: &[
            "- 3 factories (UK, Belgium, Brazil) (from Alice)",
            "- Deadline: Q2 2027 (phase 1) (from Alice)",
            "- Budget: ~€4M (from Alice)",
            "- Contact: Charlie Bucket (COO) (from Alice)",
        ],
        architecture: &["the 3 factories connect", "one Azure tenant", "SAP moves"],
        proposal: &["Charlie Bucket (COO)", "~€4M"],
        never: &["- - ", "Systems: SAP, ECC, Azure"],
    },
    Variant {
        alice: "🚀 Big news: Cyberdyne Systems just signed! They're moving 80 .NET apps + SQL Server to Azure over 12 months, $3.2M. Miles Dyson (VP Engineering) is the exec sponsor.",
        john: "Architecture for Cyberdyne, please.",
        sam: "Proposal for Cyberdyne.",
        slug: "cyberdyne_systems",
        us: None,
        facts: &[
            "- Budget: $3.2M (from Alice)",
            "- Contact: Miles Dyson (VP Engineering, exec sponsor) (from Alice)",
        ],
        architecture: &["Scale: 80 apps", "Timeline: 12 months", "one Azure tenant"],
        proposal: &["Miles Dyson", "$3.2M"],
        never: &["Engineering (VP)"],
    },
    // Something new to build, not a move: the design, the phases and the budget follow it.
    Variant {
        alice: "Acme Bank wants a fraud detection platform: real-time scoring on Kafka, 5,000 transactions per second, PCI DSS, budget $1.5M, live by September.",
        john: "Design the architecture for Acme Bank.",
        sam: "Write the proposal for Acme Bank.",
        slug: "acme_bank",
        us: None,
        facts: &[
            "- Wants a fraud detection platform (from Alice)",
            "- Deadline: September (from Alice)",
        ],
        architecture: &[
            "# Acme Bank: fraud detection platform architecture",
            "Fraud detection platform: new services in containers",
            "sized for 5,000 transactions per second",
            "Compliance: PCI DSS controls",
            "Models: features computed from live events",
            "done by September",
            "$450K for discovery and the first version",
        ],
        proposal: &[
            "# Proposal: Acme Bank fraud detection platform",
            "start discovery",
        ],
        never: &["rehosted", "lift and shift", "Migration waves", "cutover"],
    },
    Variant {
        alice: "Vandelay Industries wants a GenAI assistant for their 300 support agents, trained on their Zendesk tickets; data must stay in the EU; pilot in 8 weeks.",
        john: "Architecture for Vandelay, please.",
        sam: "Proposal for Vandelay Industries.",
        slug: "vandelay_industries",
        us: None,
        facts: &["- Data must stay in the EU (from Alice)"],
        architecture: &[
            "retrieval over their Zendesk tickets;",
            "Access: the 300 support agents sign in",
            "Integrations: Zendesk",
            "lives only in an EU region",
        ],
        proposal: &["GenAI assistant", "Data must stay in the EU"],
        never: &["rehosted", "a EU region", "Zendesk tickets. Data"],
    },
    Variant {
        alice: "Contoso needs a new customer portal by June 2027: 2 million users, built on Azure, SSO with Okta, budget €800K.",
        john: "Sketch a target architecture for Contoso.",
        sam: "Write the proposal for Contoso.",
        slug: "contoso",
        us: None,
        facts: &[
            "- Deadline: June 2027 (from Alice)",
            "- Budget: €800K (from Alice)",
        ],
        architecture: &[
            "Customer portal: new services in containers on Azure Kubernetes Service (AKS)",
            "Access: the 2 million users sign in",
            "one Azure tenant",
        ],
        proposal: &["€240K for discovery and the first version"],
        never: &["June 2027: 2 million", "rehosted"],
    },
];

/// One variant through the three tabs; failures are collected, not panicked, so the report
/// lists every variant that goes wrong.
async fn run(v: &Variant, dir: &Path) -> Vec<String> {
    let mem = dir.join("memories");
    let store: Arc<dyn MemoryStore> = Arc::new(LocalStore::open(&LocalOptions::new(&mem)).unwrap());
    let (alice, john, sam) = (
        agent(&store, "Alice"),
        agent(&store, "John"),
        agent(&store, "Sam"),
    );
    let mut problems = Vec::new();
    let file = format!("/memories/{}.md", v.slug);
    let arch = format!("/memories/{}_architecture.md", v.slug);
    let prop = format!("/memories/{}_proposal.md", v.slug);

    let (_, tools) = say(&alice, &mut Conversation::default(), v.alice).await;
    if tools != ["view /memories".to_owned(), format!("create {file}")] {
        problems.push(format!("Alice's tools: {tools:?}"));
    }
    let facts = std::fs::read_to_string(mem.join(format!("{}.md", v.slug))).unwrap_or_default();
    for want in v.facts {
        if !facts.contains(want) {
            problems.push(format!("the customer file lacks {want:?}:\n{facts}"));
        }
    }
    for line in facts.lines().filter(|l| l.starts_with("- ")) {
        let low = line.to_lowercase();
        let greeting = [
            "- i'm ",
            "- i am ",
            "- hi ",
            "- hi,",
            "- hello",
            "- good morning",
            "- this is ",
        ]
        .iter()
        .any(|g| low.starts_with(g));
        let ours = v.us.is_some_and(|us| low.contains(&us.to_lowercase()));
        if greeting || ours || line.len() > 160 {
            problems.push(format!("not a clean fact: {line:?}"));
        }
    }

    let (john_text, tools) = say(&john, &mut Conversation::default(), v.john).await;
    if !tools.contains(&format!("view {file}")) || !tools.contains(&format!("create {arch}")) {
        problems.push(format!("John's tools: {tools:?}"));
    }
    let architecture = std::fs::read_to_string(mem.join(format!("{}_architecture.md", v.slug)))
        .unwrap_or_default();
    for want in v.architecture {
        if !architecture.contains(want) {
            problems.push(format!("the architecture lacks {want:?}:\n{architecture}"));
        }
    }
    if !john_text.contains(&format!("What the team stored in {file}")) {
        problems.push(format!(
            "John's answer does not quote the file:\n{john_text}"
        ));
    }

    let (sam_text, tools) = say(&sam, &mut Conversation::default(), v.sam).await;
    let wanted = [
        format!("view {file}"),
        format!("view {arch}"),
        format!("create {prop}"),
    ];
    if !wanted.iter().all(|w| tools.contains(w)) {
        problems.push(format!("Sam's tools: {tools:?}"));
    }
    let proposal =
        std::fs::read_to_string(mem.join(format!("{}_proposal.md", v.slug))).unwrap_or_default();
    for want in v.proposal {
        if !proposal.contains(want) {
            problems.push(format!("the proposal lacks {want:?}:\n{proposal}"));
        }
    }
    for bad in v.never {
        for (name, text) in [
            ("customer file", &facts),
            ("architecture", &architecture),
            ("proposal", &proposal),
        ] {
            if text.contains(bad) {
                problems.push(format!("the {name} holds {bad:?}:\n{text}"));
            }
        }
    }
    // The proposal combines both files: the architecture's target is in it.
    let target = architecture
        .split("## Target")
        .nth(1)
        .and_then(|t| t.lines().find(|l| l.starts_with("- ")))
        .unwrap_or("(no target)");
    if !proposal.contains(target) {
        problems.push(format!(
            "the proposal does not use the architecture's {target:?}"
        ));
    }
    if !sam_text.contains(&prop) {
        problems.push(format!("Sam's answer does not name {prop}:\n{sam_text}"));
    }
    // No other file was made: one customer, three files.
    let mut names: Vec<String> = std::fs::read_dir(&mem)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    let expected = {
        let mut e = vec![
            format!("{}.md", v.slug),
            format!("{}_architecture.md", v.slug),
            format!("{}_proposal.md", v.slug),
        ];
        e.sort();
        e
    };
    if names != expected {
        problems.push(format!("files: {names:?}"));
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_variant_tells_the_story() {
    assert!(VARIANTS.len() >= 30);
    let mut failed = Vec::new();
    for (i, v) in VARIANTS.iter().enumerate() {
        let tmp = tempfile::Builder::new()
            .prefix("memdeck-story-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .unwrap();
        let problems = run(v, tmp.path()).await;
        if !problems.is_empty() {
            failed.push(format!(
                "variant {i} ({}):\n  {}",
                v.slug,
                problems.join("\n  ")
            ));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} variants failed:\n{}",
        failed.len(),
        VARIANTS.len(),
        failed.join("\n\n")
    );
}

/// A question, an update or a "forget" after Alice stored two customers: which files are read
/// or changed, and what the answer must (and must not) say.
struct Turn {
    persona: &'static str,
    prompt: &'static str,
    tools: &'static [&'static str],
    says: &'static [&'static str],
    never: &'static [&'static str],
}

const SETUP: [&str; 2] = [
    "I'm Alice from TechCorp. We're working with ACME Corp on a cloud migration project. Budget is $500K, timeline is 9 months, they need to migrate 50 applications, mostly Java with Oracle databases. Their CTO, Dana Ortiz, signs off on anything over 100k.",
    "Quick update on Globex: they have 20 .NET apps and a $1M budget, deadline is June 2027.",
];

const TURNS: &[Turn] = &[
    Turn {
        persona: "John",
        prompt: "What's the budget for ACME?",
        tools: &["view /memories", "view /memories/acme_corp.md"],
        says: &["**Budget**", "- Budget: $500K (Alice)"],
        never: &["Globex", "$1M"],
    },
    Turn {
        persona: "John",
        prompt: "When is the Globex deadline?",
        tools: &["view /memories", "view /memories/globex.md"],
        says: &["**Timing**", "- Deadline: June 2027 (Alice)"],
        never: &["ACME", "$500K"],
    },
    Turn {
        persona: "Sam",
        prompt: "Who signs off at Acme?",
        tools: &["view /memories", "view /memories/acme_corp.md"],
        says: &[
            "**People**",
            "- Dana Ortiz (CTO) signs off on anything over 100k (Alice)",
        ],
        never: &["Budget: $500K"],
    },
    Turn {
        persona: "John",
        prompt: "What tech stack does Acme use?",
        tools: &["view /memories", "view /memories/acme_corp.md"],
        says: &["- Stack: mostly Java with Oracle databases (Alice)"],
        never: &["Project: cloud migration"],
    },
    Turn {
        persona: "Sam",
        prompt: "Which customers do we have in memory?",
        tools: &[
            "view /memories",
            "view /memories/acme_corp.md",
            "view /memories/globex.md",
        ],
        says: &[
            "From /memories/acme_corp.md",
            "From /memories/globex.md",
            "- Budget: $1M (Alice)",
        ],
        never: &[],
    },
    Turn {
        persona: "John",
        prompt: "What do we know about Initech?",
        tools: &["view /memories"],
        says: &["Our shared memory has nothing on Initech yet."],
        never: &["ACME", "Globex"],
    },
    Turn {
        persona: "Alice",
        prompt: "ACME's budget went up to $700K.",
        tools: &[
            "view /memories",
            "view /memories/acme_corp.md",
            "str_replace /memories/acme_corp.md",
        ],
        says: &["- Budget: $700K (was: Budget: $500K)"],
        never: &[],
    },
    Turn {
        persona: "Alice",
        prompt: "Update on ACME: the timeline is now 12 months.",
        tools: &[
            "view /memories",
            "view /memories/acme_corp.md",
            "str_replace /memories/acme_corp.md",
        ],
        says: &["- Timeline: 12 months (was: Timeline: 9 months)"],
        never: &[],
    },
    Turn {
        persona: "Alice",
        prompt: "Globex also wants single sign-on with Okta.",
        tools: &[
            "view /memories",
            "view /memories/globex.md",
            "insert /memories/globex.md",
        ],
        says: &["- Wants single sign-on with Okta"],
        never: &["ACME"],
    },
    Turn {
        persona: "Alice",
        prompt: "Note for the team: Globex prefers on-site workshops.",
        tools: &[
            "view /memories",
            "view /memories/globex.md",
            "insert /memories/globex.md",
        ],
        says: &["- Prefers on-site workshops"],
        never: &["ACME", "Hello"],
    },
    Turn {
        persona: "Alice",
        prompt: "Update: Globex now has 25 .NET apps.",
        tools: &[
            "view /memories",
            "view /memories/globex.md",
            "str_replace /memories/globex.md",
        ],
        says: &["- Has 25 .NET apps (was: Has 20 .NET apps)"],
        never: &["ACME"],
    },
    Turn {
        persona: "John",
        prompt: "Remind me what Globex wants.",
        tools: &["view /memories", "view /memories/globex.md"],
        says: &[
            "- Wants single sign-on with Okta (Alice)",
            "- Has 25 .NET apps (Alice)",
        ],
        never: &["ACME", "20 .NET apps"],
    },
    Turn {
        persona: "Sam",
        prompt: "Forget Globex.",
        tools: &["view /memories", "delete /memories/globex.md"],
        says: &["Done: I deleted /memories/globex.md from our shared memory."],
        never: &["acme_corp"],
    },
    Turn {
        persona: "John",
        prompt: "What is ACME's budget now?",
        tools: &["view /memories", "view /memories/acme_corp.md"],
        says: &["- Budget: $700K (Alice)"],
        never: &["$500K"],
    },
    // "What's" is "what is", not a party called What.
    Turn {
        persona: "Sam",
        prompt: "What's ACME's budget?",
        tools: &["view /memories", "view /memories/acme_corp.md"],
        says: &["- Budget: $700K (Alice)"],
        never: &["on What", "$500K"],
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questions_updates_and_forgets_use_the_right_file() {
    let tmp = tempfile::Builder::new()
        .prefix("memdeck-story-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let store: Arc<dyn MemoryStore> =
        Arc::new(LocalStore::open(&LocalOptions::new(tmp.path().join("memories"))).unwrap());
    for text in SETUP {
        say(&agent(&store, "Alice"), &mut Conversation::default(), text).await;
    }
    let mut failed = Vec::new();
    for (i, turn) in TURNS.iter().enumerate() {
        let (text, tools) = say(
            &agent(&store, turn.persona),
            &mut Conversation::default(),
            turn.prompt,
        )
        .await;
        let mut problems = Vec::new();
        if tools != turn.tools {
            problems.push(format!("tools {tools:?}"));
        }
        for want in turn.says {
            if !text.contains(want) {
                problems.push(format!("lacks {want:?}"));
            }
        }
        for not in turn.never {
            if text.contains(not) {
                problems.push(format!("says {not:?}"));
            }
        }
        if !problems.is_empty() {
            failed.push(format!(
                "turn {i} {:?}: {}\n{text}",
                turn.prompt,
                problems.join("; ")
            ));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} turns failed:\n{}",
        failed.len(),
        TURNS.len(),
        failed.join("\n\n")
    );
}

/// Files a person wrote by hand in the panel (or another program did): a typed memory with
/// front matter, plain lines instead of a list, a numbered list. Asked about, the demo model
/// quotes their facts (never the front matter's `---`); told something new, it updates the
/// line that held the old value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_written_by_hand_are_read_and_updated() {
    let (_tmp, dir) = scratch();
    std::fs::create_dir_all(dir.join("clients")).unwrap();
    let files: &[(&str, &str)] = &[
        (
            "clients/globex.md",
            "---\nname: Globex\ndescription: the customer we met in Berlin\ntype: project\n---\nGlobex runs 12 plants.\nBudget: $2.4M\nDeadline: June 2027\n",
        ),
        (
            "initech.md",
            "# Initech\n\nInitech has 3 offices in Texas.\nBudget: $90K\nThey want a pilot first.\n",
        ),
        (
            "umbrella.md",
            "---\nname: Umbrella\ndescription: pharma customer\ntype: project\n---\n# Umbrella Corp\n\n1. Runs 4 labs\n2. Budget: $3M\n",
        ),
    ];
    for (path, text) in files {
        std::fs::write(dir.join(path), text).unwrap();
    }
    let store = local_store(&dir);
    let cases: &[Said] = &[
        (
            "John",
            "What do we know about Globex?",
            &[
                "Globex runs 12 plants.",
                "Budget: $2.4M",
                "Deadline: June 2027",
            ],
            &["---", "type: project"],
        ),
        (
            "Sam",
            "What is Initech's budget?",
            &["Budget: $90K"],
            &["# Initech"],
        ),
        (
            "John",
            "Tell me about Umbrella Corp.",
            &["Runs 4 labs", "Budget: $3M"],
            &["---", "1. "],
        ),
    ];
    check_turns(&store, cases).await;

    // A new budget replaces the hand-written line; the front matter stays whole.
    say(
        &agent(&store, "Alice"),
        &mut Conversation::default(),
        "Update: Globex's budget is now $2.9M.",
    )
    .await;
    let text = std::fs::read_to_string(dir.join("clients/globex.md")).unwrap();
    assert!(text.starts_with("---\nname: Globex\n"), "{text}");
    assert!(text.contains("$2.9M") && !text.contains("$2.4M"), "{text}");
    assert!(text.contains("Globex runs 12 plants."), "{text}");
}

/// Code in a message that is not there to be reviewed (a command to run, a snippet to keep) is
/// remembered with the rest; code sent for a look is reviewed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_to_keep_is_remembered_and_code_to_review_is_reviewed() {
    let (_tmp, dir) = scratch();
    let store = local_store(&dir);
    let keep: &[(&str, &str, &str)] = &[
        (
            "Deploy notes for ACME: run\n\n```sh\nmake deploy ENV=prod\n```\n",
            "acme.md",
            "make deploy ENV=prod",
        ),
        (
            "Globex's staging database is reached with\n\n```\npsql -h staging.globex.internal -U app\n```",
            "globex.md",
            "psql -h staging.globex.internal -U app",
        ),
        // The code's `-U` is not a name: the file is still Globex's.
        (
            "Globex staging database is reached with\n\n```\npsql -h staging.globex.internal -U app\n```",
            "globex.md",
            "psql -h staging.globex.internal -U app",
        ),
        (
            "Initech prefers `kubectl -n Prod apply` for releases.",
            "initech.md",
            "kubectl -n Prod apply",
        ),
    ];
    for (prompt, file, kept) in keep {
        let (text, tools) = say(
            &agent(&store, "Alice"),
            &mut Conversation::default(),
            prompt,
        )
        .await;
        assert!(
            !text.contains("thread-safety"),
            "{prompt:?} was reviewed:\n{text}"
        );
        assert!(
            tools.iter().any(|t| t.ends_with(file)),
            "{prompt:?}: {tools:?}\n{text}"
        );
        let saved = std::fs::read_to_string(dir.join(file)).unwrap();
        assert!(saved.contains(kept), "{prompt:?}:\n{saved}");
    }
    let review: &[&str] = &[
        "Can you check this for bugs?\n\n```py\ndef reserve(item):\n    if stock[item] > 0:\n        stock[item] -= 1\n```",
        "```rust\nfn add(a: u32, b: u32) -> u32 { a + b }\n```",
    ];
    for prompt in review {
        let (text, _) = say(&agent(&store, "John"), &mut Conversation::default(), prompt).await;
        assert!(
            text.contains("race") || text.contains("thread-safety"),
            "{prompt:?} was not reviewed:\n{text}"
        );
    }
}

/// A hurried recap typed in lower case with dashes, a question memory cannot answer, and a
/// proposal asked for without naming anyone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lower_case_recap_an_unanswerable_question_and_an_unnamed_proposal() {
    let (_tmp, dir) = scratch();
    let store = local_store(&dir);
    let turns: &[Said] = &[
        (
            "Alice",
            "met with globodyne inc. yesterday — 3 data centers, 1,800 servers, wants a hybrid cloud, budget $6m, deadline q4 2027",
            &[
                "/memories/globodyne_inc.md",
                "- 3 data centers",
                "- Budget: $6m",
            ],
            &["team_notes", "Yesterday"],
        ),
        (
            "John",
            "Do we know who the contact at Globodyne is?",
            &["Nothing on people there yet"],
            &["**People**"],
        ),
        (
            "Sam",
            "Can you turn that into a proposal?",
            &["Walk through this proposal with Globodyne Inc"],
            &["Team notes"],
        ),
    ];
    check_turns(&store, turns).await;
}

/// A temporary directory and the memory directory in it (not created).
/// A persona, what they say, what the answer must hold and must not.
type Said<'a> = (&'a str, &'a str, &'a [&'a str], &'a [&'a str]);

/// Each turn in its own conversation, in order; every turn that goes wrong is reported.
async fn check_turns(store: &Arc<dyn MemoryStore>, turns: &[Said<'_>]) {
    let mut failed = Vec::new();
    for (persona, prompt, says, never) in turns {
        let (text, _) = say(&agent(store, persona), &mut Conversation::default(), prompt).await;
        let lacks: Vec<_> = says.iter().filter(|w| !text.contains(**w)).collect();
        let has: Vec<_> = never.iter().filter(|w| text.contains(**w)).collect();
        if !lacks.is_empty() || !has.is_empty() {
            failed.push(format!("{prompt:?}: lacks {lacks:?}, says {has:?}\n{text}"));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

/// One message about two customers: each one's facts in its own file, and each file answers
/// for its own customer afterwards; a message naming a product or a project word ("Go-live is
/// Q3") stays about its one customer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_about_two_customers_writes_two_files() {
    let (_tmp, dir) = scratch();
    let store = local_store(&dir);
    let (text, tools) = say(
        &agent(&store, "Alice"),
        &mut Conversation::default(),
        "Two updates: Globex signed the pilot, budget $1M. Initech pushed their go-live to 2028.",
    )
    .await;
    assert_eq!(
        tools,
        [
            "view /memories",
            "create /memories/globex.md",
            "create /memories/initech.md"
        ],
        "{text}"
    );
    let globex = std::fs::read_to_string(dir.join("globex.md")).unwrap();
    let initech = std::fs::read_to_string(dir.join("initech.md")).unwrap();
    assert!(
        globex.contains("- Signed the pilot (from Alice)"),
        "{globex}"
    );
    assert!(globex.contains("- Budget: $1M (from Alice)"), "{globex}");
    assert!(!globex.contains("2028"), "{globex}");
    assert!(
        initech.contains("- Pushed their go-live to 2028 (from Alice)"),
        "{initech}"
    );
    assert!(!initech.contains("$1M"), "{initech}");
    // Updates to both, one existing and one new.
    let (text, tools) = say(
        &agent(&store, "Alice"),
        &mut Conversation::default(),
        "Globex now runs 14 plants. Umbrella Corp wants a call next week.",
    )
    .await;
    assert!(
        tools.contains(&"insert /memories/globex.md".to_owned())
            && tools.contains(&"create /memories/umbrella_corp.md".to_owned()),
        "{tools:?}\n{text}"
    );
    check_turns(
        &store,
        &[
            ("John", "When does Initech go live?", &["2028"], &["$1M"]),
            (
                "Sam",
                "What's Globex's budget?",
                &["Budget: $1M"],
                &["2028"],
            ),
        ],
    )
    .await;
}

/// A person named with their role a few words on ("Richard Hendricks is the founder") is a
/// contact in the customer's file, never a customer of their own; limits and sensitivities
/// answer a question about risks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_founder_is_no_customer_and_limits_are_risks() {
    let (_tmp, dir) = scratch();
    let store = local_store(&dir);
    let (text, tools) = say(
        &agent(&store, "Alice"),
        &mut Conversation::default(),
        "Pied Piper wants to move their 3 PB of video storage from on-prem Ceph to S3 over the next 12 months. Richard Hendricks is the founder and decision maker. They're price sensitive — max $150K/month run cost.",
    )
    .await;
    assert_eq!(
        tools,
        ["view /memories", "create /memories/pied_piper.md"],
        "{text}"
    );
    let file = std::fs::read_to_string(dir.join("pied_piper.md")).unwrap();
    assert!(
        file.contains("- Contact: Richard Hendricks (founder and decision maker)"),
        "{file}"
    );
    check_turns(
        &store,
        &[(
            "Sam",
            "What risks should the proposal for Pied Piper mention?",
            &["**Constraints and risks**", "Max $150K/month run cost"],
            &["Nothing on constraints"],
        )],
    )
    .await;
}

/// A change said relative to a stored count ("added 3 more clinics") updates the count; a
/// question asking for two things answers both, and says which one memory does not hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_to_a_count_and_two_questions_at_once() {
    let (_tmp, dir) = scratch();
    let store = local_store(&dir);
    check_turns(
        &store,
        &[
            (
                "Alice",
                "Met with Umbrella Health today: 14 clinics, they want to move patient scheduling to AWS by March 2027, budget $2.5M, contact is Dr. Rosa Diaz (CIO).",
                &["- 14 clinics", "- Contact: Dr. Rosa Diaz (CIO)"],
                &["Contact: Rosa Diaz"],
            ),
            (
                "John",
                "Heads up: Umbrella's budget got cut to $2M and they added 3 more clinics.",
                &[
                    "- Budget: $2M (was: Budget: $2.5M)",
                    "- 17 clinics (was: 14 clinics; added 3 more clinics)",
                ],
                &[],
            ),
            (
                "Sam",
                "What's Umbrella's budget now and how many clinics do they have?",
                &["**Budget**", "- Budget: $2M (John)", "**Clinics**", "- 17 clinics (John)"],
                &["14 clinics", "$2.5M"],
            ),
            (
                "Sam",
                "Who's the contact at Umbrella and what are the risks?",
                &["**People**", "Dr. Rosa Diaz (CIO)", "Nothing on constraints and risks there yet."],
                &[],
            ),
            (
                "Alice",
                "Also Umbrella needs HIPAA compliance and wants zero downtime for the scheduling system.",
                &["- Needs HIPAA compliance", "- Wants zero downtime for the scheduling system"],
                &["0 downtime"],
            ),
            (
                "Sam",
                "What are the risks for Umbrella?",
                &["**Constraints and risks**", "- Needs HIPAA compliance (Alice)"],
                &["Nothing on"],
            ),
        ],
    )
    .await;
    let file = std::fs::read_to_string(dir.join("umbrella_health.md")).unwrap();
    assert!(file.contains("- 17 clinics (from John)"), "{file}");
    assert!(!file.contains("14 clinics"), "{file}");
}

/// A question naming two customers reads both files and answers for each (budgets ranked
/// when they share a currency); "Sam, summarise …" is a question, and a customer whose name
/// holds "tech" is no question about the stack.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questions_about_two_customers_and_a_summary() {
    let (_tmp, dir) = scratch();
    let store = local_store(&dir);
    check_turns(
        &store,
        &[
            (
                "Alice",
                "Met with Umbrella Health today: 14 clinics, they want to move patient scheduling to AWS by March 2027, budget $2.5M, contact is Dr. Rosa Diaz (CIO).",
                &["/memories/umbrella_health.md"],
                &[],
            ),
            (
                "Alice",
                "Initech: 2 data centres, 450 VMs, mostly Linux. Peter Gibbons is our champion. Budget $900K, deadline end of 2027.",
                &["/memories/initech.md"],
                &["team_notes"],
            ),
            (
                "Sam",
                "Compare Umbrella and Initech budgets.",
                &[
                    "- Budget: $2.5M (Alice)",
                    "- Budget: $900K (Alice)",
                    "By budget, largest first: Umbrella Health $2.5M, Initech $900K.",
                ],
                &["Hello Sam", "nothing on"],
            ),
            (
                "John",
                "What are the deadlines for Initech and Umbrella Health?",
                &["- Deadline: end of 2027 (Alice)", "- Deadline: March 2027 (Alice)"],
                &["Budget"],
            ),
            (
                "Sam",
                "Sam, summarise everything we know about Initech for the exec team.",
                &["- 450 VMs (Alice)", "- Budget: $900K (Alice)", "- Contact: Peter Gibbons (champion) (Alice)"],
                &["**Systems**", "Umbrella"],
            ),
        ],
    )
    .await;
}

/// "Forget the budget for Globex" removes that line and keeps the rest (it had deleted the
/// customer's file and its architecture); a part no line holds changes nothing; "Forget
/// Globex" still removes the customer. A correction naming no one goes to the one customer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgetting_a_part_keeps_the_rest() {
    let (_tmp, dir) = scratch();
    let store = local_store(&dir);
    check_turns(
        &store,
        &[
            (
                "Alice",
                "Quick recap from today's call with Globex: they run 120 Java apps on WebLogic, want to be on AWS by Q3 2027, budget is $3M, contact is Hank Scorpio (CEO).",
                &["/memories/globex.md"],
                &[],
            ),
            (
                "Alice",
                "Actually the deadline is Q4 2027, not Q3.",
                &["- Deadline: Q4 2027 (was: Deadline: Q3 2027)"],
                &["team_notes"],
            ),
            ("John", "Design the architecture for Globex.", &["/memories/globex_architecture.md"], &[]),
            (
                "Sam",
                "Forget the budget for Globex.",
                &["Done: I removed from /memories/globex.md", "- Budget: $3M (from Alice)"],
                &["deleted"],
            ),
            (
                "Sam",
                "Remove the line about WebLogic from Globex's notes.",
                &["- Stack: runs 120 Java apps on WebLogic (from Alice)"],
                &["deleted"],
            ),
            (
                "Sam",
                "Forget the pricing for Globex.",
                &["Nothing in /memories/globex.md mentions pricing; I changed nothing."],
                &[],
            ),
        ],
    )
    .await;
    let file = std::fs::read_to_string(dir.join("globex.md")).unwrap();
    assert!(
        file.contains("- Contact: Hank Scorpio (CEO) (from Alice)"),
        "{file}"
    );
    assert!(file.contains("- Deadline: Q4 2027"), "{file}");
    assert!(
        !file.contains("Budget") && !file.contains("WebLogic"),
        "{file}"
    );
    assert!(dir.join("globex_architecture.md").exists());
    check_turns(
        &store,
        &[(
            "Sam",
            "Forget Globex.",
            &["Done: I deleted /memories/globex.md"],
            &[],
        )],
    )
    .await;
    assert!(!dir.join("globex.md").exists());
}

/// An incident log that names a technology ("expired TLS cert") is about the incident, not a
/// customer called TLS; its review names the known root cause and how to stop it recurring,
/// and a question about the cause answers with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_log_naming_a_technology_and_its_root_cause() {
    let (_tmp, dir) = scratch();
    let store = local_store(&dir);
    check_turns(
        &store,
        &[
            (
                "Alice",
                "Incident log: at 14:05 checkout errors jumped to 30%. 14:12 we rolled back the payments service. 14:20 errors back to 0.2%. Root cause: expired TLS cert on the payment gateway.",
                &["/memories/checkout_incident.md", "- Root cause: expired TLS cert on the payment gateway"],
                &["tls.md"],
            ),
            (
                "John",
                "Write the post-incident review.",
                &[
                    "## Root cause\n\n- Expired TLS cert on the payment gateway",
                    "- [ ] Stop it recurring (expired TLS cert on the payment gateway)",
                ],
                &["Find out why", "holds no incident notes"],
            ),
            (
                "Sam",
                "What was the root cause of the checkout incident?",
                &["**Cause**", "- Root cause: expired TLS cert on the payment gateway (Alice)"],
                &["14:12"],
            ),
        ],
    )
    .await;
}

/// "Globex and Initech both want SSO" is said of two customers: each file gets it. A company
/// whose name holds "and" stays one customer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sentence_about_two_customers() {
    let (_tmp, dir) = scratch();
    let store = local_store(&dir);
    let (text, tools) = say(
        &agent(&store, "Alice"),
        &mut Conversation::default(),
        "Globex and Initech both want SSO with Okta before the end of Q2.",
    )
    .await;
    assert_eq!(
        tools,
        [
            "view /memories",
            "create /memories/globex.md",
            "create /memories/initech.md"
        ],
        "{text}"
    );
    for file in ["globex.md", "initech.md"] {
        let body = std::fs::read_to_string(dir.join(file)).unwrap();
        assert!(
            body.contains("- Wants SSO with Okta (from Alice)"),
            "{body}"
        );
        assert!(
            !body.contains("Initech both") && !body.contains("And "),
            "{body}"
        );
    }
    let (text, tools) = say(
        &agent(&store, "Alice"),
        &mut Conversation::default(),
        "Marks and Spencer wants to move 300 stores to Azure.",
    )
    .await;
    assert!(
        tools.contains(&"create /memories/marks_and_spencer.md".to_owned()),
        "{tools:?}\n{text}"
    );
}

/// Documents asked for in other words (a high-level design, a one-pager, "turn … into a
/// proposal", "update the proposal") are written, and a request for work the model cannot do
/// is answered; none of them is kept as a fact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_asked_in_other_words() {
    let (_tmp, dir) = scratch();
    let store = local_store(&dir);
    check_turns(
        &store,
        &[
            (
                "Alice",
                "Quick recap from today's call with Globex: they run 120 Java apps on WebLogic, want to be on AWS by Q3 2027, budget is $3M.",
                &["/memories/globex.md"],
                &[],
            ),
            (
                "John",
                "John, can you put together a high-level design for Globex?",
                &["I saved it as /memories/globex_architecture.md"],
                &[],
            ),
            (
                "Sam",
                "Sam — draft a one-pager for Globex's exec sponsor.",
                &["I saved it as /memories/globex_proposal.md"],
                &["Updated /memories/globex.md"],
            ),
            (
                "Sam",
                "Sam — send the deck to Globex.",
                &["I can't send that here."],
                &["Updated"],
            ),
            ("Alice", "Globex's budget went up to $3.5M.", &["- Budget: $3.5M (was: Budget: $3M)"], &[]),
            (
                "Sam",
                "Update the proposal for Globex with the new budget.",
                &["Within your budget of $3.5M"],
                &["Updated /memories/globex.md"],
            ),
        ],
    )
    .await;
    let file = std::fs::read_to_string(dir.join("globex.md")).unwrap();
    for request in ["one-pager", "deck", "proposal", "design"] {
        assert!(
            !file.contains(request),
            "{request:?} kept as a fact:\n{file}"
        );
    }
}

/// A question about a document reads that document ("What did Sam propose?"); a question the
/// customer's notes answer is not answered again from the documents written from them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questions_read_the_file_that_answers_them() {
    let (_tmp, dir) = scratch();
    let store = local_store(&dir);
    check_turns(
        &store,
        &[
            (
                "Alice",
                "Quick recap from today's call with Globex: they run 120 Java apps on WebLogic, want to be on AWS by Q3 2027, budget is $3M, Hank Scorpio (CEO) signs off.",
                &["/memories/globex.md"],
                &[],
            ),
            ("John", "Design the architecture for Globex.", &["globex_architecture.md"], &[]),
            ("Sam", "Write the proposal for Globex.", &["globex_proposal.md"], &[]),
            (
                "Alice",
                "What did Sam propose for Globex?",
                &["From /memories/globex_proposal.md", "Walk through this proposal with Hank Scorpio"],
                &["From /memories/globex.md", "From /memories/globex_architecture.md"],
            ),
            (
                "Alice",
                "How many apps does Globex have?",
                &["**Apps**", "runs 120 Java apps on WebLogic (Alice)"],
                &["globex_architecture.md", "globex_proposal.md"],
            ),
            (
                "Sam",
                "Who signs off at Globex?",
                &["- Hank Scorpio (CEO) signs off (Alice)"],
                &["Approval:"],
            ),
        ],
    )
    .await;
}

/// A persona the presenter adds reviews John's design for security: the review names what the
/// design covers and the gaps (the customer's own rules and data residency included), is saved
/// for the team, and answers a question about the gaps; with no design yet it says whom to ask.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_security_review_of_the_design() {
    let (_tmp, dir) = scratch();
    let store = local_store(&dir);
    check_turns(
        &store,
        &[
            (
                "Alice",
                "Quick recap from today's call with Globex: they run 120 Java apps on WebLogic, want to be on AWS by Q3 2027, budget is $3M, data must stay in the EU. PCI DSS applies.",
                &["/memories/globex.md"],
                &[],
            ),
            (
                "Priya",
                "Review the Globex architecture for security gaps.",
                &["There is no architecture for Globex in memory yet to review; ask John"],
                &["Updated", "Saved"],
            ),
            ("John", "Design the architecture for Globex.", &["globex_architecture.md"], &[]),
            (
                "Priya",
                "Priya, do a security review of the Globex design.",
                &[
                    "# Security review: Globex: cloud migration architecture",
                    "Data residency: data stays in EU",
                    "PCI DSS: the customer must follow it",
                    "Encryption: encrypt data at rest",
                    "I saved the review as /memories/globex_security_review.md",
                ],
                &["Network boundaries: add"],
            ),
            (
                "Sam",
                "What gaps did Priya find for Globex?",
                &["From /memories/globex_security_review.md", "Secrets: keep credentials"],
                &["From /memories/globex_architecture.md"],
            ),
        ],
    )
    .await;
    let facts = std::fs::read_to_string(dir.join("globex.md")).unwrap();
    assert!(!facts.contains("Review"), "{facts}");
}
