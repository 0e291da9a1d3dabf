#!/usr/bin/env python3
"""Greedy tokens and log-probabilities of llama-server --mmproj against `moxing serve --mmproj` on the same GGUF pair and one image.

usage: llama-server-vision-agreement.py LLAMA_PORT MOXING_PORT TOKENS MODEL_NAME IMAGE PROMPT_FILE...

Start `LLAMA_MEDIA_MARKER=x llama-server -m FILE --mmproj MMPROJ --port LLAMA_PORT -np 1` and `moxing serve FILE --mmproj MMPROJ
--port MOXING_PORT --parallel 1` first; MODEL_NAME is the name moxing serves the file under. Each prompt is one user message of the
image (a data: URL) then the prompt's text, sent to both /v1/chat/completions (the model's chat template on both sides), completed for
TOKENS tokens at temperature 0 with log-probabilities; prints, per prompt, the prompt token counts of both, how many tokens agree before
the first divergence and the largest |Δ logprob| over them — and, to show the image matters, the largest change of llama-server's
first-token top log-probabilities when the image is swapped for its colour negative.
"""
import base64
import io
import json
import sys
import urllib.request
import zlib
import struct


def post(port, path, body):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(request, timeout=3600))


def chat(port, model, png, prompt, tokens, extra=None):
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    body = {"model": model, "max_tokens": tokens, "temperature": 0, "logprobs": True, "top_logprobs": 2, **(extra or {}),
            "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}, {"type": "text", "text": prompt}]}]}
    reply = post(port, "/v1/chat/completions", body)
    return reply["usage"]["prompt_tokens"], reply["choices"][0]["logprobs"]["content"]


def negative(png):
    """The colour negative of an 8-bit RGB PNG without interlacing (as the test images are written): every filter-0 row inverted."""
    width, height = struct.unpack(">II", png[16:24])
    chunks, pos = [], 8
    while pos < len(png):
        length = struct.unpack(">I", png[pos:pos + 4])[0]
        chunks.append((png[pos + 4:pos + 8], png[pos + 8:pos + 8 + length]))
        pos += 12 + length
    raw = zlib.decompress(b"".join(d for t, d in chunks if t == b"IDAT"))
    stride = width * 3 + 1
    rows = [raw[i * stride:(i + 1) * stride] for i in range(height)]
    if any(r[0] != 0 for r in rows):
        raise SystemExit("the image's rows must use filter 0 (write it with this repository's test PNG writer)")
    data = zlib.compress(b"".join(b"\x00" + bytes(255 - b for b in r[1:]) for r in rows))
    out = io.BytesIO()
    out.write(png[:8])
    for t, d in chunks:
        if t == b"IDAT":
            continue
        if t == b"IEND":
            out.write(struct.pack(">I", len(data)) + b"IDAT" + data + struct.pack(">I", zlib.crc32(b"IDAT" + data) & 0xffffffff))
        out.write(struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff))
    return out.getvalue()


def main():
    llama_port, moxing_port, tokens, model, image = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
    png = open(image, "rb").read()
    agreed = total = 0
    worst = sensitivity = 0.0
    for path in sys.argv[6:]:
        prompt = open(path, encoding="utf-8").read()
        their_count, theirs = chat(llama_port, model, png, prompt, tokens, {"cache_prompt": False})
        our_count, ours = chat(moxing_port, model, png, prompt, tokens)
        _, swapped = chat(llama_port, model, negative(png), prompt, 1, {"cache_prompt": False})
        first = {t["token"]: t["logprob"] for t in theirs[0]["top_logprobs"]}
        sensitivity = max([sensitivity] + [abs(first[t["token"]] - t["logprob"]) for t in swapped[0]["top_logprobs"] if t["token"] in first])
        same, largest = 0, 0.0
        for i, (a, b) in enumerate(zip(theirs, ours)):
            if a["token"].strip() != b["token"].strip():
                print(f"  {path}: token {i} differs: llama {a['token']!r} {a['logprob']:.4f} "
                      f"top {[(t['token'], round(t['logprob'], 4)) for t in a['top_logprobs']]} | moxing {b['token']!r} {b['logprob']:.4f} "
                      f"top {[(t['token'], round(t['logprob'], 4)) for t in b['top_logprobs']]}")
                break
            same += 1
            largest = max(largest, abs(a["logprob"] - b["logprob"]))
        print(f"{path}: prompt {their_count} vs {our_count} tokens; {same}/{len(theirs)} tokens agree, max |dlogprob| {largest:.4f}")
        agreed, total, worst = agreed + same, total + len(theirs), max(worst, largest)
    print(f"all: {agreed}/{total} tokens agree, max |dlogprob| {worst:.4f}; the negative image moves llama's first logprobs by up to {sensitivity:.4f}")


if __name__ == "__main__":
    main()
