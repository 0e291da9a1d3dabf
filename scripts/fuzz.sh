#!/usr/bin/env bash
# Fuzzes one parser of outside input with SharpFuzz under AFL++ for a bounded time (docs/FUZZING.md):
#   scripts/fuzz.sh TARGET SECONDS        TARGET: gguf, safetensors, tokenizer, template or request
# Findings land in artifacts/fuzz/findings/TARGET/default/{crashes,hangs}; a later run resumes the same corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: scripts/fuzz.sh TARGET SECONDS (TARGET: gguf, safetensors, tokenizer, template, request)"
target="${1:?$usage}"
seconds="${2:?$usage}"
case "$target" in gguf | safetensors | tokenizer | template | request) ;; *) echo "$usage" >&2; exit 2 ;; esac
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "$usage" >&2; exit 2; }
if ! command -v afl-fuzz >/dev/null; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "fuzz: installing afl++"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
  else
    echo "fuzz: AFL++ is not installed and cannot be installed here (needs root and apt-get): install the 'afl++' package" >&2
    exit 1
  fi
fi
out=artifacts/fuzz
dotnet tool restore >/dev/null
dotnet build fuzz/Moxing.Fuzz -c Release --nologo -v quiet -o "$out/bin"
# SharpFuzz instruments in place and refuses to do it twice: instrument a fresh copy of the build each run.
rm -rf "$out/instrumented"
cp -r "$out/bin" "$out/instrumented"
for assembly in Moxing.Core Moxing.Text Moxing.Server; do dotnet sharpfuzz "$out/instrumented/$assembly.dll"; done
dotnet "$out/bin/Moxing.Fuzz.dll" "$target" --seeds "$out/seeds/$target" .
findings="$out/findings/$target"
mkdir -p "$findings"
dictionary=fuzz/Moxing.Fuzz/Dictionaries/$target.dict
dictionary_option=()
[ -f "$dictionary" ] && dictionary_option=(-x "$dictionary")
# dotnet itself is not instrumented (SKIP_BIN_CHECK); the shared 2-core machines get nice and no CPU pinning; a 1 GiB GC heap
# turns a huge allocation into an OutOfMemoryException, which is a finding like any other unexpected exception.
AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_AUTORESUME=1 AFL_NO_UI=1 \
  DOTNET_GCHeapHardLimit=0x40000000 \
  nice -n 10 afl-fuzz -i "$out/seeds/$target" -o "$findings" -t 5000 -m none -V "$seconds" "${dictionary_option[@]}" -- dotnet "$out/instrumented/Moxing.Fuzz.dll" "$target" \
  > "$findings.afl.log" 2>&1 || { tail -30 "$findings.afl.log" >&2; exit 1; }
# AFL++ ends the targets with SIGKILL, so their scratch folders (ScratchFile) are left behind: remove those of dead processes.
for scratch in /dev/shm/moxing-fuzz-* "${TMPDIR:-/tmp}"/moxing-fuzz-*; do
  [ -d "$scratch" ] && ! kill -0 "${scratch##*-}" 2>/dev/null && rm -rf "$scratch"
done
stats="$findings/default/fuzzer_stats"
stat() { sed -n "s/^$1 *: //p" "$stats"; }
crashes=("$findings"/default/crashes/id:*)
hangs=("$findings"/default/hangs/id:*)
[ -e "${crashes[0]}" ] || crashes=()
[ -e "${hangs[0]}" ] || hangs=()
echo "fuzz $target: ran ${seconds} s ($(stat run_time) s with earlier runs of this corpus), $(stat execs_done) executions, $(stat corpus_count) corpus entries, stability $(stat stability), ${#crashes[@]} crashes, ${#hangs[@]} hangs"
[ ${#crashes[@]} -eq 0 ] || dotnet "$out/bin/Moxing.Fuzz.dll" "$target" --replay "${crashes[@]}" | grep -v ": accepted$\|: refused: " || true
for hang in "${hangs[@]}"; do echo "hang (over 5 s): $hang"; done
[ $((${#crashes[@]} + ${#hangs[@]})) -eq 0 ]
