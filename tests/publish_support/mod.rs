//! Run directories for publishing tests, built from the fixture report.json files (all sections)
//! plus the kinds of files a real run leaves (charts, events, logs, markdown, HTML).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

pub fn run_dir(parent: &Path, name: &str) -> PathBuf {
    let dir = parent.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(fixture("report-full.json"), dir.join("report.json")).unwrap();
    // The fixture predates per-workload results; publishing judges the run again from them, so
    // they are added as the run that wrote the fixture's sections would have recorded them.
    edit_report(&dir, |v| {
        v["workloads"] = serde_json::json!({"checkpoint": {
            "verdict": "pass", "reasons": ["10 of 10 restores verified"],
            "planned": 10, "verified": 10, "corrupted": 0, "infra": 0, "lost": 0, "leaked": 0,
        }});
    });
    std::fs::write(
        dir.join("tti-burst.svg"),
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="800" height="450"><rect width="10" height="10" fill="blue"/></svg>"#,
    )
    .unwrap();
    std::fs::write(dir.join("events.jsonl"), "{\"op\":\"restore\"}\n{\"op\":\"verify\"}\n").unwrap();
    std::fs::write(dir.join("run.log"), "started\nfinished\n").unwrap();
    dir
}

/// `report.json` edited in place (e.g. to make a regression).
pub fn edit_report(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("report.json");
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

/// The binary with an environment free of the developer's GitHub/AWS settings.
pub fn cli() -> Command {
    let mut cmd = Command::cargo_bin("stress-action").unwrap();
    for var in [
        "GITHUB_TOKEN",
        "GITHUB_REPOSITORY",
        "GITHUB_RUN_ID",
        "GITHUB_EVENT_PATH",
        "GITHUB_SERVER_URL",
        "GITHUB_API_URL",
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// `publish DIR` to PR o/r#7 of the GitHub-like server at `api_url`, with a token.
pub fn publish_to_github(dir: &Path, api_url: &str, key: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    cli()
        .env("GITHUB_TOKEN", "test-token-not-secret")
        .args(["publish", dir.to_str().unwrap(), "--comment-key", key])
        .args(["--repo", "o/r", "--pr", "7", "--github-api-url", api_url])
        .args(extra)
        .assert()
}

/// A run directory of a failing run: the all-sections fixture (27 corrupted restores) with its
/// events.jsonl, as a real failing run leaves it.
pub fn failing_run_dir(parent: &Path, name: &str) -> PathBuf {
    let dir = parent.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    for file in ["report.json", "events.jsonl"] {
        std::fs::copy(fixture("all-sections").join(file), dir.join(file)).unwrap();
    }
    std::fs::write(dir.join("run.log"), "started\nfinished\n").unwrap();
    dir
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

pub fn create_bucket(client: &aws_sdk_s3::Client, bucket: &str) {
    runtime().block_on(async { client.create_bucket().bucket(bucket).send().await.unwrap() });
}

/// key -> (bytes, content type) of every object in `bucket` under `prefix`.
pub fn download_all(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> std::collections::BTreeMap<String, (Vec<u8>, String)> {
    runtime().block_on(async {
        let list = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .send()
            .await
            .unwrap();
        let mut out = std::collections::BTreeMap::new();
        for obj in list.contents() {
            let key = obj.key().unwrap().to_string();
            let got = client.get_object().bucket(bucket).key(&key).send().await.unwrap();
            let ct = got.content_type().unwrap_or("").to_string();
            let bytes = got.body.collect().await.unwrap().into_bytes().to_vec();
            out.insert(key, (bytes, ct));
        }
        out
    })
}

/// Every regular file under `dir`, relative with `/`, sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Markdown as GitHub renders a comment, as far as comrak has GitHub's dialect: tables,
/// strikethrough, and links made from bare URLs and e-mail addresses.
pub fn github_html(markdown: &str) -> String {
    let mut options = comrak::Options::default();
    options.extension.table = true;
    options.extension.strikethrough = true;
    options.extension.autolink = true;
    options.render.r#unsafe = true;
    comrak::markdown_to_html(markdown, &options)
}

/// Every HTML table keeps one cell per column in each row: report text broke no table.
pub fn assert_tables_intact(html: &str, what: &str) {
    for (t, table) in html.split("<table>").skip(1).enumerate() {
        let table = &table[..table.find("</table>").unwrap_or(table.len())];
        let widths: Vec<usize> = table
            .split("<tr>")
            .skip(1)
            .map(|row| row.matches("<th").count() + row.matches("<td").count())
            .collect();
        assert!(
            widths.windows(2).all(|w| w[0] == w[1]),
            "{what}: table {t} has rows of {widths:?} cells:\n{table}"
        );
    }
}

/// Gives report.json a histogram of `n` samples for every latency the fixture reports (each spread
/// evenly over its p50 ± 20 %), with the keys in `scaled` multiplied by their factor, and the
/// summaries recomputed from them: a run whose distributions are known exactly.
pub fn with_histograms(dir: &Path, n: u64, scaled: &[(&str, f64)]) {
    use stress_action::report::{encode_histogram, new_histogram, LatencySummary};
    edit_report(dir, |v| {
        let mut hists = serde_json::Map::new();
        let mut put = |key: String, summary: &mut serde_json::Value| {
            let p50 = summary["p50"].as_f64().unwrap_or(10.0).max(0.5);
            let factor = scaled.iter().find(|(k, _)| *k == key).map_or(1.0, |(_, f)| *f);
            let mut h = new_histogram();
            for i in 0..n {
                let ms = p50 * factor * (0.8 + 0.4 * i as f64 / n as f64);
                h.record((ms * 1000.0) as u64).unwrap();
            }
            *summary = serde_json::to_value(LatencySummary::from_histogram(&h)).unwrap();
            hists.insert(key, serde_json::Value::String(encode_histogram(&h)));
        };
        for mode in ["sequential", "staggered", "burst"] {
            if v["lifecycle"][mode].is_object() {
                for metric in ["create_ms", "first_command_ms", "tti_ms", "destroy_ms"] {
                    put(format!("lifecycle.{mode}.{metric}"), &mut v["lifecycle"][mode][metric]);
                }
            }
        }
        if v["checkpoint"].is_object() {
            for metric in ["restore_ms", "verify_ms"] {
                put(format!("checkpoint.all.{metric}"), &mut v["checkpoint"][metric]);
            }
        }
        let sizes = v["storage"]["sizes"].as_array().map_or(0, Vec::len);
        for i in 0..sizes {
            let size = v["storage"]["sizes"][i]["size_mb"].as_f64().unwrap();
            for metric in ["upload_ms", "download_ms"] {
                put(
                    format!("storage.{size}mb.{metric}"),
                    &mut v["storage"]["sizes"][i][metric],
                );
            }
        }
        v["histograms"] = serde_json::Value::Object(hists);
    });
}

/// A run directory from the full fixture with histograms of `n` samples; `scaled` as in
/// [`with_histograms`].
pub fn measured_run(parent: &Path, name: &str, n: u64, scaled: &[(&str, f64)]) -> PathBuf {
    let dir = run_dir(parent, name);
    with_histograms(&dir, n, scaled);
    dir
}
