//! The workflows users copy and the ones this repository runs pass the checks the ecosystem runs:
//! schema validation (action-validator, and check-jsonschema with SchemaStore's current schemas)
//! and actionlint with shellcheck. The README's workflow blocks are extracted and checked as files;
//! action.yml's composite steps are wrapped in a workflow so actionlint and shellcheck see them too.
//! The tools come from `scripts/test` (`.venv/`, `.tools/`); a missing tool fails the test.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `$VAR`, else the tool `scripts/test` installed at `local`.
fn tool(var: &str, local: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(var) {
        return PathBuf::from(path);
    }
    let path = root().join(local);
    assert!(
        path.is_file(),
        "{local} is not installed: run scripts/test once (it installs the linters), or set {var}"
    );
    path
}

/// Runs `cmd`; (success, everything it printed).
fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn actionlint(files: &[PathBuf]) -> (bool, String) {
    let shellcheck = tool("SHELLCHECK", ".venv/bin/shellcheck");
    run(Command::new(tool("ACTIONLINT", ".venv/bin/actionlint"))
        .arg("-shellcheck")
        .arg(shellcheck)
        .arg("-pyflakes=")
        .args(files))
}

/// Schema validation of workflow files by both validators; failures as text.
fn validate_workflows(files: &[PathBuf]) -> Vec<String> {
    let mut failures = Vec::new();
    let validator = tool("ACTION_VALIDATOR", ".tools/node_modules/.bin/action-validator");
    for file in files {
        let (ok, text) = run(Command::new(&validator).arg(file));
        if !ok {
            failures.push(format!("action-validator {}:\n{text}", file.display()));
        }
    }
    let (ok, text) = run(Command::new(tool("CHECK_JSONSCHEMA", ".venv/bin/check-jsonschema"))
        .args(["--builtin-schema", "vendor.github-workflows"])
        .args(files));
    if !ok {
        failures.push(format!("check-jsonschema:\n{text}"));
    }
    failures
}

/// Every ```LANG block of `text` (the lines between the fences).
fn blocks(text: &str, lang: &str) -> Vec<String> {
    let fence = format!("```{lang}\n");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&fence) {
        let body = &rest[start + fence.len()..];
        let end = body.find("\n```").expect("an unterminated code block") + 1;
        out.push(body[..end].to_string());
        rest = &body[end..];
    }
    out
}

/// The README's complete workflows (the blocks with top-level `on:` and `jobs:`), written as files.
fn readme_workflows(dir: &Path) -> Vec<PathBuf> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let workflows: Vec<String> = blocks(&readme, "yaml")
        .into_iter()
        .filter(|b| b.contains("\njobs:\n") && b.contains("\non:\n"))
        .collect();
    assert!(
        workflows.len() >= 2,
        "the README shows a minimal and a full workflow, found {}",
        workflows.len()
    );
    let dir = dir.join(".github/workflows");
    std::fs::create_dir_all(&dir).unwrap();
    workflows
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let path = dir.join(format!("readme-{i}.yml"));
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect()
}

#[test]
fn readme_workflows_validate_and_lint_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let files = readme_workflows(tmp.path());
    let failures = validate_workflows(&files);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let (ok, text) = actionlint(&files);
    assert!(
        ok && text.trim().is_empty(),
        "actionlint on the README's workflows:\n{text}"
    );

    // The same check catches what it is for: a step on an action whose runtime is being removed.
    let stale = std::fs::read_to_string(&files[0])
        .unwrap()
        .replace("actions/checkout@v7", "actions/checkout@v4");
    assert_ne!(
        stale,
        std::fs::read_to_string(&files[0]).unwrap(),
        "the example checks out"
    );
    std::fs::write(&files[0], stale).unwrap();
    let (ok, text) = actionlint(&files[..1]);
    assert!(
        !ok && text.contains("node20"),
        "actionlint must flag checkout@v4:\n{text}"
    );
}

/// The README's IAM policies are JSON a user can paste.
#[test]
fn readme_policies_are_json() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let policies = blocks(&readme, "json");
    assert!(policies.len() >= 2, "the role's policy and its trust policy");
    for policy in policies {
        let value: serde_json::Value = serde_json::from_str(&policy).unwrap_or_else(|e| panic!("{e}:\n{policy}"));
        assert_eq!(value["Version"], "2012-10-17", "{policy}");
    }
}

#[test]
fn repository_workflows_validate_and_lint_clean() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    // action-validator 0.6.0 (the newest) predates the `attestations` permission that
    // attest-build-provenance needs, so release.yml is checked against SchemaStore's current
    // schema by check-jsonschema and by actionlint instead.
    let (granted, rest): (Vec<PathBuf>, Vec<PathBuf>) = files
        .iter()
        .cloned()
        .partition(|f| std::fs::read_to_string(f).unwrap().contains("attestations: write"));
    let mut failures = validate_workflows(&rest);
    let (ok, text) = run(Command::new(tool("CHECK_JSONSCHEMA", ".venv/bin/check-jsonschema"))
        .args(["--builtin-schema", "vendor.github-workflows"])
        .args(&granted));
    if !ok {
        failures.push(text);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let (ok, text) = actionlint(&files);
    assert!(ok && text.trim().is_empty(), "actionlint:\n{text}");
}

/// action.yml validates as an action, and its composite steps, wrapped in a reusable workflow with
/// the same inputs, pass actionlint and shellcheck (expressions, env, the scripts' one-liners).
#[test]
fn action_yml_validates_and_its_steps_lint_clean() {
    let action = root().join("action.yml");
    let (ok, text) =
        run(Command::new(tool("ACTION_VALIDATOR", ".tools/node_modules/.bin/action-validator")).arg(&action));
    assert!(ok, "action-validator action.yml:\n{text}");
    let (ok, text) = run(Command::new(tool("CHECK_JSONSCHEMA", ".venv/bin/check-jsonschema"))
        .args(["--builtin-schema", "vendor.github-actions"])
        .arg(&action));
    assert!(ok, "check-jsonschema action.yml:\n{text}");

    let spec: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(&action).unwrap()).unwrap();
    let mut inputs = serde_yaml::Mapping::new();
    for (name, input) in spec["inputs"].as_mapping().unwrap() {
        let mut def = serde_yaml::Mapping::new();
        def.insert("description".into(), input["description"].clone());
        def.insert("required".into(), false.into());
        def.insert("type".into(), "string".into());
        inputs.insert(name.clone(), def.into());
    }
    let workflow = serde_yaml::to_string(&serde_yaml::from_str::<serde_yaml::Value>(&format!(
        "name: action-steps\non:\n  workflow_call:\n    inputs: {}\njobs:\n  action:\n    runs-on: ubuntu-latest\n    steps: {}\n",
        serde_json::to_string(&inputs).unwrap(),
        serde_json::to_string(&spec["runs"]["steps"]).unwrap(),
    ))
    .unwrap())
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(".github/workflows");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("action-steps.yml");
    std::fs::write(&file, workflow).unwrap();
    let (ok, text) = actionlint(std::slice::from_ref(&file));
    assert!(
        ok && text.trim().is_empty(),
        "actionlint on action.yml's steps:\n{text}"
    );
}
