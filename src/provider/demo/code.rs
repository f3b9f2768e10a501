//! The demo model's code review: it reads an attached program as code (functions, their
//! bodies, which of them take a lock) and finds the check-then-act race: a condition read
//! under a lock (or through a method that locks), the lock released, and the state changed
//! under a second acquisition. For Python it also writes the fix.

/// One function of the program.
#[derive(Debug)]
struct Function {
    name: String,
    /// The `def`/`fn` line's index.
    line: usize,
    /// Indices of the body's lines (blank lines included).
    body: std::ops::Range<usize>,
}

/// What the review found.
#[derive(Debug, PartialEq)]
pub struct Finding {
    /// The function with the race, e.g. `reserve`.
    pub function: String,
    /// The check, as written (trimmed), e.g. `if self.available(sku) < count:`.
    pub check: String,
    /// The locking method the check goes through, if any (`available`).
    pub helper: Option<String>,
    /// The first write made under the second acquisition.
    pub act: String,
    /// The fixed function(s), when the language is one the demo can rewrite (Python).
    pub fix: Option<String>,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Does this line take a lock?
fn locks(line: &str) -> bool {
    let t = line.trim();
    let low = t.to_lowercase();
    (t.starts_with("with ") && low.contains("lock"))
        || low.contains(".acquire(")
        || low.contains(".lock()")
        || low.contains("synchronized")
        || low.contains("mutex.lock")
}

/// Does this line change shared state (an assignment to `self.…`, an item, or a field)?
fn writes(line: &str) -> bool {
    let t = line.trim();
    let Some(at) = t.find(['=']) else {
        return false;
    };
    let bytes = t.as_bytes();
    let next = bytes.get(at + 1).copied();
    let prev = at.checked_sub(1).and_then(|p| bytes.get(p)).copied();
    if next == Some(b'=') || matches!(prev, Some(b'=' | b'!' | b'<' | b'>')) {
        return false;
    }
    let target = &t[..at];
    target.contains("self.") || target.contains('[') || target.contains("this.")
}

fn functions(lines: &[&str]) -> Vec<Function> {
    let mut out: Vec<Function> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let rest = ["def ", "async def ", "fn ", "pub fn ", "func ", "function "]
            .iter()
            .find_map(|k| t.strip_prefix(k));
        let Some(rest) = rest else { continue };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue;
        }
        let indent = indent_of(line);
        let mut end = i + 1;
        while end < lines.len() {
            let l = lines[end];
            if !l.trim().is_empty() && indent_of(l) <= indent && !l.trim_start().starts_with('}') {
                break;
            }
            end += 1;
        }
        out.push(Function {
            name,
            line: i,
            body: i + 1..end,
        });
    }
    out
}

/// Find the check-then-act race in a program, if it has one.
pub fn review(code: &str, lang: &str) -> Option<Finding> {
    let lines: Vec<&str> = code.lines().collect();
    let funcs = functions(&lines);
    let locking: Vec<&str> = funcs
        .iter()
        .filter(|f| f.body.clone().any(|i| locks(lines[i])))
        .map(|f| f.name.as_str())
        .collect();
    for f in &funcs {
        let body: Vec<usize> = f.body.clone().collect();
        // The first acquisition at the function's own level.
        let Some(pos) = body.iter().position(|&i| locks(lines[i])) else {
            continue;
        };
        let acquire = body[pos];
        let level = indent_of(lines[acquire]);
        let block: Vec<usize> = body[pos + 1..]
            .iter()
            .copied()
            .take_while(|&i| lines[i].trim().is_empty() || indent_of(lines[i]) > level)
            .collect();
        let Some(&act) = block.iter().find(|&&i| writes(lines[i])) else {
            continue;
        };
        // Before it, outside any lock: a call to a locking method, or state read for a
        // condition, that the `if` before the acquisition decides on.
        let before: Vec<usize> = body[..pos]
            .iter()
            .copied()
            .filter(|&i| !lines[i].trim().is_empty() && indent_of(lines[i]) == level)
            .collect();
        let calls = |line: &str| {
            locking
                .iter()
                .find(|name| **name != f.name && line.contains(&format!(".{name}(")))
                .map(|n| (*n).to_owned())
        };
        let Some(first_read) = before
            .iter()
            .position(|&i| calls(lines[i]).is_some() || lines[i].contains("self."))
        else {
            continue;
        };
        let Some(&check) = before[first_read..]
            .iter()
            .find(|&&i| lines[i].trim_start().starts_with("if "))
        else {
            continue;
        };
        let helper = before[first_read..].iter().find_map(|&i| calls(lines[i]));
        let fix = (lang.is_empty() || matches!(lang, "py" | "python"))
            .then(|| {
                python_fix(
                    &lines,
                    &funcs,
                    f,
                    before[first_read],
                    acquire,
                    &block,
                    helper.as_deref(),
                )
            })
            .flatten();
        return Some(Finding {
            function: f.name.clone(),
            check: lines[check].trim().to_owned(),
            helper,
            act: lines[act].trim().to_owned(),
            fix,
        });
    }
    None
}

