#!/usr/bin/env python3
"""Rerank scores of llama-server against `moxing serve` on the same reranker GGUF.

usage: llama-server-rerank.py LLAMA_PORT MOXING_PORT MODEL_NAME QUERY DOCUMENT...

Start `llama-server -m FILE --reranking --port LLAMA_PORT` and `moxing serve FILE --port MOXING_PORT` first; MODEL_NAME is the
name moxing serves the file under (its file name without .gguf). Both get the same /v1/rerank request; llama-server's
relevance_score is the head's logit, which moxing gives with raw_scores. Prints both scores per document, the largest
|difference| and whether the two orders agree.
"""
import json
import sys
import urllib.request


def rerank(port, body):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/rerank", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
    results = json.load(urllib.request.urlopen(request, timeout=600))["results"]
    return {r["index"]: r["relevance_score"] for r in results}, [r["index"] for r in results]


def main():
    llama_port, moxing_port, model, query, documents = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:]
    theirs, their_order = rerank(llama_port, {"query": query, "documents": documents})
    ours, our_order = rerank(moxing_port, {"model": model, "query": query, "documents": documents, "raw_scores": True})
    for i, document in enumerate(documents):
        print(f"  {i}: llama {theirs[i]:+.6f}  moxing {ours[i]:+.6f}  {document[:60]!r}")
    print(f"max |delta| {max(abs(theirs[i] - ours[i]) for i in range(len(documents))):.2e}; "
          f"order {'agrees' if their_order == our_order else 'differs'} ({their_order} vs {our_order})")


if __name__ == "__main__":
    main()
