//! What tokens cost: a price table (USD per million tokens) by model-name prefix, with
//! defaults for the current Claude families that the configuration can change.

/// Prices of one model family, in US dollars per million tokens.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Price {
    pub input: f64,
    pub output: f64,
    pub cache_read: f64,
}

/// Prices by model-name prefix; the longest prefix that matches wins.
#[derive(Clone, Debug, PartialEq)]
pub struct PriceTable {
    pub entries: Vec<(String, Price)>,
}

impl Default for PriceTable {
    /// List prices of the Claude families at the time of this release; set `[prices]` in the
    /// configuration for your own.
    fn default() -> Self {
        let price = |input: f64, output: f64| Price {
            input,
            output,
            cache_read: input / 10.0,
        };
        // Anthropic's price list (platform.claude.com/docs/en/about-claude/pricing, 2026-09):
        // a family's newest known price stands for models released after it until the list
        // says otherwise (`claude-opus-5` covers `claude-opus-5-5`).
        let table: &[(&str, Price)] = &[
            ("claude-fable-5", price(10.0, 50.0)),
            ("claude-mythos", price(10.0, 50.0)),
            (
                "claude-fable-5-1",
                Price {
                    cache_read: 0.25,
                    ..price(10.0, 50.0)
                },
            ),
            (
                "claude-mythos-5-1",
                Price {
                    cache_read: 0.25,
                    ..price(10.0, 50.0)
                },
            ),
            ("claude-opus", price(5.0, 25.0)),
            ("claude-opus-4", price(15.0, 75.0)),
            ("claude-opus-4-5", price(5.0, 25.0)),
            ("claude-opus-4-6", price(5.0, 25.0)),
            ("claude-opus-4-7", price(5.0, 25.0)),
            ("claude-opus-4-8", price(5.0, 25.0)),
            ("claude-sonnet", price(3.0, 15.0)),
            ("claude-sonnet-5", price(2.0, 10.0)),
            ("claude-haiku", price(1.0, 5.0)),
            ("claude-3-5-haiku", price(0.8, 4.0)),
        ];
        Self {
            entries: table
                .iter()
                .map(|(p, price)| ((*p).to_owned(), *price))
                .collect(),
        }
    }
}

impl PriceTable {
    /// The price of `model`, when a prefix in the table matches it.
    pub fn price(&self, model: &str) -> Option<Price> {
        // Bedrock ids name the model after a provider prefix:
        // `global.anthropic.claude-sonnet-4-5-20250929-v1:0`.
        let model = model
            .rsplit_once("anthropic.")
            .map_or(model, |(_, name)| name);
        self.entries
            .iter()
            .filter(|(prefix, _)| model.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, price)| *price)
    }

    /// Set or replace the price of a prefix.
    pub fn set(&mut self, prefix: &str, price: Price) {
        self.entries.retain(|(p, _)| p != prefix);
        self.entries.push((prefix.to_owned(), price));
    }
}

/// Tokens of some conversation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tokens {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
}

impl Price {
    /// What `tokens` cost, in US dollars.
    #[allow(clippy::cast_precision_loss)]
    pub fn of(self, tokens: Tokens) -> f64 {
        (tokens.input as f64 * self.input
            + tokens.output as f64 * self.output
            + tokens.cache_read as f64 * self.cache_read)
            / 1_000_000.0
    }

    /// What `tokens` input tokens cost (what context editing saved).
    #[allow(clippy::cast_precision_loss)]
    pub fn of_input(self, tokens: u64) -> f64 {
        tokens as f64 * self.input / 1_000_000.0
    }
}

/// The prices and the model a tab uses when it picked none: what a saved session's cost is
/// reckoned with.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pricing {
    pub table: PriceTable,
    /// The configured model.
    pub model: String,
    /// The offline demo model answered: nothing was billed, whatever the model's price.
    pub free: bool,
}

