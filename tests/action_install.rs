//! action.yml's install step run the way a runner runs it, against a release host on 127.0.0.1:
//! every kind of ref (`@v0`, `@v0.1`, `@v0.1.0`, `@<sha>`) gets the release asset of the version in
//! the action's own Cargo.toml, on a runner without cargo; a tampered asset, a failed attestation
//! and a network failure stop the step (never a build); only a missing asset (404) builds from
//! source; a cached binary is checked again; Windows stops at once.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::action_runner::{ActionRun, Runner};
use support::release_server::{asset_name, host_target, publish, release_asset, stand_in_asset, ReleaseServer};

const BIN: &str = env!("CARGO_BIN_EXE_stress-action");
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// PATH without the directories holding cargo or gh, so the runner has neither.
fn path_without_cargo() -> String {
    let path = std::env::var("PATH").unwrap_or_default();
    let kept: Vec<&str> = path
        .split(':')
        .filter(|d| !Path::new(d).join("cargo").exists() && !Path::new(d).join("gh").exists())
        .collect();
    let kept = kept.join(":");
    let probe = std::process::Command::new("bash")
        .args(["-c", "command -v cargo || command -v gh"])
        .env("PATH", &kept)
        .output()
        .unwrap();
    assert!(!probe.status.success(), "cargo or gh is still on PATH {kept}");
    kept
}

