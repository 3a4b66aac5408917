#!/bin/sh
# av-demo-sequential.sh DIR
#
# What `job build` does for examples/narrated-slides, as a plain shell script: the same
# commands (copied from `job build -n`), run one after another, with nothing skipped and
# nothing cached. DIR is a copy of examples/narrated-slides (Jobfile, slides/, tools/); the
# outputs go to DIR/build/, and build/narrated-slides.mp4 comes out byte-identical to the
# one `job build` makes. bench/av-demo.sh times this script against `job build -j2`.
#
# Where a built-in recipe reads its inputs before running (a length for -t, a loudness
# measured in a first pass), this script does the same with ffprobe and ffmpeg.
set -eu
cd "$1"

font=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
# The flags every built-in recipe adds, for byte-identical outputs.
repro="-fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1 -sws_flags bicubic+accurate_rnd+full_chroma_int+bitexact"
# The `slides` preset (640x360, 25 fps, x264 ultrafast crf 20, AAC 128k 48 kHz stereo).
vfilter="scale=640:360:force_original_aspect_ratio=decrease,pad=640:360:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,fps=25,format=yuv420p"
x264="-c:v libx264 -preset ultrafast -crf 20 -pix_fmt yuv420p -threads 2"
afilter="aresample=48000,aformat=channel_layouts=stereo"
aac="-c:a aac -b:a 128k -ar 48000 -ac 2"
ff="ffmpeg -nostdin -hide_banner -loglevel error -y"
length() { ffprobe -v error -show_entries format=duration -of csv=p=0 "$1"; }

