//! The memory tool's input, parsed from the JSON the model sends.
//!
//! Field names follow `memory_20250818`. Parsing is by hand rather than with serde derive so that
//! a missing or mistyped field gets an error that names it and says what was expected.

use serde_json::{Map, Value};

/// One memory tool call. Paths are kept as the model wrote them: results echo them verbatim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ToolCommand {
    View {
        path: String,
        view_range: Option<(i64, i64)>,
    },
    Create {
        path: String,
        file_text: String,
    },
    StrReplace {
        path: String,
        old_str: String,
        new_str: String,
    },
    Insert {
        path: String,
        insert_line: i64,
        insert_text: String,
    },
    Delete {
        path: String,
    },
    Rename {
        old_path: String,
        new_path: String,
    },
}

pub const COMMAND_NAMES: &str = "view, create, str_replace, insert, delete, rename";

impl ToolCommand {
    /// The command's name as the model writes it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::View { .. } => "view",
            Self::Create { .. } => "create",
            Self::StrReplace { .. } => "str_replace",
            Self::Insert { .. } => "insert",
            Self::Delete { .. } => "delete",
            Self::Rename { .. } => "rename",
        }
    }

    /// Parse a tool input object. The error is the text the model gets back.
    pub fn from_json(input: &Value) -> Result<Self, String> {
        let Value::Object(map) = input else {
            return Err(format!(
                "The memory tool input must be a JSON object, got {}",
                type_name(input)
            ));
        };
        let name = match map.get("command") {
            None | Some(Value::Null) => {
                return Err(format!(
                    "Missing required field `command`; expected one of {COMMAND_NAMES}"
                ));
            }
            Some(Value::String(s)) => s.as_str(),
            Some(other) => {
                return Err(format!(
                    "Field `command` must be a string, got {}",
                    type_name(other)
                ));
            }
        };
        let f = Fields { map, command: name };
        Ok(match name {
            "view" => Self::View {
                path: f.string("path")?,
                view_range: f.view_range()?,
            },
            "create" => Self::Create {
                path: f.string("path")?,
                file_text: f.string("file_text")?,
            },
            "str_replace" => Self::StrReplace {
                path: f.string("path")?,
                old_str: f.string("old_str")?,
                // The docs allow leaving `new_str` out to delete `old_str`.
                new_str: f.optional_string("new_str")?.unwrap_or_default(),
            },
            "insert" => Self::Insert {
                path: f.string("path")?,
                insert_line: f.integer("insert_line")?,
                insert_text: f.string("insert_text")?,
            },
            "delete" => Self::Delete {
                path: f.string("path")?,
            },
            "rename" => Self::Rename {
                old_path: f.string("old_path")?,
                new_path: f.string("new_path")?,
            },
            other => {
                return Err(format!(
                    "Unknown command: {other}. Valid commands are {COMMAND_NAMES}"
                ));
            }
        })
    }
}

struct Fields<'a> {
    map: &'a Map<String, Value>,
    command: &'a str,
}

impl Fields<'_> {
    fn missing(&self, field: &str) -> String {
        format!(
            "Missing required field `{field}` for the `{}` command",
            self.command
        )
    }

    fn optional_string(&self, field: &str) -> Result<Option<String>, String> {
        match self.map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!(
                "Field `{field}` must be a string, got {}",
                type_name(other)
            )),
        }
    }

    fn string(&self, field: &str) -> Result<String, String> {
        self.optional_string(field)?
            .ok_or_else(|| self.missing(field))
    }

    fn integer(&self, field: &str) -> Result<i64, String> {
        match self.map.get(field) {
            None | Some(Value::Null) => Err(self.missing(field)),
            Some(Value::Number(n)) => n
                .as_i64()
                .ok_or_else(|| format!("Field `{field}` must be a whole number, got {n}")),
            Some(other) => Err(format!(
                "Field `{field}` must be a whole number, got {}",
                type_name(other)
            )),
        }
    }

    fn view_range(&self) -> Result<Option<(i64, i64)>, String> {
        let bad = || {
            "Field `view_range` must be two whole numbers [start, end] (end -1 means the end of \
             the file)"
                .to_owned()
        };
        match self.map.get("view_range") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) if items.len() == 2 => {
                match (items[0].as_i64(), items[1].as_i64()) {
                    (Some(a), Some(b)) => Ok(Some((a, b))),
                    _ => Err(bad()),
                }
            }
            Some(_) => Err(bad()),
        }
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_every_command() {
        assert_eq!(
            ToolCommand::from_json(
                &json!({"command":"view","path":"/memories","view_range":[1,-1]})
            ),
            Ok(ToolCommand::View {
                path: "/memories".into(),
                view_range: Some((1, -1))
            })
        );
        assert_eq!(
            ToolCommand::from_json(
                &json!({"command":"str_replace","path":"/memories/a","old_str":"x"})
            ),
            Ok(ToolCommand::StrReplace {
                path: "/memories/a".into(),
                old_str: "x".into(),
                new_str: String::new()
            })
        );
        assert!(
            ToolCommand::from_json(&json!({"command":"rename","old_path":"a","new_path":"b"}))
                .is_ok()
        );
    }

    #[test]
    fn errors_name_the_field() {
        let err = |v| ToolCommand::from_json(&v).unwrap_err();
        assert_eq!(
            err(json!({"command":"create","path":"/memories/a"})),
            "Missing required field `file_text` for the `create` command"
        );
        assert_eq!(
            err(
                json!({"command":"insert","path":"/memories/a","insert_line":"2","insert_text":"x"})
            ),
            "Field `insert_line` must be a whole number, got a string"
        );
        assert_eq!(
            err(
                json!({"command":"insert","path":"/memories/a","insert_line":1.5,"insert_text":"x"})
            ),
            "Field `insert_line` must be a whole number, got 1.5"
        );
        assert_eq!(
            err(json!({"path":"/memories"})),
            "Missing required field `command`; expected one of view, create, str_replace, insert, delete, rename"
        );
        assert_eq!(
            err(json!({"command":"frobnicate"})),
            "Unknown command: frobnicate. Valid commands are view, create, str_replace, insert, delete, rename"
        );
        assert_eq!(
            err(json!(["view"])),
            "The memory tool input must be a JSON object, got an array"
        );
        assert!(
            err(json!({"command":"view","path":"/memories","view_range":[1]}))
                .contains("view_range")
        );
        assert_eq!(
            err(json!({"command":"view","path":7})),
            "Field `path` must be a string, got a number"
        );
    }
}
