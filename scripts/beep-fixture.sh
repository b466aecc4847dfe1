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
#   lead=SECONDS of quiet before the first beep, and after the last [0.5]
# Needs sox (Debian: sox). Each call works in its own temporary folder, removed on exit.
set -euo pipefail

out=$1 beeps=$2
shift 2
rate=8000 pitch=1000 tempo=normal repeat=1 noise=none snr=20 clip=0 start=0 bits=16 float=0 channels=1 lead=0.5
for kv in "$@"; do
  case ${kv%%=*} in
    rate|pitch|tempo|repeat|noise|snr|clip|start|bits|float|channels|lead) declare "${kv%%=*}=${kv#*=}" ;;
    *) echo "beep-fixture.sh: unknown key ${kv%%=*}" >&2; exit 1 ;;
  esac
done

# short, long, gap within a group, pause between groups, pause between repetitions (seconds)
case $tempo in
  slow)   S=0.30 L=1.20 W=0.40 G=1.20 R=3.0 ;;
  normal) S=0.15 L=0.70 W=0.15 G=0.60 R=2.0 ;;
  fast)   S=0.07 L=0.40 W=0.07 G=0.30 R=1.6 ;;
  *) echo "beep-fixture.sh: tempo is slow, normal or fast" >&2; exit 1 ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The beep at half of full scale (-6 dBFS peak): its RMS is 0.5/sqrt(2).
amp=0.5
tone() { sox -q -n -r "$rate" -c 1 -b 32 -e floating-point "$tmp/$1.wav" synth "$2" sine "$pitch" vol "$amp"; }
quiet() { sox -q -n -r "$rate" -c 1 -b 32 -e floating-point "$tmp/$1.wav" trim 0 "$2"; }
tone s "$S"; tone l "$L"; tone c 5; quiet w "$W"; quiet g "$G"; quiet r "$R"; quiet lead "$lead"

parts=("$tmp/lead.wav")
for ((k = 0; k < repeat; k++)); do
  ((k > 0)) && parts+=("$tmp/r.wav")
  prev=
  for ((i = 0; i < ${#beeps}; i++)); do
    ch=${beeps:i:1}
    case $ch in
      s|l|c) [[ -n $prev && $prev != - ]] && parts+=("$tmp/w.wav"); parts+=("$tmp/$ch.wav") ;;
      -) parts+=("$tmp/g.wav") ;;
      *) echo "beep-fixture.sh: BEEPS uses s, l, c and -" >&2; exit 1 ;;
    esac
    prev=$ch
  done
done
parts+=("$tmp/lead.wav")
sox -q "${parts[@]}" "$tmp/clean.wav"

sig=$tmp/clean.wav
if [[ $clip == 1 ]]; then
  # sox clips (and says so) when driven past full scale, as a phone's microphone does.
  sox -q "$sig" "$tmp/clipped.wav" vol 4 2>/dev/null
  sig=$tmp/clipped.wav
fi

if [[ $noise != none ]]; then
  len=$(soxi -D "$sig")
  case $noise in
    white|pink) sox -q -n -r "$rate" -c 1 -b 32 -e floating-point "$tmp/n.wav" synth "$len" "${noise}noise" ;;
    # A fan: blade-pass tone and harmonics under 400 Hz over rumble (brown noise).
    hum) sox -q -n -r "$rate" -c 1 -b 32 -e floating-point "$tmp/n.wav" synth "$len" brownnoise synth "$len" sine mix 120 synth "$len" sine mix 240 synth "$len" sine mix 360 ;;
    *) echo "beep-fixture.sh: noise is none, white, pink or hum" >&2; exit 1 ;;
  esac
  rms=$(sox "$tmp/n.wav" -n stat 2>&1 | awk '/RMS +amplitude/ {print $3}')
  # Scale the noise so that the beep's RMS over the noise's RMS is snr dB.
  gain=$(awk -v a="$amp" -v r="$rms" -v s="$snr" 'BEGIN { printf "%.6f", (a / sqrt(2)) / (r * 10 ^ (s / 20)) }')
  sox -q "$tmp/n.wav" "$tmp/ns.wav" vol "$gain"
  sox -q -m -v 0.5 "$sig" -v 0.5 "$tmp/ns.wav" "$tmp/mixed.wav"
  sig=$tmp/mixed.wav
fi

enc=(-e signed-integer -b "$bits")
[[ $bits == 8 ]] && enc=(-e unsigned-integer -b 8)
[[ $float == 1 ]] && enc=(-e floating-point -b 32)
effects=()
[[ $start != 0 ]] && effects+=(trim "$start")
# Dither would add noise of its own to the 8-bit files; the noise here is the test's.
sox -q -D "$sig" -r "$rate" -c "$channels" "${enc[@]}" "$out" ${effects[@]+"${effects[@]}"} 2>/dev/null
