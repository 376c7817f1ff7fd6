#!/usr/bin/env bash
# Installs the stress-action binary for the action's ref, for action.yml's install step.
#
# Order: an explicit pre-built binary (input `binary`); the runner's tool cache; the release asset for
# this ref and the runner's OS/arch, verified against the release's SHA256SUMS (a mismatch is fatal,
# never a reason to fall back); and only when no asset exists (a branch ref, a fork), a build from the
# action's own source with `cargo install --locked`. Writes `binary=PATH` to $GITHUB_OUTPUT.
set -euo pipefail

emit() { echo "binary=$1" >> "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"; echo "stress-action: using $1"; }

if [ -n "${INPUT_BINARY:-}" ]; then
  if [ ! -x "$INPUT_BINARY" ] || [ -d "$INPUT_BINARY" ]; then
    echo "::error::input binary: '$INPUT_BINARY' is not an executable file"
    exit 1
  fi
  emit "$INPUT_BINARY"
  exit 0
fi

version=${INPUT_VERSION:-${ACTION_REF:-}}
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) target=x86_64-unknown-linux-gnu ;;
  Linux-aarch64 | Linux-arm64) target=aarch64-unknown-linux-gnu ;;
  *) target= ;;
esac
cache_root=${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}}/stress-action

# Only tags look like releases; a branch or a SHA has no asset and goes straight to the build.
if [ -n "$version" ] && [ -n "$target" ] && [[ "$version" =~ ^v[0-9] ]]; then
  dir="$cache_root/$version/$target"
  if [ -x "$dir/stress-action" ]; then
    emit "$dir/stress-action"
    exit 0
  fi
  base=${STRESS_ACTION_DOWNLOAD_BASE:-${GITHUB_SERVER_URL:-https://github.com}/${ACTION_REPOSITORY:-}/releases/download}
  asset="stress-action-$target.tar.gz"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  if curl -fsSL --retry 3 --max-time 120 -o "$tmp/$asset" "$base/$version/$asset" &&
    curl -fsSL --retry 3 --max-time 60 -o "$tmp/SHA256SUMS" "$base/$version/SHA256SUMS"; then
    if ! (cd "$tmp" && grep -E "^[0-9a-f]{64}  $asset\$" SHA256SUMS | sha256sum -c --status -); then
      echo "::error::$asset of $version does not match its SHA256SUMS entry: refusing to run it"
      exit 1
    fi
    mkdir -p "$dir"
    tar -xzf "$tmp/$asset" -C "$dir" stress-action
    chmod +x "$dir/stress-action"
    emit "$dir/stress-action"
    exit 0
  fi
  echo "::notice::no release asset for $version ($target): building from source"
fi

if ! command -v cargo >/dev/null; then
  echo "::error::no release asset for '${version:-this ref}' and no cargo to build one: use a release tag (e.g. @v1) or install Rust first"
  exit 1
fi
rev=$(git -C "${GITHUB_ACTION_PATH:?}" rev-parse HEAD 2>/dev/null || echo unversioned)
dir="$cache_root/source-$rev"
if [ ! -x "$dir/bin/stress-action" ] || [ "$rev" = unversioned ]; then
  cargo install --locked --quiet --path "$GITHUB_ACTION_PATH" --root "$dir"
fi
emit "$dir/bin/stress-action"
