//! The import order of docs/ARCHITECTURE.md, held: every `use crate::...`, `super::...` and inline
//! `crate::` path under src/ is resolved to the module it names, and a module that imports one it
//! may not (a leaf importing up, a renderer importing a publisher) fails this test with the file
//! and the path. The rules are read from the document itself, so the document cannot drift from
//! what is enforced.

mod source_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use source_support::{line_of, rust_files, strip};

/// Parts of `report/` that are modules of their own in the import order; anything else reached
/// through `crate::report::` is the model, which `report/mod.rs` re-exports.
const REPORT_PARTS: [&str; 5] = ["model", "view", "export", "verdict", "thresholds"];

/// What docs/ARCHITECTURE.md says: the leaves, the ordered modules, and what each may import.
struct Rules {
    leaves: BTreeSet<String>,
    order: Vec<String>,
    may_import: BTreeMap<String, BTreeSet<String>>,
}

impl Rules {
    fn parse(doc: &str) -> Result<Self, String> {
        let mut rules = Rules {
            leaves: BTreeSet::new(),
            order: Vec::new(),
            may_import: BTreeMap::new(),
        };
        for line in doc.lines() {
            let (leaf, rest) = if let Some(rest) = line.strip_prefix("- `") {
                (true, rest)
            } else if let Some((n, rest)) = line.split_once(". `") {
                if n.is_empty() || !n.chars().all(|c| c.is_ascii_digit()) {
                    continue;
                }
                (false, rest)
            } else {
                continue;
            };
            let Some((name, rest)) = rest.split_once('`') else {
                continue;
            };
            let Some((_, list)) = rest.rsplit_once("May import: ") else {
                continue;
            };
            let list = list.trim_end_matches('.');
            let allowed: BTreeSet<String> = match list {
                "nothing" | "leaves" => BTreeSet::new(),
                _ => list.split(", ").map(str::to_string).collect(),
            };
            if leaf {
                rules.leaves.insert(name.to_string());
            } else {
                rules.order.push(name.to_string());
            }
            rules.may_import.insert(name.to_string(), allowed);
        }
        if rules.leaves.is_empty() || rules.order.is_empty() {
            return Err("docs/ARCHITECTURE.md lists no modules".into());
        }
        rules.check_order()?;
        Ok(rules)
    }

    /// Every "may import" names a leaf or a module listed before it; a leaf names only leaves.
    fn check_order(&self) -> Result<(), String> {
        for (name, allowed) in &self.may_import {
            let position = self.order.iter().position(|o| o == name);
            for a in allowed {
                let earlier = match position {
                    Some(p) => self.order[..p].contains(a) || self.leaves.contains(a),
                    None => self.leaves.contains(a),
                };
                if !earlier {
                    return Err(format!(
                        "docs/ARCHITECTURE.md: `{name}` may import `{a}`, which is not a leaf or listed before it"
                    ));
                }
            }
        }
        Ok(())
    }

    fn allows(&self, from: &str, to: &str) -> bool {
        from == to
            || self.may_import.get(from).is_some_and(|a| a.contains(to))
            || (!self.leaves.contains(from) && self.leaves.contains(to))
    }

    fn knows(&self, module: &str) -> bool {
        self.may_import.contains_key(module)
    }
}

/// The module a path of the crate belongs to in the import order.
fn component(path: &[String]) -> Option<String> {
    let first = path.first()?;
    if first.starts_with(|c: char| c.is_ascii_uppercase()) {
        // `crate::ExitStatus`: lib.rs re-exports the error types only (checked below).
        return Some("error".into());
    }
    if first == "report" {
        let part = path.get(1).filter(|p| REPORT_PARTS.contains(&p.as_str()));
        return Some(format!("report::{}", part.map_or("model", String::as_str)));
    }
    Some(first.clone())
}

/// `src/report/view/rows.rs` -> `report::view::rows`; `mod.rs` names its directory.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("file under src");
    let mut segs: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
    let last = segs.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        segs.push(stem.to_string());
    }
    segs
}

/// Every module path the tree holds (files and directories), to tell a module alias from an item.
fn known_modules(src: &Path, files: &[PathBuf]) -> BTreeSet<Vec<String>> {
    let mut out = BTreeSet::new();
    for f in files {
        let mut path = module_path(src, f);
        while !path.is_empty() {
            out.insert(path.clone());
            path.pop();
        }
    }
    out
}

