#!/usr/bin/env python3
"""Greedy tokens and log-probabilities of llama-server against `moxing serve` on the same GGUF.

usage: llama-server-agreement.py LLAMA_PORT MOXING_PORT TOKENS MODEL_NAME PROMPT_FILE...

Start `llama-server -m FILE --port LLAMA_PORT -np 1` and `moxing serve FILE --port MOXING_PORT --parallel 1` first;
MODEL_NAME is the name moxing serves the file under (its file name without .gguf). Each prompt is completed for TOKENS
tokens at temperature 0 by both (`/completion` with n_probs, `/v1/completions` with logprobs); prints, per prompt, how many
tokens agree before the first divergence, the largest |Δ logprob| over them, and the top-2 of both at a divergence.
"""
import json
import sys
import urllib.request


def post(port, path, body):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(request, timeout=3600))


def main():
    llama_port, moxing_port, tokens, model = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    agreed = total = 0
    worst = 0.0
    for path in sys.argv[5:]:
        prompt = open(path, encoding="utf-8").read()
        theirs = post(llama_port, "/completion", {"prompt": prompt, "n_predict": tokens, "n_probs": 2, "temperature": 0,
                                                  "samplers": ["top_k"], "top_k": 1,
                                                  "cache_prompt": False})["completion_probabilities"]
        ours = post(moxing_port, "/v1/completions", {"model": model, "prompt": prompt, "max_tokens": tokens,
                                                     "temperature": 0, "logprobs": 2})["choices"][0]["logprobs"]
        same, largest = 0, 0.0
        for i, (a, token, logprob, top) in enumerate(zip(theirs, ours["tokens"], ours["token_logprobs"], ours["top_logprobs"])):
            # the word vocabularies' leading space is rendered by llama-server only
            if a["token"].strip() != token.strip():
                print(f"  {path}: token {i} differs: llama {a['token']!r} {a['logprob']:.4f} "
                      f"top {[(t['token'], round(t['logprob'], 4)) for t in a['top_logprobs']]} | moxing {token!r} {logprob:.4f} top {top}")
                break
            same += 1
            largest = max(largest, abs(a["logprob"] - logprob))
        print(f"{path}: {same}/{len(theirs)} tokens agree, max |dlogprob| {largest:.4f}")
        agreed, total, worst = agreed + same, total + len(theirs), max(worst, largest)
    print(f"all: {agreed}/{total} tokens agree, max |dlogprob| {worst:.4f}")


if __name__ == "__main__":
    main()
