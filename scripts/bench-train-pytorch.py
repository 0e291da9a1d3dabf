#!/usr/bin/env python3
"""PyTorch twin of `moxing bench train`, for a side-by-side ratio (optional: needs scripts/setup-pytorch.sh).

Builds the models `moxing bench train` times (src/Moxing.Training/Trainer/TrainingThroughput.cs: the digits CNN of
docs/recipes/digits-cnn.yaml and the names GPT of docs/recipes/names-gpt.yaml) with the same layer shapes, batch size,
optimizer and loss, times full training steps (zero_grad, forward, loss, backward, optimizer step) on random batches of
their shapes after the same warm-up (2 s of process CPU time in untimed steps), and prints JSON that `moxing bench train --against FILE` reads:

    python3 scripts/bench-train-pytorch.py -t 2 > pytorch.json
    moxing bench train -t 2 --against pytorch.json
"""
import argparse
import json
import resource
import statistics
import sys
import time

import torch
from torch import nn

# What `moxing bench train` reports as "parameters"; a mismatch means this script no longer mirrors our models.
MOXING_PARAMETERS = {"digits-cnn": 13_706, "names-gpt": 107_008}
BATCH = 32


def digits_cnn(channels=16, image=8, classes=10):
    """FeedForwardNetworks.LeNet: two 3x3 same-padded convolutions (c, 2c) with ReLU and 2x2 max pooling, 4c hidden."""
    return nn.Sequential(
        nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(2 * channels * (image // 4) ** 2, 4 * channels), nn.ReLU(),
        nn.Linear(4 * channels, classes))


class NamesGpt(nn.Module):
    """TransformerNetwork with causal=True: GPT-2 with exact GELU, learned positions, pre-norm blocks, bias-free head."""

    def __init__(self, vocabulary=30, dim=64, layers=2, heads=4, length=48, dropout=0.1):
        super().__init__()
        self.tokens = nn.Embedding(vocabulary, dim)
        nn.init.normal_(self.tokens.weight, 0.0, 0.02)
        self.positions = nn.Parameter(torch.randn(length, dim) * 0.02)
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(dim, heads, 4 * dim, dropout, activation="gelu", batch_first=True, norm_first=True)
            for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocabulary, bias=False)
        self.register_buffer("causal", torch.triu(torch.full((length, length), float("-inf")), diagonal=1))

    def forward(self, ids):
        x = self.dropout(self.tokens(ids) + self.positions[: ids.shape[1]])
        for layer in self.layers:
            x = layer(x, src_mask=self.causal)
        return self.head(self.norm(x))


def measure(model, optimizer, batches, warmup, repetitions):
    """Warm-up steps run, and samples/s and user CPU ms per step of each repetition over the prepared batches."""
    loss_fn = nn.CrossEntropyLoss()

    def step(inputs, labels):
        optimizer.zero_grad()
        output = model(inputs)
        loss_fn(output.reshape(labels.numel(), -1), labels.reshape(-1)).backward()
        optimizer.step()

    model.train()
    warmup_steps, end = 0, time.process_time() + warmup
    while warmup_steps == 0 or time.process_time() < end:
        step(*batches[warmup_steps % len(batches)])
        warmup_steps += 1
    rates, cpu = [], []
    for _ in range(repetitions):
        user = resource.getrusage(resource.RUSAGE_SELF).ru_utime
        start = time.perf_counter()
        for inputs, labels in batches:
            step(inputs, labels)
        elapsed = time.perf_counter() - start
        rates.append(len(batches) * BATCH / elapsed)
        cpu.append((resource.getrusage(resource.RUSAGE_SELF).ru_utime - user) * 1000 / len(batches))
    return warmup_steps, rates, cpu


def blas_library():
    """The BLAS shared library this process loaded (Debian's alternatives pick reference BLAS or OpenBLAS)."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
        return ", ".join(sorted(paths)) or "none loaded"
    except OSError:
        return "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-t", "--threads", type=int, default=2, help="intra-op and inter-op threads (default 2)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per repetition (as moxing bench train)")
    parser.add_argument("-r", "--repetitions", type=int, default=5, help="repetitions; the median is reported")
    parser.add_argument("--warmup", type=float, default=2.0, help="CPU seconds of untimed steps first (as moxing bench train)")
    args = parser.parse_args()
    if args.threads < 1 or args.steps < 1 or args.repetitions < 1 or args.warmup < 0:
        parser.error("threads, steps and repetitions must be at least 1, warmup at least 0")
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(args.threads)
    torch.manual_seed(1)

    def uniform(*shape):
        return torch.rand(*shape) * 2 - 1

    cnn = digits_cnn()
    gpt = NamesGpt()
    models = [
        ("digits-cnn", cnn, torch.optim.Adam(cnn.parameters(), lr=0.003),
         [(uniform(BATCH, 1, 8, 8), torch.randint(10, (BATCH,))) for _ in range(args.steps)]),
        ("names-gpt", gpt, torch.optim.AdamW(gpt.parameters(), lr=0.003, weight_decay=0.01),
         [(torch.randint(30, (BATCH, 48)), torch.randint(30, (BATCH, 48))) for _ in range(args.steps)]),
    ]
    results = []
    for name, model, optimizer, batches in models:
        parameters = sum(p.numel() for p in model.parameters())
        print(f"{name}: {parameters:,} parameters in PyTorch, {MOXING_PARAMETERS[name]:,} in moxing bench train", file=sys.stderr)
        if parameters != MOXING_PARAMETERS[name]:
            sys.exit(f"{name}: parameter counts differ, so this is not the model moxing bench train times")
        warmup_steps, rates, cpu = measure(model, optimizer, batches, args.warmup, args.repetitions)
        results.append({
            "model": name,
            "parameters": parameters,
            "batch_size": BATCH,
            "steps": args.steps,
            "warmup_steps": warmup_steps,
            "samples_per_second": statistics.median(rates),
            "rates": rates,
            "user_cpu_ms_per_step": statistics.median(cpu),
        })
    json.dump({
        "engine": "PyTorch",
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "blas": blas_library(),
        "repetitions": args.repetitions,
        "warmup_seconds": args.warmup,
        "results": results,
    }, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
