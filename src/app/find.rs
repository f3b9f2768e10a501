//! Search: in a tab's chat (what it shows, line by line) and in the memory panel (the files'
//! names and contents, found by a memory job). One search is open at a time; while it is, the
//! message box is its field and the keys below go to it.
//!
//! Matching ignores case unless the query has a capital letter ("smart case"), and works on
//! characters, so a match is a range of screen columns whatever the script.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use unicode_width::UnicodeWidthChar;

use super::tab::ChatView;
use super::{App, Effect, MemoryJob};

/// The open search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Find {
    /// The memory panel's files (else the active tab's chat).
    pub in_panel: bool,
    pub query: String,
    /// The hit shown now (an index into the hits, wrapped).
    pub current: usize,
}

/// A file of the panel's search: its name matched, or lines of it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundFile {
    pub path: String,
    pub name: bool,
    /// Line numbers (from 1) and their text, the first few.
    pub lines: Vec<(usize, String)>,
    /// Lines that matched in all.
    pub total: usize,
}

/// One hit of the panel's search, as the results list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PanelHit {
    pub path: String,
    /// `None`: the name matched.
    pub line: Option<(usize, String)>,
}

/// Lines of a file the panel's search keeps per file (the count says how many matched).
const LINES_PER_FILE: usize = 20;

/// `path` and `text` matched against `query`: `None` when neither holds it.
pub fn search_file(path: &str, text: &str, query: &str) -> Option<FoundFile> {
    let name = contains(path.strip_prefix("/memories/").unwrap_or(path), query);
    let mut lines = Vec::new();
    let mut total = 0;
    for (n, line) in text.lines().enumerate() {
        if contains(line, query) {
            total += 1;
            if lines.len() < LINES_PER_FILE {
                lines.push((n + 1, line.to_owned()));
            }
        }
    }
    (name || total > 0).then(|| FoundFile {
        path: path.to_owned(),
        name,
        lines,
        total,
    })
}

/// The panel's results as one list: each file's name hit first, then its lines.
pub fn panel_hits(files: &[FoundFile]) -> Vec<PanelHit> {
    let mut hits = Vec::new();
    for file in files {
        if file.name || file.lines.is_empty() {
            hits.push(PanelHit {
                path: file.path.clone(),
                line: None,
            });
        }
        for line in &file.lines {
            hits.push(PanelHit {
                path: file.path.clone(),
                line: Some(line.clone()),
            });
        }
    }
    hits
}

/// Whether `query` asks for case to matter (it holds a capital).
fn case_matters(query: &str) -> bool {
    query.chars().any(char::is_uppercase)
}

fn fold(c: char, exact: bool) -> char {
    if exact {
        c
    } else {
        c.to_lowercase().next().unwrap_or(c)
    }
}

/// Where `query` occurs in `text`, as screen columns `(start, end)`, left to right, not
/// overlapping; none for an empty query.
pub fn columns(text: &str, query: &str) -> Vec<(usize, usize)> {
    let exact = case_matters(query);
    let want: Vec<char> = query.chars().map(|c| fold(c, exact)).collect();
    if want.is_empty() {
        return Vec::new();
    }
    let chars: Vec<(char, usize)> = text
        .chars()
        .map(|c| (fold(c, exact), c.width().unwrap_or(0)))
        .collect();
    let mut out = Vec::new();
    let (mut i, mut col) = (0, 0);
    while i + want.len() <= chars.len() {
        if chars[i..i + want.len()]
            .iter()
            .zip(&want)
            .all(|((c, _), w)| c == w)
        {
            let width: usize = chars[i..i + want.len()].iter().map(|(_, w)| w).sum();
            out.push((col, col + width));
            col += width;
            i += want.len();
        } else {
            col += chars[i].1;
            i += 1;
        }
    }
    out
}

/// Whether `query` occurs in `text`.
pub fn contains(text: &str, query: &str) -> bool {
    !columns(text, query).is_empty()
}

/// A hit in a chat: its line (of the whole transcript as drawn) and columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChatHit {
    pub line: usize,
    pub start: usize,
    pub end: usize,
}