/// A stand-in for `name` in a directory of its own, prepended to the cargo-free PATH.
fn fake_tool(tmp: &Path, name: &str, script: &str) -> String {
    let dir = tmp.join(format!("fake-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/usr/bin/env bash\n{script}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!("{}:{}", dir.display(), path_without_cargo())
}

/// A `cargo` that records its arguments and "builds" by copying the test binary where asked.
fn fake_cargo(tmp: &Path) -> String {
    let script = format!(
        "echo \"$@\" > '{log}'\nwhile [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=$2; shift; done\nmkdir -p \"$root/bin\" && cp '{BIN}' \"$root/bin/stress-action\"",
        log = tmp.join("cargo-args").display(),
    );
    fake_tool(tmp, "cargo", &script)
}

/// The action at `action_ref`, downloading from `base`, with `path` as the runner's PATH.
fn runner(tmp: &Path, base: &str, action_ref: &str, path: String) -> Runner {
    let mut runner = Runner::new(tmp)
        .input("restores", "2")
        .input("args", "--workload checkpoint --marker-size 1");
    runner.github.insert("action_ref".into(), action_ref.into());
    runner
        .extra_env
        .push(("STRESS_ACTION_DOWNLOAD_BASE".into(), base.into()));
    runner.extra_env.push(("PATH".into(), path));
    runner
}

type Release = &'static (Vec<u8>, Vec<u8>);

/// (binary, asset) of a release holding this build of the tool, stripped.
fn real() -> Release {
    release_asset(Path::new(BIN))
}

/// (binary, asset) of a release holding a script that runs this build: for tests about the
/// download and its checks, where packing the real tool would only cost seconds.
fn stand_in() -> Release {
    stand_in_asset(Path::new(BIN))
}

fn installed(tmp: &Path, version: &str) -> PathBuf {
    tmp.join(format!(
        "tool-cache/stress-action/v{version}/{}/stress-action",
        host_target()
    ))
}

fn assert_used_release(run: &ActionRun, tmp: &Path, version: &str, release: Release) {
    assert_eq!(run.status, 0, "{}", run.log);
    assert_eq!(run.outputs["verdict"], "pass", "{}", run.log);
    let bin = installed(tmp, version);
    assert!(run.log.contains(&format!("using {}", bin.display())), "{}", run.log);
    assert!(
        std::fs::read(&bin).unwrap() == release.0,
        "the installed binary is the released one"
    );
}

/// The case: `@v0` (a major tag) on a runner without cargo downloads `v<Cargo version>`;
/// so do a minor tag, the full tag and a commit SHA, each on a fresh tool cache.
#[test]
fn every_ref_installs_the_release_of_the_actions_cargo_version_without_cargo() {
    let server = ReleaseServer::start();
    publish(&server, VERSION, real().1.clone());
    let sha = "0123456789abcdef0123456789abcdef01234567";
    for action_ref in ["v0", "v0.1", &format!("v{VERSION}"), sha] {
        let tmp = tempfile::tempdir().unwrap();
        let run = runner(tmp.path(), &server.base, action_ref, path_without_cargo()).run();
        assert_used_release(&run, tmp.path(), VERSION, real());
        assert!(
            run.log.contains(&format!(
                "release v{VERSION} (from the action's Cargo.toml at ref {action_ref})"
            )),
            "{}",
            run.log
        );
        assert!(
            run.log.contains("gh is not installed"),
            "the skipped attestation is a notice: {}",
            run.log
        );
    }
    let asset = format!("/v{VERSION}/{}", asset_name());
    assert_eq!(server.requests().iter().filter(|p| **p == asset).count(), 4);
}

/// The version is read from the Cargo.toml at the action's path, not from the tool or the ref:
/// a copy of the action whose Cargo.toml says 7.8.9 installs v7.8.9.
#[test]
fn the_version_comes_from_the_cargo_toml_at_the_action_path() {
    let tmp = tempfile::tempdir().unwrap();
    let action = tmp.path().join("action");
    std::fs::create_dir_all(action.join("scripts")).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(root.join("action.yml"), action.join("action.yml")).unwrap();
    for script in ["action-install.sh", "action-run.sh", "action-words.sh"] {
        std::fs::copy(root.join("scripts").join(script), action.join("scripts").join(script)).unwrap();
    }
    std::fs::write(
        action.join("Cargo.toml"),
        "[package]\nname = \"stress-action\"\nversion = \"7.8.9\"\n\n[dependencies]\nversion = \"1\"\n",
    )
    .unwrap();
    let server = ReleaseServer::start();
    publish(&server, "7.8.9", stand_in().1.clone());
    let mut runner = runner(tmp.path(), &server.base, "v7", path_without_cargo());
    runner.action_path = action;
    assert_used_release(&runner.run(), tmp.path(), "7.8.9", stand_in());

    // The `version` input overrides it, with or without the v.
    let other = tempfile::tempdir().unwrap();
    publish(&server, "9.9.9", stand_in().1.clone());
    let run = self::runner(other.path(), &server.base, "v0", path_without_cargo())
        .input("version", "9.9.9")
        .run();
    assert_used_release(&run, other.path(), "9.9.9", stand_in());

    let run = self::runner(other.path(), &server.base, "v0", path_without_cargo())
        .input("version", "latest")
        .run();
    assert_eq!(run.status, 1, "{}", run.log);
    assert!(
        run.log
            .contains("input version must be a release like v1.2.3, got 'latest'"),
        "{}",
        run.log
    );
}

/// An asset whose bytes differ from its SHA256SUMS entry is refused, and never replaced by a build.
#[test]
fn a_tampered_asset_is_refused_and_never_built() {
    let tmp = tempfile::tempdir().unwrap();
    let server = ReleaseServer::start();
    publish(&server, VERSION, stand_in().1.clone());
    let mut tampered = stand_in().1.clone();
    tampered.extend_from_slice(b"evil");
    server.put(&format!("/v{VERSION}/{}", asset_name()), tampered);

    let run = runner(tmp.path(), &server.base, "v0", fake_cargo(tmp.path())).run();
    assert_eq!(run.status, 1, "{}", run.log);
    assert!(
        run.log.contains(&format!(
            "::error::stress-action install: {} of v{VERSION} does not match its SHA256SUMS entry",
            asset_name()
        )),
        "{}",
        run.log
    );
    assert!(!installed(tmp.path(), VERSION).exists(), "nothing was installed");
    assert!(
        !tmp.path().join("cargo-args").exists(),
        "no build after a checksum mismatch"
    );
    assert!(!run.outputs.contains_key("verdict") || run.outputs["verdict"].is_empty());
}

/// A cache hit downloads nothing and checks the binary against the SHA-256 recorded at install;
/// a cached binary changed since is installed again from the release.
#[test]
fn a_cached_binary_is_verified_again_before_use() {
    let tmp = tempfile::tempdir().unwrap();
    let server = ReleaseServer::start();
    publish(&server, VERSION, real().1.clone());
    let run = runner(tmp.path(), &server.base, "v0", path_without_cargo()).run();
    assert_used_release(&run, tmp.path(), VERSION, real());
    let downloads = server.requests().len();
    assert_eq!(downloads, 2, "the asset and SHA256SUMS: {:?}", server.requests());

    let run = runner(tmp.path(), &server.base, "v0", path_without_cargo()).run();
    assert_used_release(&run, tmp.path(), VERSION, real());
    assert!(run.log.contains("SHA-256 re-verified"), "{}", run.log);
    assert_eq!(server.requests().len(), downloads, "a cache hit downloads nothing");

    let bin = installed(tmp.path(), VERSION);
    let mut bytes = std::fs::read(&bin).unwrap();
    bytes.extend_from_slice(b"tampered");
    std::fs::write(&bin, bytes).unwrap();
    let run = runner(tmp.path(), &server.base, "v0", path_without_cargo()).run();
    assert!(
        run.log.contains("::warning::stress-action install: the cached")
            && run
                .log
                .contains("does not match the SHA-256 recorded when it was installed"),
        "{}",
        run.log
    );
    assert_used_release(&run, tmp.path(), VERSION, real());
    assert_eq!(
        server.requests().len(),
        downloads * 2,
        "installed again from the release"
    );
}

/// Only a 404 for the asset builds from source, with `cargo install --locked` of the action's own
/// source; without cargo the step fails naming the URL it tried.
#[test]
fn only_a_missing_asset_builds_from_source() {
    let tmp = tempfile::tempdir().unwrap();
    let server = ReleaseServer::start();
    let url = format!("{}/v{VERSION}/{}", server.base, asset_name());
    let run = runner(tmp.path(), &server.base, "main", fake_cargo(tmp.path())).run();
    assert_eq!(run.status, 0, "{}", run.log);
    assert!(
        run.log
            .contains(&format!("no release asset {url} (404): building from source")),
        "{}",
        run.log
    );
    let args = std::fs::read_to_string(tmp.path().join("cargo-args")).expect("cargo was called");
    let expected = format!("install --locked --quiet --path {} --root", env!("CARGO_MANIFEST_DIR"));
    assert!(args.starts_with(&expected), "{args}");

    let run = runner(tmp.path(), &server.base, "main", path_without_cargo()).run();
    assert_eq!(run.status, 1, "{}", run.log);
    assert!(
        run.log
            .contains(&format!("no release asset {url} (404), and there is no cargo")),
        "{}",
        run.log
    );
}

/// A server error and an unreachable host are retried, then named (URL and reason), and never
/// turned into a build.
#[test]
fn download_failures_are_retried_then_named_and_never_built() {
    let tmp = tempfile::tempdir().unwrap();
    let server = ReleaseServer::start();
    publish(&server, VERSION, stand_in().1.clone());
    let asset = format!("/v{VERSION}/{}", asset_name());
    server.fail_with(&asset, 503);
    let run = runner(tmp.path(), &server.base, "v0", fake_cargo(tmp.path())).run();
    assert_eq!(run.status, 1, "{}", run.log);
    assert!(
        run.log.contains(&format!(
            "downloading {}{asset} failed after 4 attempts (HTTP 503)",
            server.base
        )),
        "{}",
        run.log
    );
    assert_eq!(
        server.requests().iter().filter(|p| **p == asset).count(),
        4,
        "retried 3 times"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{closed}");
    let run = runner(tmp.path(), &base, "v0", fake_cargo(tmp.path())).run();
    assert_eq!(run.status, 1, "{}", run.log);
    assert!(
        run.log.contains(&format!(
            "downloading {base}{asset} failed after 4 attempts (curl exit 7"
        )),
        "{}",
        run.log
    );
    assert!(
        !tmp.path().join("cargo-args").exists(),
        "no build after a download failure"
    );
}

/// With gh on the runner the asset's build provenance is checked against the action repository's
/// release workflow; a failed check refuses the binary; `verify-attestation: true` without gh fails.
#[test]
fn the_attestation_is_verified_when_gh_is_there() {
    let tmp = tempfile::tempdir().unwrap();
    let server = ReleaseServer::start();
    publish(&server, VERSION, stand_in().1.clone());
    let gh_log = tmp.path().join("gh-args");
    let gh = |exit: i32| {
        format!(
            "echo \"$@ token=${{GH_TOKEN:+set}}\" >> '{}'\n[ {exit} = 0 ] || echo 'no attestations found'\nexit {exit}",
            gh_log.display()
        )
    };
    let run = runner(tmp.path(), &server.base, "v0", fake_tool(tmp.path(), "gh", &gh(0))).run();
    assert_used_release(&run, tmp.path(), VERSION, stand_in());
    assert!(run.log.contains("build provenance of"), "{}", run.log);
    let args = std::fs::read_to_string(&gh_log).unwrap();
    assert!(args.starts_with("attestation verify "), "{args}");
    assert!(
        args.contains(&asset_name())
            && args.contains(
                "--repo org/stress-action --signer-workflow org/stress-action/.github/workflows/release.yml token=set"
            ),
        "{args}"
    );

    let other = tempfile::tempdir().unwrap();
    let run = runner(other.path(), &server.base, "v0", fake_tool(tmp.path(), "gh", &gh(1))).run();
    assert_eq!(run.status, 1, "{}", run.log);
    assert!(
        run.log.contains("no attestations found"),
        "gh's answer is shown: {}",
        run.log
    );
    assert!(run.log.contains("could not be verified"), "{}", run.log);
    assert!(!installed(other.path(), VERSION).exists());

    let run = runner(other.path(), &server.base, "v0", path_without_cargo())
        .input("verify-attestation", "true")
        .run();
    assert_eq!(run.status, 1, "{}", run.log);
    assert!(
        run.log.contains("verify-attestation: true needs the gh CLI"),
        "{}",
        run.log
    );
}

/// A Windows runner stops at once with a message saying what to do, before any download.
#[test]
fn windows_fails_at_once_with_a_clear_message() {
    let tmp = tempfile::tempdir().unwrap();
    let server = ReleaseServer::start();
    let mut runner = runner(tmp.path(), &server.base, "v0", fake_cargo(tmp.path()));
    runner.extra_env.push(("RUNNER_OS".into(), "Windows".into()));
    let started = Instant::now();
    let run = runner.run();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(run.status, 1, "{}", run.log);
    assert!(
        run.log
            .contains("::error::stress-action install: Windows runners are not supported")
            && run.log.contains("ubuntu-latest"),
        "{}",
        run.log
    );
    assert!(server.requests().is_empty(), "nothing downloaded");
    assert!(!tmp.path().join("cargo-args").exists(), "nothing built");
}