/// What one tab used.
#[derive(Clone, Debug, PartialEq)]
pub struct TabUsage<'a> {
    pub persona: &'a str,
    /// The tab's own model, when it picked one.
    pub model: Option<&'a str>,
    pub tokens: Tokens,
    /// Input tokens context editing cleared.
    pub saved: u64,
}

impl Pricing {
    /// Cost lines for a session: one per tab, the total, and what context editing saved
    /// (when it saved anything). Tabs whose model has no price show their tokens only.
    pub fn report(&self, tabs: &[TabUsage<'_>]) -> Vec<String> {
        if self.free {
            return Self::free_report(tabs);
        }
        let mut lines = Vec::with_capacity(tabs.len() + 2);
        let mut total = 0.0;
        let mut saved_cost = 0.0;
        let mut unpriced = 0;
        let mut sum = Tokens::default();
        let mut saved = 0;
        for tab in tabs {
            let model = tab.model.unwrap_or(&self.model);
            let used = used(tab.tokens);
            sum.input += tab.tokens.input;
            sum.output += tab.tokens.output;
            sum.cache_read += tab.tokens.cache_read;
            saved += tab.saved;
            match self.table.price(model) {
                Some(price) => {
                    let cost = price.of(tab.tokens);
                    total += cost;
                    saved_cost += price.of_input(tab.saved);
                    lines.push(format!(
                        "{}: ≈{} ({used}; {model})",
                        tab.persona,
                        dollars(cost)
                    ));
                }
                None => {
                    unpriced += 1;
                    lines.push(format!("{}: {used} ({model} has no price)", tab.persona));
                }
            }
        }
        let all = used(sum);
        lines.push(match unpriced {
            0 => format!("Total: ≈{} ({all})", dollars(total)),
            n if n == tabs.len() => format!("Total: {all}"),
            n => format!(
                "Total: ≈{} ({all}; {n} tab(s) without a price not counted)",
                dollars(total)
            ),
        });
        if saved > 0 {
            let money = if unpriced < tabs.len() {
                format!("≈{}, ", dollars(saved_cost))
            } else {
                String::new()
            };
            lines.push(format!(
                "Saved by context editing: {money}{} input tokens cleared",
                thousands(saved)
            ));
        }
        lines
    }

    /// The demo model's report: the tokens it pretended to use, and that nothing was billed.
    fn free_report(tabs: &[TabUsage<'_>]) -> Vec<String> {
        let mut lines = Vec::with_capacity(tabs.len() + 1);
        let mut sum = Tokens::default();
        for tab in tabs {
            sum.input += tab.tokens.input;
            sum.output += tab.tokens.output;
            sum.cache_read += tab.tokens.cache_read;
            lines.push(format!(
                "{}: {} (demo model: no cost)",
                tab.persona,
                used(tab.tokens)
            ));
        }
        lines.push(format!(
            "Total: {}; the offline demo model costs nothing",
            used(sum)
        ));
        lines
    }
}

/// Tokens as the cost lines say them: "1,041 in, 84 out" (cache reads count as input).
fn used(tokens: Tokens) -> String {
    format!(
        "{} in, {} out",
        thousands(tokens.input + tokens.cache_read),
        thousands(tokens.output)
    )
}

/// A number with thousands separators: 4512 -> "4,512".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Dollars as people read them: `$0.0042`, `$0.12`, `$12.50`.
pub fn dollars(amount: f64) -> String {
    if amount > 0.0 && amount < 0.01 {
        format!("${amount:.4}")
    } else {
        format!("${amount:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::float_cmp)]
    fn the_longest_prefix_wins_and_costs_add_up() {
        let mut table = PriceTable::default();
        assert_eq!(table.price("claude-sonnet-4-5").map(|p| p.input), Some(3.0));
        assert_eq!(table.price("gpt-9"), None);
        assert_eq!(
            table
                .price("global.anthropic.claude-haiku-4-5-20251001-v1:0")
                .map(|p| p.input),
            Some(1.0)
        );
        table.set(
            "claude-sonnet-4-5",
            Price {
                input: 2.0,
                output: 10.0,
                cache_read: 0.2,
            },
        );
        let p = table.price("claude-sonnet-4-5-20250929").unwrap_or(Price {
            input: 0.0,
            output: 0.0,
            cache_read: 0.0,
        });
        assert_eq!(p.input, 2.0);
        let cost = p.of(Tokens {
            input: 1_000_000,
            output: 100_000,
            cache_read: 500_000,
        });
        assert!((cost - 3.1).abs() < 1e-9, "{cost}");
        assert_eq!(dollars(0.00417), "$0.0042");
        assert_eq!(dollars(3.1), "$3.10");
        assert_eq!(dollars(0.0), "$0.00");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn a_report_per_tab_with_total_and_savings() {
        let pricing = Pricing {
            table: PriceTable::default(),
            model: "claude-sonnet-4-5".to_owned(),
            free: false,
        };
        let tokens = |input, output| Tokens {
            input,
            output,
            cache_read: 0,
        };
        let tabs = [
            TabUsage {
                persona: "Alice",
                model: None,
                tokens: tokens(100_000, 10_000),
                saved: 20_000,
            },
            TabUsage {
                persona: "John",
                model: Some("claude-haiku-4-5"),
                tokens: tokens(1_000_000, 0),
                saved: 0,
            },
            TabUsage {
                persona: "Sam",
                model: Some("local-llama"),
                tokens: tokens(5, 6),
                saved: 0,
            },
        ];
        assert_eq!(
            pricing.report(&tabs),
            [
                "Alice: ≈$0.45 (100,000 in, 10,000 out; claude-sonnet-4-5)",
                "John: ≈$1.00 (1,000,000 in, 0 out; claude-haiku-4-5)",
                "Sam: 5 in, 6 out (local-llama has no price)",
                "Total: ≈$1.45 (1,100,005 in, 10,006 out; 1 tab(s) without a price not counted)",
                "Saved by context editing: ≈$0.06, 20,000 input tokens cleared",
            ]
        );
        assert_eq!(pricing.report(&[]), ["Total: ≈$0.00 (0 in, 0 out)"]);
    }
}

#[cfg(test)]
mod price_list {
    use super::*;

    /// The default table against the published list: each model id, its input, output and
    /// cache-read price.
    #[test]
    fn todays_models_cost_what_the_list_says() {
        let table = PriceTable::default();
        for (model, input, output, cache) in [
            ("claude-opus-5", 5.0, 25.0, 0.5),
            ("claude-opus-4-8", 5.0, 25.0, 0.5),
            ("claude-opus-4-5-20251101", 5.0, 25.0, 0.5),
            ("claude-opus-4-1-20250805", 15.0, 75.0, 1.5),
            ("claude-opus-4-0", 15.0, 75.0, 1.5),
            ("claude-sonnet-5", 2.0, 10.0, 0.2),
            ("claude-sonnet-4-6", 3.0, 15.0, 0.3),
            ("claude-sonnet-4-5-20250929", 3.0, 15.0, 0.3),
            ("claude-haiku-4-5", 1.0, 5.0, 0.1),
            ("claude-3-5-haiku-latest", 0.8, 4.0, 0.08),
            ("claude-fable-5", 10.0, 50.0, 1.0),
            ("claude-fable-5-1", 10.0, 50.0, 0.25),
            ("claude-mythos-5-1", 10.0, 50.0, 0.25),
            (
                "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
                3.0,
                15.0,
                0.3,
            ),
        ] {
            let p = table.price(model).unwrap();
            assert!(
                (p.input - input).abs() < 1e-9
                    && (p.output - output).abs() < 1e-9
                    && (p.cache_read - cache).abs() < 1e-9,
                "{model}: {p:?}"
            );
        }
        assert_eq!(table.price("gpt-4o"), None);
    }
}
