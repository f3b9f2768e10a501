//! The memory panel as state: the store's tree, what is selected and open, recent changes.
//!
//! The tree is a flat list of rows in the store's order (depth-first, sorted by name), listed
//! again whenever the store changes. Rows below a folded folder are hidden, not removed, so
//! folding costs nothing and survives a reload.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use super::action::TreeRow;
use crate::memory::FileText;

/// How long a changed file is highlighted.
pub const FLASH: Duration = Duration::from_millis(1500);
/// How long a delete can be undone from the panel.
pub const UNDO_WINDOW: Duration = Duration::from_secs(8);

/// The file shown under the tree.
#[derive(Debug)]
pub struct OpenFile {
    pub path: String,
    /// `None` while it loads.
    pub content: Option<Result<FileText, String>>,
    /// First line shown.
    pub scroll: usize,
    /// A search hit's line (from 1): the viewer shows it (until the person scrolls).
    pub focus_line: Option<usize>,
    /// The first row the viewer showed at the last frame.
    pub shown_top: std::cell::Cell<usize>,
}

impl OpenFile {
    /// `path`, its text still to come.
    pub fn loading(path: String) -> Self {
        Self {
            path,
            content: None,
            scroll: 0,
            focus_line: None,
            shown_top: std::cell::Cell::new(0),
        }
    }

    /// The person scrolls: from where the viewer is now (also when a search hit placed it).
    pub fn scroll_to(&mut self, rows: impl FnOnce(usize) -> usize) {
        if self.focus_line.take().is_some() {
            self.scroll = self.shown_top.get();
        }
        self.scroll = rows(self.scroll);
    }
}

/// A message at the bottom of the panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
    /// When it was first on screen (set by the first tick after it was said).
    pub since: Option<Instant>,
}

/// How long a panel notice stays up.
pub const NOTICE_FOR: std::time::Duration = std::time::Duration::from_secs(6);

/// The panel's state.
#[derive(Debug, Default)]
pub struct Panel {
    pub rows: Vec<TreeRow>,
    /// `None` until the first listing arrives; then `Some(Err)` when it failed.
    pub listing_error: Option<String>,
    pub loaded: bool,
    /// A listing was asked for and has not arrived; `relist` asks for one more after it.
    pub listing: bool,
    pub relist: bool,
    /// Paths changed since the tree was read, and who changed them: looked at again (not the
    /// whole store listed) once the listing or refresh under way has arrived.
    pub stale: HashMap<String, String>,
    /// The paths of the refresh under way, and who changed them.
    pub refreshing: Option<HashMap<String, String>>,
    pub folded: HashSet<String>,
    pub selected: Option<String>,
    pub open: Option<OpenFile>,
    /// Paths changed recently, for the flash.
    pub flashes: HashMap<String, Instant>,
    pub notice: Option<Notice>,
    /// The last delete, which `u` can undo until the instant.
    pub undo: Option<(String, Instant)>,
    /// `e` was pressed on a file that was not loaded yet: edit it when it arrives.
    pub edit_when_loaded: Option<String>,
    /// The task board (`b`): shown instead of the tree, its tasks, the selected one, and why it
    /// could not be read.
    pub board_shown: bool,
    pub board: Vec<crate::memory::board::Task>,
    pub board_selected: usize,
    pub board_error: Option<String>,
    /// The search's results: for which query, and the files found (or why not).
    pub found: Option<(String, Result<Vec<crate::app::find::FoundFile>, String>)>,
}

impl Panel {
    /// The search's hits, as the results list shows them (none before the results arrive).
    pub fn found_hits(&self) -> Vec<crate::app::find::PanelHit> {
        match &self.found {
            Some((_, Ok(files))) => crate::app::find::panel_hits(files),
            _ => Vec::new(),
        }
    }

