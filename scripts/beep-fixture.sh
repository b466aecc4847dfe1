#!/usr/bin/env bash
# Makes one POST beep recording with sox, as a phone would hear the box.
#
#   scripts/beep-fixture.sh OUT.wav BEEPS [key=value ...]
#
# BEEPS spells the code: s = short beep, l = long beep, c = a continuous tone (5 s),
# - = the pause between groups; beeps written together are one group.
#   1-1-3 = "s-s-sss", 1 long 2 short = "lss", one beep = "s".
# Keys (defaults in brackets):
#   rate=8000|16000|44100|48000... [8000]  pitch=Hz [1000]  tempo=slow|normal|fast [normal]
#   repeat=N (times the code sounds, with a long pause between) [1]
#   noise=none|white|pink|hum [none]  snr=dB of the beep over the noise [20]
#   clip=1 (drive the beep 12 dB into clipping) [0]  start=SECONDS cut from the front [0]
#   bits=8|16|24|32 [16]  float=1 (32-bit float samples) [0]  channels=1|2 [1]
#   lead=MILLISECONDS of quiet before the first beep, and after the last [500]
#   seed=fixed|random: the same noise every run (tests) or new noise (the benchmark) [fixed]
# Needs sox (Debian: sox). Each call works in its own temporary folder, removed on exit.
set -euo pipefail

out=$1 beeps=$2
shift 2
rate=8000 pitch=1000 tempo=normal repeat=1 noise=none snr=20 clip=0 start=0 bits=16 float=0 channels=1 lead=500 seed=fixed
for kv in "$@"; do
  case ${kv%%=*} in
    rate|pitch|tempo|repeat|noise|snr|clip|start|bits|float|channels|lead|seed) declare "${kv%%=*}=${kv#*=}" ;;
    *) echo "beep-fixture.sh: unknown key ${kv%%=*}" >&2; exit 1 ;;
  esac
done

# short, long, gap within a group, pause between groups, pause between repetitions (ms)
case $tempo in
  slow)   S=300 L=1200 W=400 G=1200 R=3000 ;;
  normal) S=150 L=700  W=150 G=600  R=2000 ;;
  fast)   S=70  L=400  W=70  G=300  R=1600 ;;
  *) echo "beep-fixture.sh: tempo is slow, normal or fast" >&2; exit 1 ;;
esac
secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The beeps as one tone, the pauses inserted into it with pad (LENGTH@POSITION, where
# POSITION is a time in the tone): one sox call for the whole clean recording.
on=0 pads=() prev= paused=0
add_pause() { pads+=("$(secs "$1")@$(secs "$on")"); paused=$((paused + $1)); }
for ((k = 0; k < repeat; k++)); do
  ((k > 0)) && add_pause "$R"
  prev=
  for ((i = 0; i < ${#beeps}; i++)); do
    ch=${beeps:i:1}
    case $ch in
      s|l|c)
        [[ -n $prev && $prev != - ]] && add_pause "$W"
        case $ch in s) on=$((on + S)) ;; l) on=$((on + L)) ;; c) on=$((on + 5000)) ;; esac ;;
      -) add_pause "$G" ;;
      *) echo "beep-fixture.sh: BEEPS uses s, l, c and -" >&2; exit 1 ;;
    esac
    prev=$ch
  done
done
# The beep at half of full scale (-6 dBFS peak): its RMS is 0.5/sqrt(2). Clipping drives it
# 12 dB past full scale; sox clips it (and says so) as a phone's microphone would.
amp=0.5
drive=()
[[ $clip == 1 ]] && drive=(vol 4)
sox -q -n -r "$rate" -c 1 -b 32 -e signed-integer "$tmp/clean.wav" synth "$(secs "$on")" sine "$pitch" vol "$amp" "${drive[@]}" pad "$(secs "$lead")" "${pads[@]}" "$(secs "$lead")" 2>/dev/null

enc=(-e signed-integer -b "$bits")
[[ $bits == 8 ]] && enc=(-e unsigned-integer -b 8)
[[ $float == 1 ]] && enc=(-e floating-point -b 32)
effects=()
[[ $start != 0 ]] && effects+=(trim "$start")
# -D: dither would add noise of its own to the 8-bit files; the noise here is the fixture's.
output=(-D -r "$rate" -c "$channels" "${enc[@]}" "$out" ${effects[@]+"${effects[@]}"})

if [[ $noise == none ]]; then
  sox -q "$tmp/clean.wav" "${output[@]}"
  exit 0
fi
len=$(secs $((on + paused + 2 * lead)))
# -R: sox's repeatable mode, the same noise on every run.
repeatable=()
[[ $seed == fixed ]] && repeatable=(-R)
case $noise in
  white|pink) sox -q "${repeatable[@]}" -n -r "$rate" -c 1 -b 32 -e floating-point "$tmp/n.wav" synth "$len" "${noise}noise" ;;
  # A fan: blade-pass tone and harmonics under 400 Hz over rumble (brown noise).
  hum) sox -q "${repeatable[@]}" -n -r "$rate" -c 1 -b 32 -e floating-point "$tmp/n.wav" synth "$len" brownnoise synth "$len" sine mix 120 synth "$len" sine mix 240 synth "$len" sine mix 360 ;;
  *) echo "beep-fixture.sh: noise is none, white, pink or hum" >&2; exit 1 ;;
esac
rms=$(sox "$tmp/n.wav" -n stat 2>&1 | awk '/RMS +amplitude/ {print $3}')
# The noise scaled so that the beep's RMS over the noise's RMS is snr dB; both halved so
# the sum stays within full scale.
gain=$(awk -v a="$amp" -v r="$rms" -v s="$snr" 'BEGIN { printf "%.6f", 0.5 * (a / sqrt(2)) / (r * 10 ^ (s / 20)) }')
sox -q -m -v 0.5 "$tmp/clean.wav" -v "$gain" "$tmp/n.wav" "${output[@]}"
