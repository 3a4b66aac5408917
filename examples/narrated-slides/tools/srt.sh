#!/bin/sh
# srt.sh OUT TEXT... CLIP...
#
# Writes OUT, an SRT file of subtitles for CLIPs played one after another: one cue per
# sentence of each TEXT (the narration of the clip with the same rank), timed within the
# clip's length (from ffprobe) in proportion to the sentence's length. Needs ffprobe and awk.
set -eu

out=$1
shift
if [ $# -eq 0 ] || [ $(($# % 2)) -ne 0 ]; then
    echo "usage: srt.sh OUT TEXT... CLIP... (as many texts as clips)" >&2
    exit 2
fi
n=$(($# / 2))

# One line per clip: its start, its length, its text (lines joined), tab-separated.
start=0
i=1
lines=""
while [ "$i" -le "$n" ]; do
    eval "text=\${$i}"
    eval "clip=\${$((i + n))}"
    length=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$clip")
    words=$(tr '\n\t' '  ' < "$text")
    lines="$lines$start	$length	$words
"
    start=$(awk -v a="$start" -v b="$length" 'BEGIN { printf "%.6f", a + b }')
    i=$((i + 1))
done

printf '%s' "$lines" | awk -F '\t' '
    function stamp(t,   ms) {
        ms = int(t * 1000 + 0.5)
        return sprintf("%02d:%02d:%02d,%03d", int(ms / 3600000), int(ms / 60000) % 60, int(ms / 1000) % 60, ms % 1000)
    }
    {
        text = $3
        gsub(/[[:space:]]+/, " ", text)
        sub(/^ /, "", text); sub(/ $/, "", text)
        if (text == "") next
        # Split after . ! or ? followed by a space: one cue per sentence.
        gsub(/[.!?]+ /, "&\n", text)
        count = split(text, part, "\n")
        total = 0
        for (k = 1; k <= count; k++) { sub(/ $/, "", part[k]); total += length(part[k]) }
        t = $1
        for (k = 1; k <= count; k++) {
            if (part[k] == "") continue
            end = t + $2 * length(part[k]) / total
            printf "%d\n%s --> %s\n%s\n\n", ++cue, stamp(t), stamp(end), part[k]
            t = end
        }
    }' > "$out"
