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
        Self {
            entries: vec![
                ("claude-opus".to_owned(), price(15.0, 75.0)),
                ("claude-sonnet".to_owned(), price(3.0, 15.0)),
                ("claude-haiku".to_owned(), price(1.0, 5.0)),
            ],
        }
    }
}

impl PriceTable {
    /// The price of `model`, when a prefix in the table matches it.
    pub fn price(&self, model: &str) -> Option<Price> {
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
    }
}
