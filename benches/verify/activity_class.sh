#!/usr/bin/env bash
# Prints the class of every activity that rules/functions/*.assay declares, as CSV
# (spelling,class), each activity by its name and by its title (lowercased, when that differs), as
# `assay verify` matches an `activity` cell. benches/verify/activity_class.csv is its output;
# run.sh checks that the two still agree.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "spelling,class"
sed -nE 's/^[[:space:]]*activity ([a-z_]+) "([^"]*)" : ([a-z]+).*/\1|\2|\3/p' rules/functions/*.assay |
  while IFS='|' read -r name title class; do
    echo "$name,$class"
    t=$(printf '%s' "$title" | tr '[:upper:]' '[:lower:]')
    [ "$t" != "$name" ] || continue # `credit` is titled "Credit": one spelling
    case "$t" in *,*) t="\"$t\"" ;; esac
    echo "$t,$class"
  done
