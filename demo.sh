#!/usr/bin/env bash
# The tour: install what is missing, build job (release), then build the example project
# examples/narrated-slides from scratch: a narrated, subtitled, watermarked video made from
# four text files. Then build again to show that nothing runs when nothing changed, edit one
# slide's script to show that only that slide and the joins after it run again, and undo
# the edit to show the old files coming back from the cache. The slide file is restored
# at the end, whatever happens. Run from the repository root: ./demo.sh
# (JOB=path/to/job ./demo.sh uses that binary instead of building one.)
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

if [ -n "${JOB:-}" ]; then
    job=$(cd "$(dirname "$JOB")" && pwd)/$(basename "$JOB")    # JOB=path/to/job ./demo.sh
else
    step "Building job (release; the first time takes a few minutes)"
    swift build -c release
    job="$PWD/.build/release/job"
fi
"$job" --version

example=examples/narrated-slides
slide=slides/03-incremental.txt
saved=$(mktemp)
cp "$example/$slide" "$saved"
# Whatever happens below, put the slide back as it was.
trap 'cp "$saved" "$example/$slide"; rm -f "$saved"' EXIT

step "The example: $example"
echo "Four slides, one text file each (line 1: the title; then what the voice says):"
for f in "$example"/slides/*.txt; do
    printf '\n  %s\n' "${f#"$example"/}"
    sed 's/^/    | /' "$f"
done
echo
echo "Its Jobfile turns them into pictures (ffmpeg drawtext), narrations (tts) and clips"
echo "(still), joins the clips (concat), burns in subtitles, lays a watermark over them"
echo "(overlay), mixes generated music under the voice, ducked, at -16 LUFS (mix), and"
echo "muxes the final MP4."

# Start from scratch so that the first build shows every rule running.
rm -rf "$example/build" "$example/cache"

step "job build   (first build: every rule runs)"
(cd "$example" && "$job" build)

step "What it made: $example/build/narrated-slides.mp4"
ffprobe -v error -show_entries format=duration,size:stream=codec_name,width,height \
    -of compact=p=0 "$example/build/narrated-slides.mp4" | sed 's/^/  /'

step "job build   (again: nothing changed, so nothing runs)"
(cd "$example" && "$job" build)

step "Editing one slide's script: $slide"
sed -i 's/Everything else is up to date\./The other slides are up to date./' "$example/$slide"
diff "$saved" "$example/$slide" | sed 's/^/  /' || true

step "job build   (only that slide's chain and the joins after it run)"
(cd "$example" && "$job" build)
cat <<'MSG'
  The slide's title did not change: its title file came out identical, so its picture was
  not drawn again, and the other three slides were up to date.
MSG

step "Undoing the edit, and job build   (the old files come back from the cache)"
cp "$saved" "$example/$slide"
(cd "$example" && "$job" build)

cat <<MSG

The video: $example/build/narrated-slides.mp4. Next, in $example:
  $job explain build/narrated-slides.mp4
      why the video is up to date (or would be rebuilt)
  edit a slide, then: $job build -n
      what would run, and why, with the exact ffmpeg and espeak-ng commands
More examples: examples/podcast, examples/reel, examples/text-report (no media tools).
Templates to copy: Jobfiles/. The recipes: docs/recipes.md. More in README.md and docs/.
MSG