    /// Rows not hidden by a folded folder, with their index in `rows`.
    pub fn visible(&self) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.rows.len());
        let mut hidden_under: Option<&str> = None;
        for (i, row) in self.rows.iter().enumerate() {
            if let Some(dir) = hidden_under {
                if is_under(&row.path, dir) {
                    continue;
                }
                hidden_under = None;
            }
            out.push(i);
            if row.is_dir && self.folded.contains(&row.path) {
                hidden_under = Some(&row.path);
            }
        }
        out
    }

    pub fn selected_row(&self) -> Option<&TreeRow> {
        let path = self.selected.as_ref()?;
        self.rows.iter().find(|r| &r.path == path)
    }

    /// Move the selection `by` visible rows.
    pub fn move_selection(&mut self, by: isize) {
        let visible = self.visible();
        if visible.is_empty() {
            self.selected = None;
            return;
        }
        let current = self
            .selected
            .as_ref()
            .and_then(|p| visible.iter().position(|&i| &self.rows[i].path == p));
        let next = match current {
            None => 0,
            Some(at) => at
                .saturating_add_signed(by)
                .min(visible.len().saturating_sub(1)),
        };
        self.selected = Some(self.rows[visible[next]].path.clone());
    }

    /// A new listing: keep the selection if it is still there (else the row at its place).
    pub fn set_rows(&mut self, rows: Vec<TreeRow>) {
        let old_position = self.selected_position();
        self.rows = rows;
        self.loaded = true;
        self.listing_error = None;
        self.settle(old_position);
    }

    fn selected_position(&self) -> Option<usize> {
        let path = self.selected.as_ref()?;
        self.rows.iter().position(|r| &r.path == path)
    }

    /// After the rows changed: a selection whose row went moves to the row now at its place
    /// (`old_position`), and folded folders that went are forgotten.
    fn settle(&mut self, old_position: Option<usize>) {
        if self.selected_row().is_none() {
            self.selected = old_position
                .and_then(|at| self.rows.get(at.min(self.rows.len().saturating_sub(1))))
                .map(|r| r.path.clone());
        }
        self.folded
            .retain(|dir| self.rows.iter().any(|r| r.is_dir && &r.path == dir));
    }

    /// Put what changed paths hold now in place of their rows: for each path, its own row and
    /// its descendants' (none when it is gone), and who changed it. The selection stays on its
    /// path when that is still there (a rename's new name included), else at its place.
    pub fn patch(&mut self, changed: Vec<(String, Vec<TreeRow>, String)>, at_ms: u64) {
        let old_position = self.selected_position();
        for (path, rows, actor) in changed {
            self.patch_one(&path, rows, &actor, at_ms);
        }
        self.settle(old_position);
    }

    /// One path's rows replaced: folders above a new path that have no row yet get one; rows
    /// that stay keep who changed them, the changed path's own row says `actor` at `at_ms`.
    fn patch_one(&mut self, path: &str, rows: Vec<TreeRow>, actor: &str, at_ms: u64) {
        let below = |p: &str| p == path || p.strip_prefix(path).is_some_and(|r| r.starts_with('/'));
        // The path and what is below it are one run of rows, where the path would stand: found
        // by halving, so a burst of changes (a big folder deleted) costs no scan per path.
        let start = self.place(path);
        let end = start
            + self.rows[start..]
                .iter()
                .take_while(|r| below(&r.path))
                .count();
        let before: HashMap<String, TreeRow> = self
            .rows
            .drain(start..end)
            .map(|r| (r.path.clone(), r))
            .collect();
        if !rows.is_empty() {
            // Folders on the way that the tree does not show yet.
            let mut up = path;
            while let Some((parent, _)) = up.rsplit_once('/') {
                if parent.len() <= "/memories".len() {
                    break;
                }
                if self
                    .rows
                    .get(self.place(parent))
                    .is_none_or(|r| r.path != parent)
                {
                    self.insert(TreeRow {
                        path: parent.to_owned(),
                        is_dir: true,
                        size: 0,
                        actor: Some(actor.to_owned()),
                        changed_ms: Some(at_ms),
                    });
                }
                up = parent;
            }
        }
        for mut row in rows {
            if row.path == path {
                row.actor = Some(actor.to_owned());
                row.changed_ms = Some(at_ms);
            } else if let Some(old) = before.get(&row.path) {
                row.actor.clone_from(&old.actor);
                row.changed_ms = old.changed_ms;
            }
            self.insert(row);
        }
    }

    /// Where `path`'s row is, or would go, in the store's order.
    fn place(&self, path: &str) -> usize {
        self.rows
            .partition_point(|r| r.path.split('/').lt(path.split('/')))
    }

    /// Add a row where the store's order puts it (depth first, each folder's children by name).
    fn insert(&mut self, row: TreeRow) {
        let at = self.place(&row.path);
        match self.rows.get(at) {
            Some(there) if there.path == row.path => self.rows[at] = row,
            _ => self.rows.insert(at, row),
        }
    }

    /// Forget flashes and undo windows that are over. Returns whether anything changed.
    pub fn expire(&mut self, now: Instant) -> bool {
        let before = self.flashes.len();
        self.flashes
            .retain(|_, at| now.saturating_duration_since(*at) < FLASH);
        let undo_over = self.undo.as_ref().is_some_and(|(_, at)| now >= *at);
        if undo_over {
            self.undo = None;
        }
        let mut notice_over = false;
        if let Some(notice) = &mut self.notice {
            let since = *notice.since.get_or_insert(now);
            if now.saturating_duration_since(since) >= NOTICE_FOR {
                self.notice = None;
                notice_over = true;
            }
        }
        before != self.flashes.len() || undo_over || notice_over
    }

    /// Whether something in the panel changes with time alone.
    pub fn is_animating(&self) -> bool {
        !self.flashes.is_empty() || self.undo.is_some() || self.notice.is_some()
    }

    pub fn say(&mut self, text: impl Into<String>, error: bool) {
        self.notice = Some(Notice {
            text: text.into(),
            error,
            since: None,
        });
    }
}

