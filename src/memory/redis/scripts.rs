//! A namespace's keys (fifteen, under one hash tag) and the Lua scripts: `scripts.lua` is the
//! prelude every command shares (the key layout, the tree index, the history's retention),
//! `ops.lua` holds one section per command.

use std::collections::BTreeMap;

use redis::Script;

use crate::memory::Retention;

const PRELUDE: &str = include_str!("scripts.lua");
const OPS: &str = include_str!("ops.lua");

/// The version of the key layout the scripts expect (1: before the tree index, the per-path
/// history counts and the versions' reference counts). A namespace without it is upgraded
/// when a store opens it; one with another is refused.
pub(super) const LAYOUT: &str = "2";

/// The keys of one namespace, in the order the scripts declare them.
pub(super) struct Keys {
    pub(super) all: [String; 15],
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
                key("tree"),
                key("hist"),
                key("refs"),
                key("state"),
                key("shield"),
                key("lease:"),
                key("fences"),
                key("leased"),
                key("events"),
            ],
        }
    }

    pub(super) fn log(&self) -> &str {
        &self.all[4]
    }

    pub(super) fn blobs(&self) -> &str {
        &self.all[5]
    }

    pub(super) fn events(&self) -> &str {
        &self.all[14]
    }
}

/// The compiled scripts.
pub(super) struct Scripts {
    pub(super) node: Script,
    pub(super) read: Script,
    pub(super) children: Script,
    pub(super) save: Script,
    pub(super) delete: Script,
    pub(super) rename: Script,
    pub(super) restore_folder: Script,
    pub(super) batch: Script,
    pub(super) acquire: Script,
    pub(super) renew: Script,
    pub(super) release: Script,
    pub(super) leases: Script,
    pub(super) expiring: Script,
    pub(super) import: Script,
    pub(super) survey: Script,
    pub(super) upgrade: Script,
}

impl Scripts {
    pub(super) fn load() -> Self {
        let prelude = PRELUDE
            .replace(
                "@KEEP_PER_PATH@",
                &Retention::default().keep_per_path.to_string(),
            )
            .replace("@LAYOUT@", LAYOUT);
        let mut bodies: BTreeMap<&str, String> = BTreeMap::new();
        for section in OPS.split("\n-- @").skip(1) {
            let name = section
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next()
                .unwrap_or_default();
            // Every command but these two refuses a namespace laid out otherwise.
            let check = if matches!(name, "survey" | "upgrade") {
                ""
            } else {
                "local layout = redis.call('HGET', state, 'layout')\n\
                 if layout ~= LAYOUT then return {'layout', layout or ''} end\n"
            };
            // The body is a function so that the history's pruning can run after any return.
            bodies.insert(
                name,
                format!(
                    "{prelude}\nlocal function body()\n-- @{section}\nend\n{check}\
                     local reply = body()\nif wrote then prune_step() end\nreturn reply\n"
                ),
            );
        }
        let script = |name: &str| Script::new(bodies.get(name).map_or("", String::as_str));
        Self {
            node: script("node"),
            read: script("read"),
            children: script("children"),
            save: script("save"),
            delete: script("delete"),
            rename: script("rename"),
            restore_folder: script("restore_folder"),
            batch: script("batch"),
            acquire: script("acquire"),
            renew: script("renew"),
            release: script("release"),
            leases: script("leases"),
            expiring: script("expiring"),
            import: script("import"),
            survey: script("survey"),
            upgrade: script("upgrade"),
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
            &scripts.children,
            &scripts.save,
            &scripts.delete,
            &scripts.rename,
            &scripts.restore_folder,
            &scripts.batch,
            &scripts.acquire,
            &scripts.renew,
            &scripts.release,
            &scripts.leases,
            &scripts.expiring,
            &scripts.import,
            &scripts.survey,
            &scripts.upgrade,
        ] {
            assert_ne!(s.get_hash(), Script::new("").get_hash());
        }
    }
}