impl ChatView {
    /// Every hit of `query` in the chat's lines as drawn at the last frame. Kept until the
    /// query or the lines change: the search field asks on every frame, and a long session
    /// has tens of thousands of lines.
    pub fn hits(&self, query: &str) -> Vec<ChatHit> {
        let cache = self.cache.borrow();
        // Every item's wrapped lines are keyed by what they were made from.
        let drawn = cache.items.iter().fold(u64::from(cache.width), |acc, c| {
            acc.wrapping_mul(1_000_003)
                .wrapping_add(c.key.0 ^ c.key.2.rotate_left(17) ^ u64::from(c.key.1))
                .wrapping_add(c.len() as u64)
        });
        if let Some((q, d, hits)) = &*self.found.borrow()
            && q == query
            && *d == drawn
        {
            return hits.clone();
        }
        let mut out = Vec::new();
        for (line, text) in cache
            .items
            .iter()
            .flat_map(super::tab::CachedItem::iter)
            .enumerate()
        {
            let text: String = text.spans.iter().map(|s| s.content.as_ref()).collect();
            out.extend(
                columns(&text, query)
                    .into_iter()
                    .map(|(start, end)| ChatHit { line, start, end }),
            );
        }
        *self.found.borrow_mut() = Some((query.to_owned(), drawn, out.clone()));
        out
    }

    /// Put line `line` in view (a third of the way down) unless it already is.
    pub fn show_line(&mut self, line: usize) {
        let height = self.height.get().max(1);
        let top = self.top();
        if (top..top + height).contains(&line) {
            return;
        }
        let max_top = self.total_lines.get().saturating_sub(height);
        let top = line.saturating_sub(height / 3).min(max_top);
        self.set_scroll(if top >= max_top {
            super::tab::Scroll::Bottom
        } else {
            super::tab::Scroll::Top(top)
        });
    }
}

impl App {
    /// Ctrl+F or `/`: search the panel's files when the panel has the keys, else the chat.
    pub(super) fn open_find(&mut self, in_panel: bool) -> Vec<Effect> {
        self.find = Some(Find {
            in_panel,
            query: String::new(),
            current: 0,
        });
        self.panel.found = None;
        self.sync_find()
    }

    pub(super) fn close_find(&mut self) {
        self.find = None;
        self.panel.found = None;
        for tab in &mut self.tabs {
            tab.view.find = None;
        }
    }

