#!/usr/bin/env python3
"""Layer-by-layer comparison of llama.cpp's graph tensors with Moxing's activations on the same token ids.

usage: compare-activations.py LLAMA_DIR MOXING_DIR [THRESHOLD]

LLAMA_DIR from scripts/llama-tensor-dump.cpp, MOXING_DIR from `moxing logits MODEL --ids ... --all --dump DIR` (same ids,
one chunk: at most 64). Each file: four int32 dimensions (ggml order), then float32 values. Pairs each llama.cpp tensor
that is the input of a weight-matrix product with the activations Moxing fed that product (attn_norm-N: blk.N.attn_q,
kqv_out-N: blk.N.attn_output, ffn_norm-N: blk.N.ffn_gate or ffn_up, Gemma 3n's first_prediction_scaled-N: blk.N.proj,
result_norm: the head) and result_output with the logits; prints max |difference| and that over max |llama.cpp value| per
pair in graph order and names the first pair above THRESHOLD (relative, default 1e-3).
"""
import os
import struct
import sys


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    dims = struct.unpack("<4i", data[:16])
    return dims, struct.unpack(f"<{(len(data) - 16) // 4}f", data[16:])


def index(folder):
    """name -> paths in write order (the file name without its NNNN- counter and .bin)."""
    names = {}
    for entry in sorted(os.listdir(folder)):
        if entry.endswith(".bin"):
            counted = entry[:4].isdigit() and entry[4:5] == "-"
            names.setdefault(entry[5:-4] if counted else entry[:-4], []).append(os.path.join(folder, entry))
    return names


def pairs(llama, moxing, layers):
    for i in range(layers):
        for ours, theirs in ((f"attn_norm-{i}", [f"blk.{i}.attn_q.weight", f"blk.{i}.attn_qkv.weight"]),
                             (f"kqv_out-{i}", [f"blk.{i}.attn_output.weight"]),
                             (f"ffn_norm-{i}", [f"blk.{i}.ffn_gate.weight", f"blk.{i}.ffn_up.weight"]),
                             (f"first_prediction_scaled-{i}", [f"blk.{i}.proj.weight"])):
            match = next((m for m in theirs if m in moxing), None)
            if ours in llama and match:
                yield ours, llama[ours][-1], moxing[match][0]
    head = next((m for m in ("output.weight", "token_embd.weight") if m in moxing), None)
    if "result_norm" in llama and head:
        yield "result_norm", llama["result_norm"][-1], moxing[head][-1]
    if "result_output" in llama and "logits" in moxing:
        yield "result_output", llama["result_output"][-1], moxing["logits"][-1]


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    llama, moxing = index(sys.argv[1]), index(sys.argv[2])
    threshold = float(sys.argv[3]) if len(sys.argv) == 4 else 1e-3
    layers = 1 + max((int(n.split(".")[1]) for n in moxing if n.startswith("blk.")), default=-1)
    first = None
    for name, theirs_path, ours_path in pairs(llama, moxing, layers):
        (width, *_), theirs = load(theirs_path)
        (our_width, *_), ours = load(ours_path)
        if width != our_width:
            print(f"{name}: rows of {width} against {our_width}")
            continue
        # llama.cpp keeps only the rows it was asked for: compare the last ones
        count = min(len(theirs), len(ours))
        theirs, ours = theirs[len(theirs) - count:], ours[len(ours) - count:]
        largest = max(abs(a - b) for a, b in zip(theirs, ours))
        scale = max(abs(a) for a in theirs) or 1.0
        relative = largest / scale
        mark = ""
        if first is None and relative > threshold:
            first, mark = name, "   <- first above threshold"
        print(f"{name:32} max|d| {largest:.3e}  relative {relative:.3e}{mark}")
    print(f"first tensor above {threshold:g}: {first or 'none'}")


if __name__ == "__main__":
    main()
