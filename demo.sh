#!/usr/bin/env bash
# The two-minute tour: install what is missing, build job (release), build the example
# project examples/text-report from scratch, show what it made, then build again to show
# that nothing runs when nothing changed. Run from the repository root: ./demo.sh
set -euo pipefail

cd "$(dirname "$0")"

if ! command -v swift >/dev/null 2>&1; then
    echo "error: swift is not on PATH (install it from https://www.swift.org/install/)" >&2
    exit 1
fi

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }

step "Packages"
.ci/install-packages

step "Building job (release; the first time takes a few minutes)"
swift build -c release
job="$PWD/.build/release/job"
"$job" --version

example=examples/text-report
step "The example's Jobfile: $example/Jobfile"
cat "$example/Jobfile"

# Start from scratch so that the first build shows every rule running.
rm -rf "$example/build" "$example/cache"

step "job build   (first build: every rule runs)"
(cd "$example" && "$job" build)

step "What it made: $example/build/report.txt"
cat "$example/build/report.txt"

step "job build   (again: nothing changed, so nothing runs)"
(cd "$example" && "$job" build)

cat <<MSG

Next: edit a line of $example/scripts/02-body.txt and run
    (cd $example && $job build -v)
to see only the rules that depend on it run again; undo the edit and build once more to see
them restored from the cache. See README.md and docs/ for more.
MSG
