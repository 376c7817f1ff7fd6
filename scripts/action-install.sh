#!/usr/bin/env bash
# Installs the stress-action binary for action.yml's install step; writes `binary=PATH` to
# $GITHUB_OUTPUT.
#
# Which release: the version in the action's own Cargo.toml (at GITHUB_ACTION_PATH, the exact commit
# of the ref in use), so `@v1`, `@v1.2`, `@v1.2.3` and `@<sha of a release commit>` all get the
# prebuilt asset of `v<version>`; release.yml refuses a tag that differs from Cargo.toml's version.
# The `version` input overrides it.
#
# Order: the `binary` input; the tool cache (keyed by version and target, the binary re-checked
# against the SHA-256 recorded when it was installed); the release asset for the runner's OS/arch,
# verified against the release's SHA256SUMS and, when `gh` is available, its build provenance
# attestation. Downloads are retried; a failure names the URL and the reason. Only an asset the
# server does not have (404) falls back to `cargo install --locked` from the action's source: a
# checksum mismatch, a failed attestation or a network failure stops the step. Windows stops at once.
set -euo pipefail

retries=3
asset_name() { echo "stress-action-$1.tar.gz"; }

fail() {
  echo "::error::stress-action install: $*"
  exit 1
}

emit() {
  echo "binary=$1" >> "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
  echo "stress-action: using $1"
}

sha256_of() {
  if command -v sha256sum > /dev/null; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# The release target of this runner, or nothing when no asset is built for it.
runner_target() {
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) echo x86_64-unknown-linux-gnu ;;
    Linux-aarch64 | Linux-arm64) echo aarch64-unknown-linux-gnu ;;
    Darwin-arm64 | Darwin-aarch64) echo aarch64-apple-darwin ;;
    Darwin-x86_64) echo x86_64-apple-darwin ;;
    *) echo "" ;;
  esac
}

# The version to install, without the leading v: the `version` input, else the action's Cargo.toml.
wanted_version() {
  local v=${INPUT_VERSION:-}
  if [ -n "$v" ]; then
    v=${v#v}
  else
    local manifest=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}/Cargo.toml
    [ -f "$manifest" ] || return 1
    v=$(awk -F'"' '/^\[/ { pkg = ($0 == "[package]") } pkg && /^version[[:space:]]*=/ { print $2; exit }' "$manifest")
  fi
  echo "$v"
}

# download URL FILE: 0 when saved, 44 when the server says 404 (the asset does not exist). Any other
# answer, after the retries, stops the install naming the URL and what went wrong.
download() {
  local url=$1 out=$2 code rc err
  err=$(mktemp)
  if code=$(curl -sSL --retry "$retries" --retry-delay 1 --retry-connrefused --connect-timeout 10 \
    --max-time 300 -o "$out" -w '%{http_code}' "$url" 2> "$err"); then rc=0; else rc=$?; fi
  if [ "$rc" = 0 ] && [ "$code" = 200 ]; then
    rm -f "$err"
    return 0
  fi
  if [ "$rc" = 0 ] && [ "$code" = 404 ]; then
    rm -f "$err"
    return 44
  fi
  local why
  if [ "$rc" = 0 ]; then why="HTTP $code"; else why="curl exit $rc: $(tr '\n' ' ' < "$err")"; fi
  rm -f "$err"
  fail "downloading $url failed after $((retries + 1)) attempts ($why)"
}

# Checks the asset's build provenance with `gh attestation verify` when gh is there (the signer must
# be this repository's release workflow); without gh the check is skipped with a notice.
verify_attestation() {
  local file=$1 mode=${INPUT_VERIFY_ATTESTATION:-auto} repo=$ACTION_REPOSITORY out
  case $mode in
    false)
      echo "::notice::stress-action install: build provenance not checked (verify-attestation: false)"
      return 0 ;;
    auto | true) ;;
    *) fail "input verify-attestation must be auto, true or false, got '$mode'" ;;
  esac
  if ! command -v gh > /dev/null; then
    [ "$mode" = true ] && fail "verify-attestation: true needs the gh CLI, which is not on this runner"
    echo "::notice::stress-action install: gh is not installed, so the build provenance attestation of $(basename "$file") was not verified (its SHA256SUMS entry was)"
    return 0
  fi
  if ! out=$(gh attestation verify "$file" --repo "$repo" \
    --signer-workflow "$repo/.github/workflows/release.yml" 2>&1); then
    echo "$out"
    fail "the build provenance attestation of $(basename "$file") could not be verified against $repo's release workflow: refusing to run it (verify-attestation: false skips this check)"
  fi
  echo "stress-action: build provenance of $(basename "$file") verified (gh attestation verify --repo $repo)"
}