    /// A key while the search is open: typing edits the query, Enter and ↓ go to the next
    /// hit, Shift+Enter and ↑ to the previous, Esc closes it. `None`: not the search's key
    /// (quit, redraw, scrolling, tabs go on as usual).
    pub(super) fn on_find_key(&mut self, key: KeyEvent) -> Option<Vec<Effect>> {
        let find = self.find.as_mut()?;
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Esc => {
                self.close_find();
                return Some(Vec::new());
            }
            KeyCode::Char('c') if ctrl => {
                self.close_find();
                return Some(Vec::new());
            }
            KeyCode::Char('u') if ctrl => {
                find.query.clear();
                find.current = 0;
            }
            KeyCode::Char(c) if !ctrl && !alt => {
                find.query.push(c);
                find.current = 0;
            }
            KeyCode::Backspace => {
                find.query.pop();
                find.current = 0;
            }
            KeyCode::Enter if key.modifiers.contains(KeyModifiers::SHIFT) => {
                return Some(self.step_find(false));
            }
            KeyCode::Enter | KeyCode::Down | KeyCode::Tab => return Some(self.step_find(true)),
            KeyCode::Up | KeyCode::BackTab => return Some(self.step_find(false)),
            _ => return None,
        }
        Some(self.sync_find())
    }

    /// The query changed: the chat's hits start from the first at or below the view's top;
    /// the panel asks the store.
    fn sync_find(&mut self) -> Vec<Effect> {
        let Some(find) = self.find.clone() else {
            return Vec::new();
        };
        self.dirty = true;
        if find.in_panel {
            self.panel.found = None;
            if find.query.is_empty() {
                return Vec::new();
            }
            return vec![Effect::Memory(MemoryJob::Search(find.query))];
        }
        let Some(tab) = self.active_tab_mut() else {
            return Vec::new();
        };
        let hits = tab.view.hits(&find.query);
        let top = tab.view.top();
        let current = hits.iter().position(|h| h.line >= top).unwrap_or(0);
        if let Some(f) = &mut self.find {
            f.current = current;
        }
        self.show_chat_hit();
        Vec::new()
    }

    /// Enter / Shift+Enter: the next or previous hit, round.
    fn step_find(&mut self, forward: bool) -> Vec<Effect> {
        let Some(find) = &self.find else {
            return Vec::new();
        };
        let count = if find.in_panel {
            self.panel.found_hits().len()
        } else {
            self.active_tab()
                .map_or(0, |t| t.view.hits(&find.query).len())
        };
        if count == 0 {
            return Vec::new();
        }
        if let Some(find) = &mut self.find {
            find.current = if forward {
                (find.current + 1) % count
            } else {
                (find.current + count - 1) % count
            };
        }
        self.dirty = true;
        if self.find.as_ref().is_some_and(|f| f.in_panel) {
            self.show_panel_hit()
        } else {
            self.show_chat_hit();
            Vec::new()
        }
    }

    /// Scroll the chat to the current hit and mark it for the drawing.
    fn show_chat_hit(&mut self) {
        let Some(find) = self.find.clone() else {
            return;
        };
        let Some(tab) = self.active_tab_mut() else {
            return;
        };
        let hits = tab.view.hits(&find.query);
        let hit = hits.get(find.current % hits.len().max(1)).copied();
        if let Some(hit) = hit {
            tab.view.show_line(hit.line);
        }
        tab.view.find = Some((find.query, hit));
    }

    /// The panel's search results arrived; those of an older query are dropped.
    pub(super) fn on_found(
        &mut self,
        query: String,
        result: Result<Vec<FoundFile>, String>,
    ) -> Vec<Effect> {
        if !self
            .find
            .as_ref()
            .is_some_and(|f| f.in_panel && f.query == query)
        {
            return Vec::new();
        }
        self.panel.found = Some((query, result));
        self.show_panel_hit()
    }

    /// The file of a hit in the viewer: read when another is open, kept when it is this one.
    fn open_file_at(&mut self, path: &str) -> Vec<Effect> {
        if self.panel.open.as_ref().is_some_and(|o| o.path == path) {
            return Vec::new();
        }
        self.open_in_panel(path.to_owned())
    }

    /// Open the current hit's file in the panel's viewer, at its line.
    pub(super) fn show_panel_hit(&mut self) -> Vec<Effect> {
        let Some(find) = &self.find else {
            return Vec::new();
        };
        let hits = self.panel.found_hits();
        let Some(hit) = hits.get(find.current % hits.len().max(1)).cloned() else {
            return Vec::new();
        };
        let line = hit.line.map(|(n, _)| n);
        self.panel.selected = Some(hit.path.clone());
        let effects = self.open_file_at(&hit.path);
        if let Some(open) = &mut self.panel.open {
            open.focus_line = line;
        }
        effects
    }

    /// The hit count and which is shown, for the search field: `(current from 1, count)`.
    pub fn find_position(&self) -> Option<(usize, usize)> {
        let find = self.find.as_ref()?;
        let count = if find.in_panel {
            self.panel.found_hits().len()
        } else {
            self.active_tab()?.view.hits(&find.query).len()
        };
        Some(((find.current % count.max(1)) + 1, count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_are_screen_columns_and_case_is_smart() {
        type Case<'a> = (&'a str, &'a str, &'a [(usize, usize)]);
        let cases: &[Case] = &[
            ("Budget $500K, budget again", "budget", &[(0, 6), (14, 20)]),
            ("Budget $500K, budget again", "Budget", &[(0, 6)]),
            ("", "x", &[]),
            ("anything", "", &[]),
            // Wide characters count two columns.
            ("東京の ACME 支社", "acme", &[(7, 11)]),
            ("東京の ACME 支社", "支社", &[(12, 16)]),
            // Not overlapping.
            ("aaaa", "aa", &[(0, 2), (2, 4)]),
            ("ÉCOLE école", "école", &[(0, 5), (6, 11)]),
        ];
        for (text, query, want) in cases {
            assert_eq!(columns(text, query), *want, "{text:?} / {query:?}");
        }
    }

    #[test]
    fn a_file_is_found_by_its_path_or_its_lines() {
        let text = "Globex runs 12 plants.\nBudget: $2.4M\nglobex again\n";
        let found = search_file("/memories/clients/globex.md", text, "globex").unwrap();
        assert!(found.name);
        assert_eq!(
            found.lines,
            [
                (1, "Globex runs 12 plants.".into()),
                (3, "globex again".into())
            ]
        );
        assert_eq!(found.total, 2);
        let found = search_file("/memories/notes.md", text, "budget").unwrap();
        assert!(!found.name);
        assert_eq!(found.lines, [(2, "Budget: $2.4M".into())]);
        // The folder's name counts, the `/memories/` prefix does not.
        assert!(search_file("/memories/clients/a.md", "", "clients").is_some());
        assert!(search_file("/memories/a.md", "", "memories").is_none());
        assert!(search_file("/memories/a.md", text, "initech").is_none());
        // Many matching lines: the first few kept, all counted.
        let many = "hit\n".repeat(100);
        let found = search_file("/memories/a.md", &many, "hit").unwrap();
        assert_eq!((found.lines.len(), found.total), (LINES_PER_FILE, 100));
        let hits = panel_hits(&[found]);
        assert_eq!(hits.len(), LINES_PER_FILE);
    }
}