/// Absolute path of `segs` as written in module `here`; `None` for external crates and relative
/// paths to child modules (which stay inside the module anyway).
fn resolve(here: &[String], segs: &[String]) -> Option<Vec<String>> {
    let mut base: Vec<String> = match segs.first()?.as_str() {
        "crate" => Vec::new(),
        "self" | "super" => here.to_vec(),
        _ => return None,
    };
    let mut rest = segs;
    if rest[0] == "crate" || rest[0] == "self" {
        rest = &rest[1..];
    }
    while rest.first().is_some_and(|s| s == "super") {
        base.pop();
        rest = &rest[1..];
    }
    base.extend(rest.iter().filter(|s| *s != "self" && *s != "*").cloned());
    Some(base)
}

/// The paths a use tree (`crate::report::{self, view::RunView}`) brings in, each with the name it
/// is known by in the file.
fn use_tree(prefix: &[String], tree: &str, out: &mut Vec<(Vec<String>, String)>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head: Vec<String> = tree[..open]
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let mut path = prefix.to_vec();
        path.extend(head);
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let (mut depth, mut start) = (0, 0);
        for (i, ch) in inner.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    use_tree(&path, &inner[start..i], out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        use_tree(&path, &inner[start..], out);
        return;
    }
    if tree.is_empty() {
        return;
    }
    let (path_text, alias) = match tree.split_once(" as ") {
        Some((p, a)) => (p.trim(), Some(a.trim().to_string())),
        None => (tree, None),
    };
    let mut path = prefix.to_vec();
    path.extend(path_text.split("::").map(|s| s.trim().to_string()));
    let name = alias.unwrap_or_else(|| match path.last().map(String::as_str) {
        Some("self") => path[path.len().saturating_sub(2)].clone(),
        other => other.unwrap_or_default().to_string(),
    });
    out.push((path, name));
}

/// Every `use` declaration of stripped code: (char offset, tree text).
fn use_declarations(code: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let text: String = chars.iter().collect();
    let mut from = 0;
    while let Some(pos) = text[from..].find("use ") {
        let at = from + pos;
        from = at + 4;
        let before = text[..at].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(end) = text[at..].find(';') {
            out.push((text[..at].chars().count(), text[at + 4..at + end].to_string()));
        }
    }
    out
}

/// `name::ident::...` paths in stripped code where `name` is not itself preceded by `::` or `.`.
fn paths_through(code: &str, name: &str) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let needle = format!("{name}::");
    let mut from = 0;
    while let Some(pos) = code[from..].find(&needle) {
        let at = from + pos;
        from = at + needle.len();
        let before = code[..at].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':' || c == '.') {
            continue;
        }
        let mut segs = vec![name.to_string()];
        let mut rest = &code[at + needle.len()..];
        loop {
            let ident: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if ident.is_empty() {
                break;
            }
            rest = &rest[ident.len()..];
            segs.push(ident);
            match rest.strip_prefix("::") {
                Some(r) => rest = r,
                None => break,
            }
        }
        out.push((code[..at].chars().count(), segs));
    }
    out
}