/// Whether `path` is strictly below the directory `dir`.
pub fn is_under(path: &str, dir: &str) -> bool {
    path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// The depth of a path below `/memories` (its children are 0).
pub fn depth(path: &str) -> usize {
    path.trim_start_matches("/memories/").matches('/').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(path: &str, is_dir: bool) -> TreeRow {
        TreeRow {
            path: path.to_owned(),
            is_dir,
            size: 0,
            actor: None,
            changed_ms: None,
        }
    }

    fn panel() -> Panel {
        let mut p = Panel::default();
        p.set_rows(vec![
            row("/memories/acme", true),
            row("/memories/acme/brief.md", false),
            row("/memories/acme/notes", true),
            row("/memories/acme/notes/a.md", false),
            row("/memories/acme-two.md", false),
            row("/memories/zeta.md", false),
        ]);
        p
    }

    #[test]
    fn folding_hides_what_is_below_only() {
        let mut p = panel();
        p.folded.insert("/memories/acme".to_owned());
        let shown: Vec<&str> = p
            .visible()
            .iter()
            .map(|&i| p.rows[i].path.as_str())
            .collect();
        assert_eq!(
            shown,
            [
                "/memories/acme",
                "/memories/acme-two.md",
                "/memories/zeta.md"
            ]
        );
    }

    #[test]
    fn selection_moves_over_visible_rows_and_survives_reloads() {
        let mut p = panel();
        p.move_selection(1);
        assert_eq!(p.selected.as_deref(), Some("/memories/acme"));
        p.move_selection(4);
        assert_eq!(p.selected.as_deref(), Some("/memories/acme-two.md"));
        p.move_selection(10);
        assert_eq!(p.selected.as_deref(), Some("/memories/zeta.md"));
        // The selected file disappears: the selection stays at its place.
        let mut rows = p.rows.clone();
        rows.pop();
        p.set_rows(rows);
        assert_eq!(p.selected.as_deref(), Some("/memories/acme-two.md"));
    }

    #[test]
    fn depth_counts_levels_below_the_root() {
        assert_eq!(depth("/memories/a.md"), 0);
        assert_eq!(depth("/memories/a/b/c.md"), 2);
    }
}
