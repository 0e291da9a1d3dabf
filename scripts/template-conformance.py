#!/usr/bin/env python3
"""Renders every chat template in a folder with Python's jinja2 under transformers' settings (apply_chat_template:
ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, {% generation %}, tojson, raise_exception,
strftime_now) and with `moxing template`, over conversations that exercise what templates branch on (system and
multi-turn, content parts, tools, tool calls and results, reasoning content, enable_thinking), and reports where the two
differ. A template that raises in jinja2 must fail in Moxing too.

    python3 scripts/template-conformance.py TEMPLATES_DIR [--moxing "./moxing"] [--keep DIR]

TEMPLATES_DIR holds *.jinja files (for instance llama.cpp's models/templates, copies of models' published templates).
Needs python3-jinja2. Exit status 1 when any render differs.
"""
import argparse, glob, json, os, shlex, subprocess, sys, tempfile
from transformers_jinja import environment


TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Get the weather in a city", "parameters": {
    "type": "object", "properties": {"city": {"type": "string", "description": "City name"}, "unit": {"type": "string", "enum": ["c", "f"]}},
    "required": ["city"]}}}]
CASES = {
    "user": dict(messages=[{"role": "user", "content": "Hello, who are you?"}], agp=True),
    "multi": dict(messages=[{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"},
                            {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Ünïcode ✓ \"quotes\" <tags>"}], agp=True),
    "no-generation-prompt": dict(messages=[{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}], agp=False),
    "content-parts": dict(messages=[{"role": "system", "content": [{"type": "text", "text": "Be kind."}]},
                                    {"role": "user", "content": [{"type": "text", "text": "Describe"}, {"type": "text", "text": " this."}]}], agp=True),
    "thinking-off": dict(messages=[{"role": "user", "content": "Quick: 1+1?"}], agp=True, variables={"enable_thinking": False}),
    "reasoning": dict(messages=[{"role": "user", "content": "1+1?"}, {"role": "assistant", "content": "2", "reasoning_content": "one plus one"},
                                {"role": "user", "content": "and 2+2?"}], agp=True),
    "tools": dict(messages=[{"role": "user", "content": "Weather in Paris?"}], tools=TOOLS, agp=True),
    "tool-call": dict(messages=[{"role": "user", "content": "Weather in Paris?"},
                                {"role": "assistant", "content": "", "tool_calls": [{"id": "call_1", "type": "function", "function": {
                                    "name": "get_weather", "arguments": {"city": "Paris"}}}]},
                                {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "{\"temp\": 21}"}], tools=TOOLS, agp=True),
}
SPECIAL = {"bos_token": "<s>", "eos_token": "</s>"}


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    a.add_argument("templates")
    a.add_argument("--moxing", default="./moxing")
    a.add_argument("--keep", help="write differing renders (NAME.CASE.jinja2 / .moxing) here")
    args = a.parse_args()
    env, work = environment(), tempfile.mkdtemp(prefix="moxing-templates-")
    counts, differ = {"equal": 0, "both failed": 0}, []
    for path in sorted(glob.glob(os.path.join(args.templates, "*.jinja"))):
        name, source = os.path.basename(path)[:-6], open(path, encoding="utf-8").read()
        config = os.path.join(work, name + ".json")
        json.dump({"chat_template": source, **SPECIAL}, open(config, "w", encoding="utf-8"))
        for case, c in CASES.items():
            try:
                expected, expected_error = env.from_string(source).render(
                    messages=c["messages"], tools=c.get("tools"), add_generation_prompt=c["agp"], **SPECIAL, **c.get("variables", {})), None
            except Exception as e:  # the template's own raise_exception or a render error
                expected, expected_error = None, f"{type(e).__name__}: {e}"
            messages = os.path.join(work, f"{name}.{case}.json")
            json.dump({"messages": c["messages"], **({"tools": c["tools"]} if "tools" in c else {})}, open(messages, "w", encoding="utf-8"))
            command = shlex.split(args.moxing) + ["template", config, "--messages", messages, "--json"]
            command += ["--add-generation-prompt"] if c["agp"] else []
            for key, value in c.get("variables", {}).items():
                command += ["--var", f"{key}={json.dumps(value)}"]
            run = subprocess.run(command, capture_output=True, text=True)
            actual, actual_error = (json.loads(run.stdout)["text"], None) if run.returncode == 0 else (None, run.stderr.strip())
            if expected is not None and expected == actual:
                counts["equal"] += 1
            elif expected is None and actual is None:
                counts["both failed"] += 1
            else:
                differ.append(f"{name} / {case}: jinja2 {'raised ' + expected_error if expected is None else 'rendered'}, "
                              f"moxing {'failed: ' + actual_error if actual is None else 'rendered'}")
                if args.keep and expected is not None and actual is not None:
                    os.makedirs(args.keep, exist_ok=True)
                    open(os.path.join(args.keep, f"{name}.{case}.jinja2"), "w", encoding="utf-8").write(expected)
                    open(os.path.join(args.keep, f"{name}.{case}.moxing"), "w", encoding="utf-8").write(actual)
    templates = len(glob.glob(os.path.join(args.templates, "*.jinja")))
    print(f"{templates} templates × {len(CASES)} conversations: {counts['equal']} renders equal, {counts['both failed']} fail in both, {len(differ)} differ")
    for line in differ:
        print("  " + line)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