slides=$(for f in slides/*.txt; do basename "$f" .txt; done)
mkdir -p build/text build/pictures build/narration build/clips
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

for s in $slides; do
    # title, script (run:)
    head -n 1 "slides/$s.txt" | tr -d '\n' > "build/text/$s.title.txt"
    tail -n +2 "slides/$s.txt" | sed '/./,$!d' > "build/text/$s.txt"
    # picture (run:)
    $ff -f lavfi -i gradients=s=640x360:c0=0x1d2b53:c1=0x3b5b92:x0=0:y0=0:x1=640:y1=360:nb_colors=2:seed=1 \
        -vf "drawbox=x=60:y=205:w=520:h=4:color=0xffcc00:t=fill,drawtext=fontfile=$font:textfile=build/text/$s.title.txt:expansion=none:fontsize=44:fontcolor=white:x=(w-text_w)/2:y=190-text_h" \
        -frames:v 1 -fflags +bitexact "build/pictures/$s.png"
    # narration (tts)
    espeak-ng -v en-us -s 175 -p 50 -w "build/narration/$s.wav" -f "build/text/$s.txt"
    # clip (still): as long as the narration
    $ff -loop 1 -framerate 25 -i "build/pictures/$s.png" -i "build/narration/$s.wav" -map 0:v:0 -map 1:a:0 \
        -vf "$vfilter" $x264 -tune stillimage -af "$afilter" $aac \
        -t "$(length "build/narration/$s.wav")" $repro "build/clips/$s.mp4"
done

# slides (concat)
inputs="" graph="" joined="" i=0
for s in $slides; do
    inputs="$inputs -i build/clips/$s.mp4"
    graph="$graph[$i:v:0]$vfilter,setpts=PTS-STARTPTS[v$i];[$i:a:0]$afilter,asetpts=PTS-STARTPTS[a$i];"
    joined="$joined[v$i][a$i]"
    i=$((i + 1))
done
# shellcheck disable=SC2086
$ff $inputs -filter_complex "$graph${joined}concat=n=$i:v=1:a=1[v][a]" \
    -map '[v]' $x264 -map '[a]' $aac $repro build/slides.mp4

# srt (run:)
texts="" clips=""
for s in $slides; do texts="$texts build/text/$s.txt"; clips="$clips build/clips/$s.mp4"; done
# shellcheck disable=SC2086
sh tools/srt.sh build/slides.srt $texts $clips

# subtitled (subtitles)
$ff -i build/slides.mp4 -map 0:v:0 \
    -vf "$vfilter,subtitles=filename=build/slides.srt:force_style=FontName=DejaVu Sans\,FontSize=15\,Outline=1\,MarginV=14" \
    $x264 -map 0:a:0 -af "$afilter" $aac $repro build/subtitled.mp4

# logo (run:)
$ff -f lavfi -i 'color=c=black@0.0:s=240x60,format=rgba' \
    -vf "drawtext=fontfile=$font:text=made with job:fontsize=28:fontcolor=white:box=1:boxcolor=black@0.55:boxborderw=10:x=(w-text_w)/2:y=(h-text_h)/2" \
    -frames:v 1 -fflags +bitexact build/logo.png

# watermarked (overlay)
$ff -i build/subtitled.mp4 -i build/logo.png \
    -filter_complex "[0:v:0]$vfilter[base];[1:v]scale=160:-2,format=rgba,colorchannelmixer=aa=0.85[logo];[base][logo]overlay=x=W-w-16:y=16,format=yuv420p[v]" \
    -map '[v]' $x264 -map 0:a:0 -af "$afilter" $aac $repro build/watermarked.mp4

# music (run:)
len=$(length build/slides.mp4)
chord="st(0, 0.12*min(1, mod(t,2)*6)*min(1, (2-mod(t,2))*6)); st(1, mod(floor(t/2),4));
       st(2, if(eq(ld(1),0),220, if(eq(ld(1),1),174.61, if(eq(ld(1),2),261.63,196))));
       ld(0)*(sin(2*PI*ld(2)*t)+0.6*sin(3*PI*ld(2)*t)+0.3*sin(4*PI*ld(2)*t))"
$ff -f lavfi -i "aevalsrc=exprs='$chord|$chord':s=48000:d=$len" \
    -af "afade=t=in:d=1,afade=t=out:st=$(awk -v l="$len" 'BEGIN { print l - 2 }'):d=2" \
    -c:a pcm_s16le -fflags +bitexact -map_metadata -1 build/music.wav

# voiceover (mix): the ducked mix, then two-pass loudnorm to -16 LUFS
fmt="aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo"
$ff -i build/slides.mp4 -i build/music.wav \
    -filter_complex "[0:a:0]$fmt[t0p0];[t0p0]anull[t0];[1:a:0]$fmt[t1p0];[t1p0]anull,volume=0.6[t1];[t0]anull,asplit=2[lead][key1];[t1][key1]sidechaincompress=threshold=0.02:ratio=10:attack=20:release=400[d1];[lead][d1]amix=inputs=2:duration=longest:dropout_transition=0:normalize=0[mix]" \
    -map '[mix]' -c:a pcm_f32le -ar 48000 $repro "$scratch/premix.wav"
report=$(ffmpeg -nostdin -hide_banner -loglevel info -i "$scratch/premix.wav" \
    -af loudnorm=I=-16.0:TP=-1.5:LRA=11:print_format=json -f null - 2>&1)
measured() { printf '%s\n' "$report" | sed -n "s/.*\"$1\" : \"\\([^\"]*\\)\".*/\\1/p" | tail -n 1; }
$ff -i "$scratch/premix.wav" \
    -af "loudnorm=I=-16.0:TP=-1.5:LRA=11:measured_I=$(measured input_i):measured_TP=$(measured input_tp):measured_LRA=$(measured input_lra):measured_thresh=$(measured input_thresh):offset=$(measured target_offset):linear=true" \
    -c:a pcm_s16le -ar 48000 $repro build/voiceover.wav

# final (mux): as long as the shorter of the two
t=$(awk -v a="$(length build/watermarked.mp4)" -v b="$(length build/voiceover.wav)" 'BEGIN { printf "%.6f", (a < b ? a : b) }')
$ff -i build/watermarked.mp4 -i build/voiceover.wav -map 0:v:0 -map 1:a:0 -c:v copy \
    -af "$afilter" -c:a aac -b:a 192k -ar 48000 -ac 2 -t "$t" $repro build/narrated-slides.mp4
