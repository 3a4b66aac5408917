#!/usr/bin/env bash
# bench/av-demo.sh: the narrated-slides demo (examples/narrated-slides), built by
# `job build -j2` against the same FFmpeg and espeak-ng commands run one after another by a
# plain shell script (bench/av-demo-sequential.sh), both from clean. Then job's incremental
# rebuild after one slide's script is edited, and its no-op rebuild (target: under 100 ms).
# Times come from hyperfine (medians); the table goes to stdout.
#
#   bench/av-demo.sh [--runs N] [--job PATH]
#
# --job PATH (or JOB=PATH) uses that binary; by default job is built in release mode in
# .build-bench (as bench/run does). Work happens in bench/work/av-demo/ (git-ignored).
# Needs: hyperfine, ffmpeg, espeak-ng, fonts-dejavu-core, python3 (to read hyperfine's JSON).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
runs=5
job=${JOB:-}
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=$2; shift 2 ;;
        --job) job=$2; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "bench/av-demo.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

for tool in hyperfine ffmpeg ffprobe espeak-ng python3; do
    command -v "$tool" >/dev/null || { echo "bench/av-demo.sh: '$tool' is not installed" >&2; exit 1; }
done
if [ -z "$job" ]; then
    echo "building job (release, .build-bench)..." >&2
    swift build -c release --static-swift-stdlib --scratch-path .build-bench >&2
    job=$root/.build-bench/release/job
fi
job=$(cd "$(dirname "$job")" && pwd)/$(basename "$job")

work=$root/bench/work/av-demo
rm -rf "$work"
mkdir -p "$work"
for side in job plain; do
    mkdir -p "$work/$side"
    cp -R examples/narrated-slides/Jobfile examples/narrated-slides/slides examples/narrated-slides/tools "$work/$side/"
done
j=$work/job
p=$work/plain
slide=$j/slides/03-incremental.txt
cp "$slide" "$work/slide.orig"

hf() { hyperfine --style none --export-json "$@" >&2; }
median() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(" ".join("%.3f" % x["median"] for x in r))' "$1"; }

echo "full builds, $runs runs each..." >&2
hf "$work/full.json" --runs "$runs" \
    --command-name "job build -j2" --prepare "rm -rf '$j/build' '$j/cache'" "'$job' build -C '$j' -j2" \
    --command-name "sequential script" --prepare "rm -rf '$p/build'" "sh '$root/bench/av-demo-sequential.sh' '$p'"
read -r full_job full_plain < <(median "$work/full.json")

# Same commands, same bytes: the two final videos must be identical.
if cmp -s "$j/build/narrated-slides.mp4" "$p/build/narrated-slides.mp4"; then same=yes; else same=NO; fi
instances=$("$job" build -C "$j" --json -n | python3 -c 'import json,sys; print(sum(1 for l in sys.stdin if json.loads(l)["event"]=="rule"))')

# One slide's script edited: a short sentence added, with a counter so that the text is new
# at every run (an edit seen before would be restored from the cache, not rebuilt).
echo "one slide edited, $runs runs..." >&2
echo 1 > "$work/edits"
hf "$work/edit.json" --runs "$runs" \
    --prepare "n=\$(cat '$work/edits'); echo \$((n + 1)) > '$work/edits'; cp '$work/slide.orig' '$slide' && echo \"Edit \$n.\" >> '$slide'" \
    --command-name "job build -j2 (one slide edited)" "'$job' build -C '$j' -j2"
read -r edit_job < <(median "$work/edit.json")
# How many rules such an edit runs (one more edit, counted from the JSON summary).
cp "$work/slide.orig" "$slide"
echo "One more edit." >> "$slide"
built=$("$job" build -C "$j" --json -j2 | python3 -c 'import json,sys; print([json.loads(l) for l in sys.stdin][-1]["built"])')
cp "$work/slide.orig" "$slide"
"$job" build -C "$j" -j2 >/dev/null

echo "no-op rebuilds..." >&2
# Also timed: what asking FFmpeg for its version costs (job does it at each build, for the key).
hf "$work/noop.json" -N --warmup 3 --runs 30 --command-name "job build -j2 (no-op)" "$job build -C $j -j2" \
    "ffmpeg -version" "ffprobe -version" "espeak-ng --version"
read -r noop v_ffmpeg v_ffprobe v_espeak < <(median "$work/noop.json")

ms() { python3 -c 'import sys; print("%.0f ms" % (float(sys.argv[1]) * 1000))' "$1"; }
s() { python3 -c 'import sys; print("%.2f s" % float(sys.argv[1]))' "$1"; }
ratio=$(python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$full_plain" "$full_job")
target=$(python3 -c 'import sys; print("met" if float(sys.argv[1]) < 0.1 else "MISSED")' "$noop")

cat <<EOF

narrated-slides demo ($instances rule instances; $(nproc) cores; $(ffmpeg -version | head -n 1 | cut -d' ' -f1-3))

| scenario                                   | median    |
|--------------------------------------------|-----------|
| sequential shell script, from clean        | $(printf '%-9s' "$(s "$full_plain")") |
| job build -j2, from clean                  | $(printf '%-9s' "$(s "$full_job")") |
| job build -j2, one slide edited ($built rules) | $(printf '%-9s' "$(s "$edit_job")") |
| job build -j2, no-op                       | $(printf '%-9s' "$(ms "$noop")") |

full build: the script takes ${ratio}x job's time; final videos byte-identical: $same
no-op under 100 ms: $target; for comparison, \`ffmpeg -version\` takes $(ms "$v_ffmpeg"), \`ffprobe -version\`
$(ms "$v_ffprobe"), \`espeak-ng --version\` $(ms "$v_espeak")
($runs runs per build scenario, 30 no-op runs; hyperfine medians)
EOF
