//! A namespace's keys (six, under one hash tag) and the Lua scripts: `scripts.lua` is the
//! prelude every command shares, `ops.lua` holds one section per command.

use std::collections::BTreeMap;

use redis::Script;

use crate::memory::Retention;

const PRELUDE: &str = include_str!("scripts.lua");
const OPS: &str = include_str!("ops.lua");

/// The keys of one namespace.
pub(super) struct Keys {
    pub(super) all: [String; 6],
}

impl Keys {
    pub(super) fn new(ns: &str) -> Self {
        let key = |part: &str| format!("mem:{{{ns}}}:{part}");
        Self {
            all: [
                key("content"),
                key("meta"),
                key("dirs"),
                key("seq"),
                key("log"),
                key("blobs"),
            ],
        }
    }

    pub(super) fn log(&self) -> &str {
        &self.all[4]
    }
}

/// The compiled scripts.
pub(super) struct Scripts {
    pub(super) node: Script,
    pub(super) read: Script,
    pub(super) list: Script,
    pub(super) save: Script,
    pub(super) delete: Script,
    pub(super) rename: Script,
    pub(super) restore_folder: Script,
    pub(super) siblings: Script,
}

impl Scripts {
    pub(super) fn load() -> Self {
        let prelude = PRELUDE.replace(
            "@KEEP_PER_PATH@",
            &Retention::default().keep_per_path.to_string(),
        );
        let mut bodies: BTreeMap<&str, String> = BTreeMap::new();
        for section in OPS.split("\n-- @").skip(1) {
            let name = section.split_whitespace().next().unwrap_or_default();
            // The body is a function so that the history's retention can run after any return.
            bodies.insert(
                name,
                format!(
                    "{prelude}\nlocal function body()\n-- @{section}\nend\n\
                     local reply = body()\nif retain_due then retain() end\nreturn reply\n"
                ),
            );
        }
        let script = |name: &str| Script::new(bodies.get(name).map_or("", String::as_str));
        Self {
            node: script("node"),
            read: script("read"),
            list: script("list"),
            save: script("save"),
            delete: script("delete"),
            rename: script("rename"),
            restore_folder: script("restore_folder"),
            siblings: script("siblings"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_script_is_there() {
        let scripts = Scripts::load();
        for s in [
            &scripts.node,
            &scripts.read,
            &scripts.list,
            &scripts.save,
            &scripts.delete,
            &scripts.rename,
            &scripts.restore_folder,
            &scripts.siblings,
        ] {
            assert_ne!(s.get_hash(), Script::new("").get_hash());
        }
    }
}
