#!/usr/bin/env bash
# Makes sure /usr/bin/chromium is there (Debian's `chromium` package, from apt) for the browser
# test of report pages (tests/browser.rs, which drives it with the playwright that
# benches/duckdb-venv.sh installs). Idempotent: nothing is done when it is already installed.
# .ci/run calls it before `cargo test`, so that a failure to install is reported there and the
# browser test never skips under CI. Prints the browser's path.
set -euo pipefail
chromium=/usr/bin/chromium
# Tests run in parallel: one install at a time, the others wait for it.
mkdir -p /tmp/assay-locks
exec 9>/tmp/assay-locks/chromium.lock
flock 9
if [ ! -x "$chromium" ]; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2
fi
"$chromium" --version >&2
echo "$chromium"