# install_release VERSION TARGET DIR: downloads, verifies and unpacks the release asset into DIR; an
# asset the release does not have (404) is built from source instead.
install_release() {
  local version=$1 target=$2 dir=$3 asset base expected actual rc
  asset=$(asset_name "$target")
  base=${STRESS_ACTION_DOWNLOAD_BASE:-${GITHUB_SERVER_URL:-https://github.com}/$ACTION_REPOSITORY/releases/download}
  if download "$base/v$version/$asset" "$work/$asset"; then rc=0; else rc=$?; fi
  [ "$rc" = 0 ] || build_from_source "no release asset $base/v$version/$asset (404)"
  if download "$base/v$version/SHA256SUMS" "$work/SHA256SUMS"; then rc=0; else rc=$?; fi
  [ "$rc" = 0 ] || fail "v$version has $asset but no SHA256SUMS ($base/v$version/SHA256SUMS: 404): refusing to run an unchecked binary"
  expected=$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1; exit }' "$work/SHA256SUMS")
  [ -n "$expected" ] || fail "SHA256SUMS of v$version has no entry for $asset: refusing to run it"
  actual=$(sha256_of "$work/$asset")
  [ "$actual" = "$expected" ] ||
    fail "$asset of v$version does not match its SHA256SUMS entry (expected $expected, got $actual): refusing to run it"
  verify_attestation "$work/$asset"
  mkdir -p "$work/unpacked" "$dir"
  tar -xzf "$work/$asset" -C "$work/unpacked" stress-action || fail "$asset of v$version holds no stress-action binary"
  chmod +x "$work/unpacked/stress-action"
  mv -f "$work/unpacked/stress-action" "$dir/stress-action"
  # Recorded now, checked on every later cache hit: a cached binary is trusted only while it is
  # byte for byte the one that passed the checks above.
  sha256_of "$dir/stress-action" > "$dir/stress-action.sha256"
  echo "stress-action: installed v$version ($target); SHA-256 $actual matches SHA256SUMS"
}

# The last resort: build the action's own source. Only when no asset exists for this ref.
build_from_source() {
  local why=$1 rev dir
  if ! command -v cargo > /dev/null; then
    fail "$why, and there is no cargo on this runner to build it from source: use a released version of the action (e.g. @v1) or install Rust before this step"
  fi
  echo "::notice::stress-action install: $why: building from source with cargo (this takes minutes)"
  rev=$(git -C "${GITHUB_ACTION_PATH:?}" rev-parse HEAD 2> /dev/null || echo unversioned)
  dir="$cache_root/source-$rev"
  if [ ! -x "$dir/bin/stress-action" ] || [ "$rev" = unversioned ]; then
    cargo install --locked --quiet --path "$GITHUB_ACTION_PATH" --root "$dir"
  fi
  emit "$dir/bin/stress-action"
  exit 0
}

if [ "${RUNNER_OS:-}" = Windows ] || [[ "$(uname -s)" =~ ^(MINGW|MSYS|CYGWIN|Windows) ]]; then
  fail "Windows runners are not supported: the sandboxes, signals and checks of stress-action are Unix-only. Run this job on ubuntu-latest or macos-latest."
fi

if [ -n "${INPUT_BINARY:-}" ]; then
  if [ ! -x "$INPUT_BINARY" ] || [ -d "$INPUT_BINARY" ]; then
    fail "input binary: '$INPUT_BINARY' is not an executable file"
  fi
  emit "$INPUT_BINARY"
  exit 0
fi

cache_root=${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}}/stress-action
version=$(wanted_version) || fail "no Cargo.toml at the action's path ${GITHUB_ACTION_PATH:-}: cannot tell which release to install"
if ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$ ]]; then
  if [ -n "${INPUT_VERSION:-}" ]; then
    fail "input version must be a release like v1.2.3, got '$INPUT_VERSION'"
  fi
  fail "the action's Cargo.toml has no usable package version (got '$version')"
fi
target=$(runner_target)
ACTION_REPOSITORY=${ACTION_REPOSITORY:-}
if [ -n "${INPUT_VERSION:-}" ]; then from="the version input"; else from="the action's Cargo.toml at ref ${ACTION_REF:-unknown}"; fi
echo "stress-action: release v$version (from $from), target ${target:-none}"

[ -n "$target" ] || build_from_source "no release asset is built for $(uname -s) $(uname -m)"
if [ -z "$ACTION_REPOSITORY" ] && [ -z "${STRESS_ACTION_DOWNLOAD_BASE:-}" ]; then
  build_from_source "the action runs from a local checkout (uses: ./), which has no release"
fi

dir="$cache_root/v$version/$target"
if [ -f "$dir/stress-action" ]; then
  recorded=$(cat "$dir/stress-action.sha256" 2> /dev/null || true)
  if [ -n "$recorded" ] && [ "$(sha256_of "$dir/stress-action")" = "$recorded" ]; then
    echo "stress-action: cached v$version ($target), SHA-256 re-verified"
    emit "$dir/stress-action"
    exit 0
  fi
  echo "::warning::stress-action install: the cached $dir/stress-action does not match the SHA-256 recorded when it was installed: installing it again"
  rm -rf "$dir"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
install_release "$version" "$target" "$dir"
emit "$dir/stress-action"
