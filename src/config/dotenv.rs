//! `.env`: `NAME=value` lines, as most tools write them. `#` starts a comment line (or, after
//! a space, a comment at the end of an unquoted value); `export ` in front is allowed;
//! 'single quotes' keep everything, "double quotes" understand \n, \t, \" and \\.

use std::collections::HashMap;
use std::path::Path;

use super::ConfigError;

/// The variables in the `.env` file at `path`; none when there is no file.
pub fn read(path: &Path) -> Result<HashMap<String, String>, ConfigError> {
    let Some(bytes) = super::file::read_plain_file(path)? else {
        return Ok(HashMap::new());
    };
    let text = String::from_utf8(bytes)
        .map_err(|_| ConfigError(format!("{}: not UTF-8 text", path.display())))?;
    parse(&text)
        .map_err(|(line, what)| ConfigError(format!("{}, line {line}: {what}", path.display())))
}

/// Parse `.env` text; an error carries the line number.
pub fn parse(text: &str) -> Result<HashMap<String, String>, (usize, String)> {
    let mut vars = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let at = i + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some((name, value)) = line.split_once('=') else {
            return Err((at, "expected NAME=value".to_owned()));
        };
        let name = name.trim_end();
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err((
                at,
                format!("{name:?} is not a variable name (letters, digits, _)"),
            ));
        }
        let value = value.trim_start();
        let value = if let Some(rest) = value.strip_prefix('\'') {
            let end = rest
                .find('\'')
                .ok_or((at, "the ' quote is not closed".to_owned()))?;
            rest[..end].to_owned()
        } else if let Some(rest) = value.strip_prefix('"') {
            unescape(rest).ok_or((at, "the \" quote is not closed".to_owned()))?
        } else {
            let end = value.find(" #").unwrap_or(value.len());
            value[..end].trim_end().to_owned()
        };
        vars.insert(name.to_owned(), value);
    }
    Ok(vars)
}

/// The text up to the closing double quote, escapes applied; `None` when it is not closed.
fn unescape(rest: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_forms() {
        let vars = parse(
            "# keys\nANTHROPIC_API_KEY=sk-ant-xyz\nexport MEMDECK_DEMO_SPEED = 30 # fast\n\
             A='x # y'\nB=\"line\\nnext \\\"q\\\"\"\nEMPTY=\n",
        )
        .unwrap_or_default();
        assert_eq!(vars["ANTHROPIC_API_KEY"], "sk-ant-xyz");
        assert_eq!(vars["MEMDECK_DEMO_SPEED"], "30");
        assert_eq!(vars["A"], "x # y");
        assert_eq!(vars["B"], "line\nnext \"q\"");
        assert_eq!(vars["EMPTY"], "");
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(
            parse("A=1\nnot a line\n"),
            Err((2, "expected NAME=value".to_owned()))
        );
        assert_eq!(
            parse("A=1\n\nB=\"open\n"),
            Err((3, "the \" quote is not closed".to_owned()))
        );
        assert!(parse("1A=x").is_err());
    }
}
