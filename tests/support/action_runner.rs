//! Runs action.yml's composite steps the way a GitHub runner does: inputs with their defaults, the
//! `${{ }}` expressions the action uses evaluated into each step's `env`, `bash` per step with
//! GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_ACTION_PATH, outputs collected from the files.
//!
//! Only the expression forms action.yml needs are understood (`inputs.X`, `github.X.Y`,
//! `steps.ID.outputs.X`); anything else fails the test, which keeps action.yml emulatable.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct ActionRun {
    pub status: i32,
    pub outputs: BTreeMap<String, String>,
    pub log: String,
    pub summary: String,
}

pub struct Runner {
    pub action_path: PathBuf,
    pub temp: PathBuf,
    pub inputs: BTreeMap<String, String>,
    pub github: BTreeMap<String, String>,
    pub extra_env: Vec<(String, String)>,
}

impl Runner {
    pub fn new(temp: &Path) -> Self {
        let mut github = BTreeMap::new();
        github.insert("token".into(), "ghs_faketoken_for_tests".into());
        github.insert("action_ref".into(), String::new());
        github.insert("action_repository".into(), "org/stress-action".into());
        github.insert("event.pull_request.number".into(), String::new());
        Self {
            action_path: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            temp: temp.to_path_buf(),
            inputs: BTreeMap::new(),
            github,
            extra_env: Vec::new(),
        }
    }

    pub fn input(mut self, name: &str, value: &str) -> Self {
        self.inputs.insert(name.into(), value.into());
        self
    }

    pub fn run(&self) -> ActionRun {
        let text = std::fs::read_to_string(self.action_path.join("action.yml")).expect("action.yml");
        let action: serde_yaml::Value = serde_yaml::from_str(&text).expect("action.yml parses");
        let mut inputs = BTreeMap::new();
        for (name, spec) in action["inputs"].as_mapping().expect("inputs") {
            let name = name.as_str().unwrap().to_string();
            let default = spec["default"].as_str().unwrap_or("").to_string();
            let value = self
                .inputs
                .get(&name)
                .cloned()
                .unwrap_or_else(|| self.eval(&default, &BTreeMap::new(), &BTreeMap::new()));
            inputs.insert(name, value);
        }
        for name in self.inputs.keys() {
            assert!(inputs.contains_key(name), "action.yml has no input {name}");
        }

        let summary = self.temp.join("step-summary.md");
        std::fs::write(&summary, "").unwrap();
        let mut step_outputs: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut log = String::new();
        let mut status = 0;
        for (i, step) in action["runs"]["steps"].as_sequence().expect("steps").iter().enumerate() {
            let id = step["id"]
                .as_str()
                .map(String::from)
                .unwrap_or_else(|| format!("step{i}"));
            assert_eq!(step["shell"].as_str(), Some("bash"), "step {id} must use bash");
            let script = step["run"].as_str().expect("composite run step");
            assert!(
                !script.contains("${{"),
                "step {id}: expressions inside run scripts allow injection"
            );
            let output_file = self.temp.join(format!("output-{id}"));
            std::fs::write(&output_file, "").unwrap();
            let mut cmd = Command::new("bash");
            cmd.arg("-c").arg(script).env_clear();
            for key in ["PATH", "HOME", "CARGO_HOME", "RUSTUP_HOME", "TMPDIR"] {
                if let Ok(v) = std::env::var(key) {
                    cmd.env(key, v);
                }
            }
            cmd.env("GITHUB_ACTION_PATH", &self.action_path)
                .env("GITHUB_OUTPUT", &output_file)
                .env("GITHUB_STEP_SUMMARY", &summary)
                .env("GITHUB_ACTIONS", "true")
                .env("RUNNER_TEMP", self.temp.join("runner-temp"))
                .env("RUNNER_TOOL_CACHE", self.temp.join("tool-cache"))
                .current_dir(&self.temp);
            if let Some(env) = step["env"].as_mapping() {
                for (k, v) in env {
                    let value = self.eval(v.as_str().unwrap_or(""), &inputs, &step_outputs);
                    cmd.env(k.as_str().unwrap(), value);
                }
            }
            for (k, v) in &self.extra_env {
                cmd.env(k, v);
            }
            let out = cmd.output().expect("bash runs");
            log.push_str(&String::from_utf8_lossy(&out.stdout));
            log.push_str(&String::from_utf8_lossy(&out.stderr));
            step_outputs.insert(id, parse_output_file(&std::fs::read_to_string(&output_file).unwrap()));
            status = out.status.code().unwrap_or(-1);
            if status != 0 {
                break;
            }
        }
        let mut outputs = BTreeMap::new();
        for (name, spec) in action["outputs"].as_mapping().expect("outputs") {
            let value = self.eval(spec["value"].as_str().unwrap_or(""), &inputs, &step_outputs);
            outputs.insert(name.as_str().unwrap().to_string(), value);
        }
        ActionRun {
            status,
            outputs,
            log,
            summary: std::fs::read_to_string(&summary).unwrap(),
        }
    }

    /// Replaces every `${{ expr }}` in `text`.
    fn eval(
        &self,
        text: &str,
        inputs: &BTreeMap<String, String>,
        steps: &BTreeMap<String, BTreeMap<String, String>>,
    ) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").expect("unterminated expression") + start;
            let expr = rest[start + 3..end].trim();
            let value = if let Some(name) = expr.strip_prefix("inputs.") {
                inputs
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| panic!("unknown input {name}"))
            } else if let Some(path) = expr.strip_prefix("github.") {
                self.github
                    .get(path)
                    .cloned()
                    .unwrap_or_else(|| panic!("github.{path} is not emulated"))
            } else if let Some(path) = expr.strip_prefix("steps.") {
                let (id, name) = path
                    .split_once(".outputs.")
                    .unwrap_or_else(|| panic!("bad steps expression {expr}"));
                steps.get(id).and_then(|o| o.get(name)).cloned().unwrap_or_default()
            } else {
                panic!("expression not emulated: {expr}")
            };
            out.push_str(&value);
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }
}

/// `name=value` lines and `name<<DELIM` heredocs, as GitHub reads $GITHUB_OUTPUT.
pub fn parse_output_file(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delim)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                value.push(l);
            }
            map.insert(name.to_string(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            map.insert(name.to_string(), value.to_string());
        }
    }
    map
}