/// Inline modules (`mod tests { ... }`) of stripped code: (name, char range of the body).
fn inline_modules(code: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    for (at, _) in paths_in(code, "mod ") {
        let rest: String = chars[at + 4..].iter().collect();
        let name: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let after = rest.trim_start()[name.len()..].trim_start();
        if name.is_empty() || !after.starts_with('{') {
            continue;
        }
        let open = at + 4 + rest.len() - after.len();
        let mut depth = 0;
        for (j, ch) in chars.iter().enumerate().skip(open) {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        out.push((name.clone(), open..j));
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// Char offsets where `needle` starts a token (not preceded by an identifier character).
fn paths_in(code: &str, needle: &str) -> Vec<(usize, ())> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = code[from..].find(needle) {
        let at = from + pos;
        from = at + needle.len();
        if !code[..at]
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            out.push((code[..at].chars().count(), ()));
        }
    }
    out
}

/// The module an offset of the file is in: the file's, plus the inline modules around it.
fn module_at(file_module: &[String], inline: &[(String, std::ops::Range<usize>)], at: usize) -> Vec<String> {
    let mut here = file_module.to_vec();
    here.extend(inline.iter().filter(|(_, r)| r.contains(&at)).map(|(n, _)| n.clone()));
    here
}

/// Every import of the library under `src` that its rules forbid, as readable lines.
fn violations(src: &Path, rules: &Rules) -> Vec<String> {
    let files: Vec<PathBuf> = rust_files(src)
        .into_iter()
        .filter(|f| f.file_name().is_some_and(|n| n != "main.rs" && n != "lib.rs"))
        .filter(|f| !f.starts_with(src.join("cli")))
        .collect();
    let modules = known_modules(src, &files);
    let mut found = Vec::new();
    for file in &files {
        let file_module = module_path(src, file);
        let Some(from) = component(&file_module) else { continue };
        let shown = file.strip_prefix(src.parent().unwrap_or(src)).unwrap_or(file).display();
        if !rules.knows(&from) {
            found.push(format!(
                "{shown}: module `{from}` is not listed in docs/ARCHITECTURE.md"
            ));
            continue;
        }
        let code = strip(&std::fs::read_to_string(file).expect("source file"));
        let inline = inline_modules(&code);
        let here = |at: usize| module_at(&file_module, &inline, at);
        let mut imports: Vec<(usize, Vec<String>)> = Vec::new();
        for (at, tree) in use_declarations(&code) {
            let mut entries = Vec::new();
            use_tree(&[], &tree, &mut entries);
            for (path, name) in entries {
                let Some(abs) = resolve(&here(at), &path) else { continue };
                if modules.contains(&abs) {
                    // A module brought in by name: what the file reaches through it counts too.
                    for (offset, segs) in paths_through(&code, &name) {
                        let mut full = abs.clone();
                        full.extend(segs.into_iter().skip(1));
                        imports.push((offset, full));
                    }
                }
                imports.push((at, abs));
            }
        }
        for root in ["crate", "super", "self"] {
            for (at, segs) in paths_through(&code, root) {
                if let Some(abs) = resolve(&here(at), &segs) {
                    imports.push((at, abs));
                }
            }
        }
        for (at, path) in imports {
            let Some(to) = component(&path) else { continue };
            if !rules.allows(&from, &to) {
                found.push(format!(
                    "{shown}:{}: `{from}` imports `crate::{}` (`{to}`), which docs/ARCHITECTURE.md does not allow",
                    line_of(&code, at),
                    path.join("::")
                ));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rules() -> Rules {
    let doc = std::fs::read_to_string(repo().join("docs/ARCHITECTURE.md")).expect("docs/ARCHITECTURE.md");
    Rules::parse(&doc).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn no_module_imports_against_the_documented_order() {
    let found = violations(&repo().join("src"), &rules());
    assert!(
        found.is_empty(),
        "imports against docs/ARCHITECTURE.md:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_module_of_the_library_is_in_the_document() {
    let rules = rules();
    let lib = std::fs::read_to_string(repo().join("src/lib.rs")).unwrap();
    let declared: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod ")?.strip_suffix(';'))
        .collect();
    assert!(declared.len() > 10, "{declared:?}");
    for module in declared {
        let listed = if module == "report" {
            REPORT_PARTS.iter().all(|p| rules.knows(&format!("report::{p}")))
        } else {
            rules.knows(module)
        };
        assert!(
            listed,
            "src/lib.rs declares `{module}`, which docs/ARCHITECTURE.md does not list"
        );
    }
}

/// `crate::report::X` counts as the model only because report/mod.rs re-exports nothing else, and
/// `crate::X` as the error module only because lib.rs re-exports nothing else.
#[test]
fn the_roots_re_export_only_leaves() {
    let reexports = |file: &str| -> Vec<String> {
        let text = strip(&std::fs::read_to_string(repo().join(file)).unwrap());
        text.lines()
            .filter_map(|l| l.trim().strip_prefix("pub use "))
            .map(str::to_string)
            .collect()
    };
    for line in reexports("src/report/mod.rs") {
        assert!(line.starts_with("model::"), "src/report/mod.rs re-exports `{line}`");
    }
    for line in reexports("src/lib.rs") {
        assert!(line.starts_with("error::"), "src/lib.rs re-exports `{line}`");
    }
}

/// The checks issue 14 names, spelled out: they follow from the rules, and say so if they break.
#[test]
fn rendering_configuration_and_the_model_import_nothing_above_them() {
    let src = repo().join("src");
    let mentions = |dir: &str, needle: &str| -> Vec<String> {
        rust_files(&src.join(dir))
            .into_iter()
            .filter(|f| strip(&std::fs::read_to_string(f).unwrap()).contains(needle))
            .map(|f| f.display().to_string())
            .collect()
    };
    assert_eq!(mentions("report", "crate::publish"), Vec::<String>::new());
    assert_eq!(mentions("config", "crate::workload"), Vec::<String>::new());
    assert_eq!(mentions("config", "crate::publish"), Vec::<String>::new());
    assert_eq!(mentions("report/model", "crate::record"), Vec::<String>::new());
}

/// The checker itself, on a small tree that breaks the rules in each way it can be broken: a leaf
/// importing up, a renderer reaching a publisher through a module alias, a `super::` path across
/// modules, an inline path, and a module the document does not list.
#[test]
fn the_checker_finds_imports_against_the_order() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let write = |rel: &str, text: &str| {
        let path = src.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "lib.rs",
        "pub mod config;\npub mod record;\npub mod report;\npub mod publish;\npub mod extra;\n",
    );
    write("config/mod.rs", "use crate::record::Recorder; // the leaf imports up\n");
    write(
        "record/mod.rs",
        "use crate::config::RunConfig;\n/// crate::publish in a comment is no import\n",
    );
    write("report/mod.rs", "pub mod export;\npub mod model;\n");
    write("report/model/mod.rs", "pub struct RunResult;\n");
    write(
        "report/export/mod.rs",
        "use crate::{self as root};\nuse crate::publish;\nfn f() { publish::comment::render(); }\n",
    );
    write(
        "report/export/html.rs",
        "use super::super::super::publish::X;\nfn g() { let _ = crate::record::Recorder::new(); }\n",
    );
    write(
        "publish/mod.rs",
        "pub mod comment;\nuse crate::report::export::finish;\n",
    );
    write("publish/comment.rs", "pub fn render() {}\n");
    write("extra/mod.rs", "\n");
    let doc = "- `config` — c. May import: nothing.\n- `report::model` — m. May import: nothing.\n\
               1. `record` — r. May import: leaves.\n2. `report::export` — e. May import: leaves.\n\
               3. `publish` — p. May import: report::export.\n";
    let found = violations(&src, &Rules::parse(doc).unwrap());
    let has = |needle: &str| found.iter().any(|f| f.contains(needle));
    assert!(
        has("src/config/mod.rs:1: `config` imports `crate::record::Recorder`"),
        "{found:#?}"
    );
    assert!(
        has("src/report/export/mod.rs:2: `report::export` imports `crate::publish`"),
        "{found:#?}"
    );
    assert!(
        has("src/report/export/mod.rs:3: `report::export` imports `crate::publish::comment::render`"),
        "{found:#?}"
    );
    assert!(
        has("src/report/export/html.rs:1: `report::export` imports `crate::publish::X`"),
        "{found:#?}"
    );
    assert!(
        has("src/report/export/html.rs:2: `report::export` imports `crate::record::Recorder::new`"),
        "{found:#?}"
    );
    assert!(has("module `extra` is not listed"), "{found:#?}");
    assert_eq!(
        found.len(),
        6,
        "nothing else, the comment and the allowed imports included: {found:#?}"
    );
    // A document whose own list points forward is refused.
    let forward = "- `config` — c. May import: nothing.\n1. `record` — r. May import: publish.\n2. `publish` — p. May import: leaves.\n";
    assert!(Rules::parse(forward).is_err());
}

#[test]
fn stripping_keeps_code_and_blanks_the_rest() {
    let src =
        "let a = \"crate::x {\"; // crate::y\nlet b = '\\''; let r = r#\"}\"#; fn f<'a>(x: &'a str) {}\n/* crate::z */";
    let s = strip(src);
    assert_eq!(s.lines().count(), src.lines().count());
    assert!(!s.contains("crate::"), "{s}");
    assert_eq!(s.matches('{').count(), s.matches('}').count(), "{s}");
    assert!(s.contains("fn f<'a>(x: &'a str) {}"), "{s}");
}
