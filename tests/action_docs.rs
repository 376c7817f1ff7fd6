//! README's inputs/outputs tables are generated from action.yml and must match it; run with
//! UPDATE_README=1 to rewrite them after changing the action.

use std::fmt::Write;

fn tables(action: &serde_yaml::Value) -> String {
    let mut out = String::from("| input | default | description |\n|---|---|---|\n");
    for (name, spec) in action["inputs"].as_mapping().expect("inputs") {
        let default = spec["default"].as_str().unwrap_or("");
        let default = if default.is_empty() {
            String::new()
        } else {
            format!("`{default}`")
        };
        let description = spec["description"].as_str().unwrap_or("").replace('|', "\\|");
        writeln!(out, "| `{}` | {default} | {description} |", name.as_str().unwrap()).unwrap();
    }
    out.push_str("\n| output | description |\n|---|---|\n");
    for (name, spec) in action["outputs"].as_mapping().expect("outputs") {
        let description = spec["description"].as_str().unwrap_or("");
        writeln!(out, "| `{}` | {description} |", name.as_str().unwrap()).unwrap();
    }
    out
}

#[test]
fn readme_tables_match_action_yml() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let action: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(root.join("action.yml")).unwrap()).unwrap();
    let expected = tables(&action);
    let readme_path = root.join("README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let (start, end) = ("<!-- action-io:start -->\n", "<!-- action-io:end -->");
    let from = readme.find(start).expect("README has the action-io markers") + start.len();
    let to = readme.find(end).expect("README has the action-io end marker");
    if std::env::var_os("UPDATE_README").is_some() {
        std::fs::write(
            &readme_path,
            format!("{}{}{}", &readme[..from], expected, &readme[to..]),
        )
        .unwrap();
        return;
    }
    assert_eq!(
        &readme[from..to],
        expected,
        "README's action tables are stale: run UPDATE_README=1 cargo test --test action_docs"
    );
}

/// docs/fork-prs.md shows the repository's fork-PR workflow pair as users copy it: identical to the
/// files except `uses: ./` (this checkout) becoming `uses: org/stress-action@v1`.
#[test]
fn fork_pr_docs_show_the_workflows_this_repository_runs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/fork-prs.md")).unwrap();
    for name in ["stress-fork-pr.yml", "stress-fork-publish.yml"] {
        let file = std::fs::read_to_string(root.join(".github/workflows").join(name)).unwrap();
        assert!(file.contains("uses: ./\n"), "{name} uses the action of this checkout");
        let as_documented = file.replace("uses: ./\n", "uses: org/stress-action@v1\n");
        let block = format!("## `.github/workflows/{name}`");
        let section = &doc[doc
            .find(&block)
            .unwrap_or_else(|| panic!("docs/fork-prs.md has no {block}"))..];
        let start = section.find("```yaml\n").expect("a yaml block") + "```yaml\n".len();
        let end = section[start..].find("```").expect("end of the yaml block") + start;
        assert_eq!(
            &section[start..end],
            as_documented,
            "docs/fork-prs.md's copy of {name} is stale"
        );
    }
}
