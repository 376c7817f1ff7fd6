//! The release rules the install step relies on: a tag must equal Cargo.toml's version (the install
//! step finds a ref's release by that version), a pre-release never moves `vX` or `vX.Y`, and in
//! release.yml only the publishing job may write, with the attestation and the checksums it needs.

use std::path::Path;
use std::process::Command;

/// scripts/release-tags TAG run in a copy of the repository whose Cargo.toml says `version`.
fn release_tags(version: &str, tag: &str) -> (i32, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("scripts")).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(
        root.join("scripts/release-tags"),
        tmp.path().join("scripts/release-tags"),
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("Cargo.toml"),
        format!("[package]\nname = \"stress-action\"\nversion = \"{version}\"\n\n[dependencies]\nversion = \"9\"\n"),
    )
    .unwrap();
    let out = Command::new("bash")
        .arg(tmp.path().join("scripts/release-tags"))
        .arg(tag)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_release_moves_its_major_and_minor_tags_and_a_pre_release_none() {
    assert_eq!(
        release_tags("1.3.0", "v1.3.0"),
        (0, "prerelease=false\nmove=v1 v1.3\n".into(), String::new())
    );
    assert_eq!(
        release_tags("1.3.0-rc.1", "v1.3.0-rc.1"),
        (0, "prerelease=true\nmove=\n".into(), String::new())
    );
    let (code, out, err) = release_tags("1.3.0", "v1.3.1");
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(
        err.contains("tag v1.3.1 does not match Cargo.toml's version 1.3.0"),
        "{err}"
    );
    let (code, _, err) = release_tags("1.3", "v1.3");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("is not MAJOR.MINOR.PATCH"), "{err}");
}

#[test]
fn release_yml_writes_only_in_the_publishing_job() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join(".github/workflows/release.yml")).unwrap();
    let wf: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(
        wf["permissions"],
        serde_yaml::from_str::<serde_yaml::Value>("contents: read").unwrap()
    );
    for (name, job) in wf["jobs"].as_mapping().unwrap() {
        let writes = serde_yaml::to_string(&job["permissions"]).unwrap().contains("write");
        assert_eq!(writes, name.as_str() == Some("publish"), "job {name:?} permissions");
    }
    let publish = serde_yaml::to_string(&wf["jobs"]["publish"]).unwrap();
    for needed in [
        "contents: write",
        "id-token: write",
        "attestations: write",
        "actions/attest-build-provenance@v4",
        "sha256sum stress-action-*.tar.gz > SHA256SUMS",
        "needs.check.outputs.prerelease == 'false'",
        "--prerelease",
    ] {
        assert!(publish.contains(needed), "publish job lacks {needed}:\n{publish}");
    }
    // The tags it moves (v1, v1.3) must not start another release.
    let pattern = wf["on"]["push"]["tags"][0].as_str().unwrap();
    assert_eq!(pattern, "v[0-9]+.[0-9]+.[0-9]+*");
    let targets: Vec<&str> = wf["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        [
            "x86_64-unknown-linux-gnu",
            "aarch64-unknown-linux-gnu",
            "aarch64-apple-darwin",
            "x86_64-apple-darwin"
        ],
        "the targets scripts/action-install.sh downloads"
    );
}
