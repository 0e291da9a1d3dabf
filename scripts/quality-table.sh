#!/usr/bin/env bash
# The compression quality table of docs/COMPRESSION.md (issue 8): for the shipped language model (models/names-gpt) and the
# digits CNN, size, speed and quality of F32, F16, Q8_0, Q6_K, Q4_K_M, Q4_0, pruned 50 % (with and without fine-tuning)
# and a distilled student, each produced by moxing commands. Writes WORK/quality-table.md and prints it.
#
#   scripts/quality-table.sh [WORK]          (default WORK: runs/quality; a second run reuses what WORK holds)
#
# Needs data/names/names.txt (scripts/fetch-datasets.sh) and runs/names-gpt (moxing train docs/recipes/names-gpt.yaml
# -o runs/names-gpt: the run models/names-gpt was exported from; it is the teacher and the run that is pruned).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-runs/quality}
moxing=./moxing
types="F32 F16 Q8_0 Q6_K Q4_K_M Q4_0"
text=data/names/names.txt
lm=models/names-gpt
for need in "$text" runs/names-gpt/recipe.yaml "$lm/config.json"; do
  [ -e "$need" ] || { echo "missing $need (see the header of $0)" >&2; exit 1; }
done
mkdir -p "$work/lm"
table="$work/quality-table.md"

# perplexity over the names list (chunks of the model's 48 positions, second half scored) and decode/prefill tokens/s
lm_row() { # LABEL GGUF
  local ppl pp tg kinds
  ppl=$($moxing eval "$2" --text "$text" --ctx 48 2>/dev/null | awk '/^perplexity/ {print $2}')
  read -r pp tg < <($moxing bench "$2" -p 32 -n 16 -r 5 -t 1 --json | jq -r '[.tests[].tokens_per_second.mean | round] | @tsv')
  kinds=$($moxing show "$2" --json | jq -r '.tensor_types | keys | join(" ")')
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$kinds" "$(stat -c %s "$2")" "$pp" "$tg" "$ppl" >> "$table"
}

# the run's best weights as a Hugging Face GPT-2 folder, then as an F32 GGUF
lm_gguf() { # RUN NAME
  rm -rf "$work/lm/$2"
  $moxing import "$1" --export "$work/lm/$2" > /dev/null
  $moxing quantize "$work/lm/$2" "$work/lm/$2.gguf" --type F32 > /dev/null 2>&1
}

# accuracy and images/s on the run's test split, with every weight tensor stored as TYPE (F32: as trained)
cnn_row() { # LABEL RUN [TYPE]
  local json
  json=$($moxing eval "$2" --weight-type "${3:-F32}" --json)
  printf '| %s | %s | %s | %s |\n' "$1" "$(jq .weight_bytes <<< "$json")" \
    "$(jq '.examples_per_second | round' <<< "$json")" "$(jq '.accuracy * 10000 | round / 100' <<< "$json")" >> "$table"
}

{
  echo "Made by \`scripts/quality-table.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))."
  echo
  echo "**Names GPT** (\`models/names-gpt\`, 107k parameters; perplexity per character over \`$text\`, \`moxing eval --ctx 48\`;"
  echo "tokens/s from \`moxing bench -p 32 -n 16 -t 1\`):"
  echo
  echo "| model | tensor types | GGUF bytes | prefill tokens/s | decode tokens/s | perplexity |"
  echo "| --- | --- | ---: | ---: | ---: | ---: |"
} > "$table"

$moxing quantize "$lm" "$work/lm/F32.gguf" --type F32 > /dev/null 2>&1
for type in $types; do
  [ "$type" = F32 ] || $moxing quantize "$work/lm/F32.gguf" "$work/lm/$type.gguf" --type "$type" > /dev/null 2>&1
  lm_row "$type" "$work/lm/$type.gguf"
done
if [ ! -f "$work/lm-pruned-tuned/state.json" ]; then
  $moxing prune runs/names-gpt -o "$work/lm-pruned" --sparsity 0.5 > /dev/null
  $moxing train --init "$work/lm-pruned" -o "$work/lm-pruned-tuned" --epochs 4 --lr 0.001 > /dev/null
fi
lm_gguf "$work/lm-pruned" pruned
lm_row "pruned 50 %, F32" "$work/lm/pruned.gguf"
lm_gguf "$work/lm-pruned-tuned" pruned-tuned
lm_row "pruned 50 % + fine-tune (4 epochs), F32" "$work/lm/pruned-tuned.gguf"
[ -f "$work/lm-student/state.json" ] || $moxing distill docs/recipes/names-student.yaml -o "$work/lm-student" --teacher runs/names-gpt > /dev/null
lm_gguf "$work/lm-student" student
lm_row "distilled student (d=32, 29k parameters), F32" "$work/lm/student.gguf"

{
  echo
  echo "**Digits CNN** (\`docs/recipes/digits-cnn.yaml\`, 13.7k parameters; accuracy on the run's 359 test images, \`moxing eval\`;"
  echo "bytes = parameters as stored; weights quantized with \`--weight-type\` and read back, so the CNN runs in float32 at every type):"
  echo
  echo "| model | weight bytes | images/s | test accuracy % |"
  echo "| --- | ---: | ---: | ---: |"
} >> "$table"
[ -f "$work/digits-cnn/state.json" ] || $moxing train docs/recipes/digits-cnn.yaml -o "$work/digits-cnn" > /dev/null
for type in $types; do cnn_row "$type" "$work/digits-cnn" "$type"; done
if [ ! -f "$work/cnn-pruned-tuned/state.json" ]; then
  $moxing prune "$work/digits-cnn" -o "$work/cnn-pruned" --sparsity 0.5 > /dev/null
  $moxing train --init "$work/cnn-pruned" -o "$work/cnn-pruned-tuned" --epochs 5 --lr 0.001 > /dev/null
fi
cnn_row "pruned 50 %" "$work/cnn-pruned"
cnn_row "pruned 50 % + fine-tune (5 epochs)" "$work/cnn-pruned-tuned"
[ -f "$work/cnn-student/state.json" ] || $moxing distill docs/recipes/digits-student.yaml -o "$work/cnn-student" --teacher "$work/digits-cnn" > /dev/null
cnn_row "distilled MLP student (2.4k parameters)" "$work/cnn-student"

cat "$table"
