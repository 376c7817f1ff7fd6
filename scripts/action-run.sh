#!/usr/bin/env bash
# The run step of action.yml: turns INPUT_* environment variables into flags and runs the tool.
#
# Inputs arrive only through the environment and are passed as separate argv elements, never through
# eval or an unquoted expansion, so an input like `$(touch /tmp/pwned)` is a literal string. The
# step fails when the verdict is fail (exit 1), inconclusive (exit 3, unless fail-on-inconclusive is
# false: a platform that could not be tested is not green), or the configuration is unusable (exit
# 2); a failed upload after a run is a warning. The `args` input is split like a shell splits a
# command line (quotes respected) by scripts/action-words.sh, never evaluated. With INPUT_PUBLISH_DIR the step publishes an
# existing run directory instead (the fork-PR recipe) and fails when publishing fails. The `verdict`
# output is always written by the tool from report.json, never made up here.
set -uo pipefail
# shellcheck source=scripts/action-words.sh
. "$(dirname "${BASH_SOURCE[0]}")/action-words.sh"

bin=${STRESS_ACTION_BIN:?the install step did not provide a binary}
fail_on_inconclusive=${INPUT_FAIL_ON_INCONCLUSIVE:-true}
case $fail_on_inconclusive in
  true | false) ;;
  *) echo "::error::input fail-on-inconclusive must be true or false, got '$fail_on_inconclusive'"; exit 2 ;;