/// The function rewritten to hold one lock across the check and the act; the locking helper
/// the check called gets an unlocked twin (a `threading.Lock` is not re-entrant).
fn python_fix(
    lines: &[&str],
    funcs: &[Function],
    f: &Function,
    check_from: usize,
    acquire: usize,
    block: &[usize],
    helper: Option<&str>,
) -> Option<String> {
    let level = indent_of(lines[acquire]);
    let step = block
        .iter()
        .map(|&i| lines[i])
        .find(|l| !l.trim().is_empty())
        .map(|l| indent_of(l).saturating_sub(level))
        .filter(|s| *s > 0)?;
    let pad = |n: usize| " ".repeat(n);
    let unlocked = helper.map(|h| format!("{}_unlocked", h.trim_start_matches('_')));
    let rename = |line: &str| match (helper, &unlocked) {
        (Some(h), Some(u)) => line.replace(&format!(".{h}("), &format!("._{u}(")),
        _ => line.to_owned(),
    };
    let mut out = String::new();
    if let (Some(h), Some(u)) = (helper, &unlocked) {
        let hf = funcs.iter().find(|g| g.name == h)?;
        let def = lines[hf.line].replacen(&format!("def {h}("), &format!("def _{u}("), 1);
        out.push_str(&def);
        out.push('\n');
        let mut dedent = 0;
        for i in hf.body.clone() {
            let l = lines[i];
            if locks(l) {
                dedent = step;
                continue;
            }
            if l.trim().is_empty() {
                out.push('\n');
                continue;
            }
            out.push_str(&pad(indent_of(l).saturating_sub(dedent)));
            out.push_str(l.trim_start());
            out.push('\n');
        }
        trim_blank_tail(&mut out);
        out.push_str("\n\n");
    }
    out.push_str(lines[f.line]);
    out.push('\n');
    for i in f.body.clone() {
        let l = lines[i];
        if i == check_from {
            out.push_str(&pad(level));
            out.push_str(lines[acquire].trim_start());
            out.push('\n');
        }
        if i == acquire {
            continue;
        }
        if l.trim().is_empty() {
            out.push('\n');
            continue;
        }
        let deeper = (check_from..acquire).contains(&i);
        let extra = if deeper { step } else { 0 };
        out.push_str(&pad(indent_of(l) + extra));
        out.push_str(&rename(l.trim_start()));
        out.push('\n');
    }
    trim_blank_tail(&mut out);
    Some(out)
}

fn trim_blank_tail(out: &mut String) {
    while out.ends_with("\n\n") {
        out.pop();
    }
    if out.ends_with('\n') {
        out.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVENTORY: &str = include_str!("../../../assets/demos/code-review/inventory.py");
    const LIMITER: &str = include_str!("../../../assets/demos/code-review/rate_limiter.py");

    #[test]
    fn finds_the_race_in_the_inventory() {
        let f = review(INVENTORY, "py").unwrap();
        assert_eq!(f.function, "reserve");
        assert_eq!(f.check, "if self.available(sku) < count:");
        assert_eq!(f.helper.as_deref(), Some("available"));
        assert_eq!(f.act, "self._stock[sku] -= count");
        let fix = f.fix.unwrap();
        assert!(
            fix.contains(
                "    def _available_unlocked(self, sku):\n        return self._stock.get(sku, 0)\n"
            ),
            "{fix}"
        );
        assert!(
            fix.contains("        with self._lock:\n            if self._available_unlocked(sku) < count:\n                return False\n            self._stock[sku] -= count\n        return True"),
            "{fix}"
        );
    }

    #[test]
    fn finds_the_race_in_the_rate_limiter() {
        let f = review(LIMITER, "py").unwrap();
        assert_eq!(f.function, "allow");
        assert_eq!(f.check, "if count >= self.per_minute:");
        assert_eq!(f.helper.as_deref(), Some("_count"));
        let fix = f.fix.unwrap();
        assert!(
            fix.contains("        now = time.monotonic()\n        with self._lock:\n            start, count = self._count_unlocked(client, now)\n"),
            "{fix}"
        );
    }

    #[test]
    fn correct_code_has_no_finding() {
        let safe = "class A:\n    def take(self, n):\n        with self._lock:\n            if self._n < n:\n                return False\n            self._n -= n\n        return True\n";
        assert_eq!(review(safe, "py"), None);
    }
}
