#!/usr/bin/env bash
# Run every fuzz target for SECONDS seconds (default 60) from its seed corpus in
# fuzz/corpus/TARGET. New inputs go to target/fuzz-corpus/TARGET, so the repository's
# corpus is only read. Exits non-zero when any target finds a crash (its input is saved in
# fuzz/artifacts/TARGET/; replay it with `cargo +nightly fuzz run TARGET FILE`).
# Needs a nightly toolchain; installs cargo-fuzz when it is missing.
set -euo pipefail
seconds="${1:-60}"
cd "$(dirname "$0")"
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz/run.sh: needs a nightly toolchain (rustup toolchain install nightly)" >&2
  exit 2
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
# One build for all targets, so that each target's time is spent fuzzing.
cargo +nightly fuzz build
failed=()
for target in $(cargo +nightly fuzz list); do
  scratch="../target/fuzz-corpus/$target"
  mkdir -p "$scratch"
  dict=()
  [[ -f "dict/$target.dict" ]] && dict=(-dict="dict/$target.dict")
  echo "== fuzz $target for ${seconds}s" >&2
  # -timeout: an input that runs for 20 s is a hang (a script's sandbox stops it in about
  # one); -print_final_stats: the executions, for the record.
  if ! cargo +nightly fuzz run "$target" "$scratch" "corpus/$target" -- \
    -max_total_time="$seconds" -timeout=20 -print_final_stats=1 "${dict[@]}"; then
    failed+=("$target")
  fi
done
if ((${#failed[@]})); then
  echo "fuzz/run.sh: crashes in ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