esac
out_dir=${INPUT_OUT:-}
if [ -z "$out_dir" ]; then
  out_dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/stress-action/${GITHUB_RUN_ID:-local}-${GITHUB_RUN_ATTEMPT:-1}${INPUT_SHARD:+-shard-${INPUT_SHARD//\//-of-}}"
fi

flag() { # flag NAME VALUE: add `--NAME VALUE` when VALUE is not empty
  if [ -n "$2" ]; then args+=("--$1" "$2"); fi
}
pr=${INPUT_PR:-${STRESS_ACTION_PR:-}}
publish_only=${INPUT_PUBLISH_DIR:-}

if [ -n "$publish_only" ]; then
  # The second workflow of the fork-PR recipe: publish a run directory another job produced.
  out_dir=$publish_only
  args=(publish "$out_dir")
else
  args=(run --out "$out_dir")
  flag profile "${INPUT_PROFILE:-}"
  flag workload "${INPUT_WORKLOAD:-}"
  flag modes "${INPUT_MODES:-}"
  flag seed "${INPUT_SEED:-}"
  flag provider "${INPUT_PROVIDER:-}"
  flag label "${INPUT_LABEL:-}"
  flag endpoint "${INPUT_ENDPOINT:-}"
  flag provider-cmd "${INPUT_PROVIDER_CMD:-}"
  flag restores "${INPUT_RESTORES:-}"
  flag rounds "${INPUT_ROUNDS:-}"
  flag concurrency "${INPUT_CONCURRENCY:-}"
  flag marker-size "${INPUT_MARKER_SIZE:-}"
  flag burst-size "${INPUT_BURST_SIZE:-}"
  flag stagger-ms "${INPUT_STAGGER_MS:-}"
  flag ready-cmd "${INPUT_READY_CMD:-}"
  # `ramp: 100/s..800/s over 5m` is --ramp and --over; without `over` the duration input is --over.
  # A last word `linear` (or `stepped`) is --ramp-shape.
  ramp=${INPUT_RAMP:-}
  for shape in linear stepped; do
    if [[ $ramp == *" $shape" ]]; then
      ramp=${ramp% "$shape"}
      ramp=${ramp%"${ramp##*[! ]}"}
      flag ramp-shape "$shape"
    fi
  done
  if [ -n "$ramp" ]; then
    if [[ $ramp == *" over "* ]]; then
      flag ramp "${ramp%% over *}"
      flag over "${ramp##* over }"
    else
      flag ramp "$ramp"
      flag over "${INPUT_DURATION:-}"
    fi
  else
    flag duration "${INPUT_DURATION:-}"
  fi
  flag rate "${INPUT_RATE:-}"
  flag max-infra-rate "${INPUT_MAX_INFRA_RATE:-}"
  flag config "${INPUT_CONFIG:-}"
  flag shard "${INPUT_SHARD:-}"
  # One threshold per line, each its own argv element: never split on spaces, never evaluated.
  while IFS= read -r line; do
    if [[ $line =~ [^[:space:]] ]]; then args+=(--threshold "$line"); fi
  done <<< "${INPUT_THRESHOLDS:-}"
fi
flag baseline "${INPUT_BASELINE:-}"
flag fail-on-regression "${INPUT_FAIL_ON_REGRESSION:-}"

publish=()
if [ -n "${INPUT_S3_BUCKET:-}" ]; then
  publish+=(--s3-bucket "$INPUT_S3_BUCKET")
  [ -n "${INPUT_S3_PREFIX:-}" ] && publish+=(--s3-prefix "$INPUT_S3_PREFIX")
  [ -n "${INPUT_S3_ENDPOINT:-}" ] && publish+=(--s3-endpoint "$INPUT_S3_ENDPOINT")
  [ -n "${INPUT_PUBLIC_BASE_URL:-}" ] && publish+=(--public-base-url "$INPUT_PUBLIC_BASE_URL")
  [ -n "${INPUT_PRESIGN_DAYS:-}" ] && publish+=(--presign-days "$INPUT_PRESIGN_DAYS")
fi
[ -n "${INPUT_SAVE_BASELINE:-}" ] && publish+=(--save-baseline "$INPUT_SAVE_BASELINE")
if [ "${INPUT_COMMENT:-true}" = true ] && [ -n "$pr" ]; then
  publish+=(--pr "$pr")
  [ -n "${INPUT_COMMENT_AUTHOR:-}" ] && publish+=(--comment-author "$INPUT_COMMENT_AUTHOR")
fi
# The comment key names the job's comment and its default S3 prefix, with or without a comment.
if [ ${#publish[@]} -gt 0 ]; then publish+=(--comment-key "${INPUT_COMMENT_KEY:-default}"); fi
if [ -n "$publish_only" ]; then
  args+=("${publish[@]}")
elif [ ${#publish[@]} -gt 0 ]; then
  args+=(--publish "${publish[@]}")
fi

# Extra flags: split like a shell splits a command line, quotes respected; nothing is evaluated.
if ! split_words "${INPUT_ARGS:-}"; then
  echo "::error::input args: unterminated quote in '${INPUT_ARGS:-}'"
  exit 2
fi
extra=(${words[@]+"${words[@]}"})

# ${a[@]+"${a[@]}"}: an empty array under `set -u` in the bash 3.2 of macOS.
printf 'stress-action'; printf ' %q' "${args[@]}" ${extra[@]+"${extra[@]}"}; echo
"$bin" "${args[@]}" ${extra[@]+"${extra[@]}"}
code=$?

# Outputs the tool did not write (e.g. it stopped before rendering) still get a value.
if [ -n "${GITHUB_OUTPUT:-}" ] && ! grep -Eq '^report-dir(=|<<)' "$GITHUB_OUTPUT" 2>/dev/null; then
  echo "report-dir=$out_dir" >> "$GITHUB_OUTPUT"
fi
case $code in
  0) ;;
  1) echo "::error::stress-action: verdict fail (see $out_dir/summary.md)"; exit 1 ;;
  3)
    if [ "$fail_on_inconclusive" = true ]; then
      echo "::error::stress-action: verdict inconclusive: too little was verified to tell (see $out_dir/summary.md; fail-on-inconclusive: false only warns)"
      exit 3
    fi
    echo "::warning::stress-action: verdict inconclusive: too little was verified to tell" ;;
  4)
    if [ -n "$publish_only" ]; then
      echo "::error::stress-action: publishing failed; the run directory is $out_dir"; exit 4
    fi
    echo "::warning::stress-action: publishing failed; results are in $out_dir" ;;
  *) echo "::error::stress-action exited with $code"; exit "$code" ;;
esac
