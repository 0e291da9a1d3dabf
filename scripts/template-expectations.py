#!/usr/bin/env python3
"""Writes the expected renders of the real chat templates in tests/Moxing.Text.Tests/Templates/Data: every *.jinja there
(sources in Data/SOURCES.md) rendered with Python's jinja2 as transformers' apply_chat_template renders it, over the
conversations below (system and multi-turn, content parts, thinking on/off, reasoning content, tools, single and parallel
tool calls with results, add_generation_prompt on and off). The C# test TemplateExpectationTests must reproduce each
render byte for byte, and fail where jinja2 fails (with the same message when the template raised it).

    python3 scripts/template-expectations.py [--check]

Writes Data/expected/conversations.json and Data/expected/NAME.json ({case: text} or {case: {"error": …, "raised": …}});
--check only reports whether the stored files are current. Needs python3-jinja2 (3.1.6 made the stored files).
"""
import argparse, datetime, glob, json, os, sys
import jinja2
from transformers_jinja import environment

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "Moxing.Text.Tests", "Templates", "Data")
NOW = datetime.datetime(2026, 11, 25, 9, 30)  # strftime_now's fixed clock (the test uses the same)
SPECIAL = {"bos_token": "<s>", "eos_token": "</s>"}

WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Get the weather in a city", "parameters": {
    "type": "object", "properties": {"city": {"type": "string", "description": "City name"}, "unit": {"type": "string", "enum": ["c", "f"]}},
    "required": ["city"]}}}
SEARCH = {"type": "function", "function": {"name": "search", "description": "Search the web", "parameters": {
    "type": "object", "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}}},
    "required": ["query"]}}}
TOOLS = [WEATHER, SEARCH]


def call(id, name, arguments):
    return {"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}


CONVERSATIONS = {
    "user": dict(messages=[{"role": "user", "content": "Hello, who are you?"}], agp=True),
    "multi-turn": dict(messages=[{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"},
                                 {"role": "assistant", "content": "Hello."},
                                 {"role": "user", "content": "Ünïcode ✓ \"quotes\" <tags> & {braces}\n  indented"}], agp=True),
    "no-generation-prompt": dict(messages=[{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}], agp=False),
    "content-parts": dict(messages=[{"role": "system", "content": [{"type": "text", "text": "Be kind."}]},
                                    {"role": "user", "content": [{"type": "text", "text": "Describe"}, {"type": "text", "text": " this."}]}], agp=True),
    "thinking-off": dict(messages=[{"role": "user", "content": "Quick: 1+1?"}], agp=True, variables={"enable_thinking": False}),
    "thinking-on": dict(messages=[{"role": "system", "content": "Think first."}, {"role": "user", "content": "Why is the sky blue?"}], agp=True,
                        variables={"enable_thinking": True}),
    "reasoning": dict(messages=[{"role": "user", "content": "1+1?"}, {"role": "assistant", "content": "2", "reasoning_content": "one plus one"},
                                {"role": "user", "content": "and 2+2?"},
                                {"role": "assistant", "content": "4", "reasoning_content": "two plus two\nis four"}], agp=False),
    "think-in-content": dict(messages=[{"role": "user", "content": "3*3?"}, {"role": "assistant", "content": "<think>\nthree threes\n</think>\n\n9"},
                                       {"role": "user", "content": "and 4*4?"}], agp=True),
    "tools": dict(messages=[{"role": "user", "content": "Weather in Paris?"}], tools=TOOLS, agp=True),
    "tools-system": dict(messages=[{"role": "system", "content": "You help with weather."}, {"role": "user", "content": "Hi"},
                                   {"role": "assistant", "content": "Hello! Which city?"}, {"role": "user", "content": "Oslo"}], tools=[WEATHER], agp=True),
    "tool-call": dict(messages=[{"role": "user", "content": "Weather in Paris?"},
                                {"role": "assistant", "content": "", "tool_calls": [call("call00001", "get_weather", {"city": "Paris"})]},
                                {"role": "tool", "tool_call_id": "call00001", "name": "get_weather", "content": "{\"temp\": 21}"}], tools=TOOLS, agp=True),
    "parallel-calls": dict(messages=[
        {"role": "system", "content": "Use tools."}, {"role": "user", "content": "Weather in Paris and news about Zürich?"},
        {"role": "assistant", "content": "Let me check both.", "tool_calls": [
            call("callA0001", "get_weather", {"city": "Paris", "unit": "c"}),
            call("callB0002", "search", {"query": "Zürich news", "limit": 3, "tags": ["local", "today"]})]},
        {"role": "tool", "tool_call_id": "callA0001", "name": "get_weather", "content": "sunny, 21"},
        {"role": "tool", "tool_call_id": "callB0002", "name": "search", "content": "[\"Tram line opens\"]"},
        {"role": "assistant", "content": "Paris is sunny; in Zürich a tram line opens."},
        {"role": "user", "content": "Thanks!"}], tools=TOOLS, agp=True),
    # Phi-4-mini's template lists the tools a system message carries as JSON text
    "tools-in-system": dict(messages=[{"role": "system", "content": "You are a helpful assistant with some tools.",
                                       "tools": json.dumps([WEATHER["function"]])},
                                      {"role": "user", "content": "Weather in Paris?"}], agp=True),
    # OpenAI clients send arguments as JSON text rather than an object
    "string-arguments": dict(messages=[{"role": "user", "content": "Weather in Rome?"},
                                       {"role": "assistant", "content": None, "tool_calls": [call("call00003", "get_weather", "{\"city\": \"Rome\"}")]},
                                       {"role": "tool", "tool_call_id": "call00003", "name": "get_weather", "content": "rain"}], tools=[WEATHER], agp=True),
}


def render(env, source, c):
    try:
        return env.from_string(source).render(messages=c["messages"], tools=c.get("tools"), add_generation_prompt=c["agp"],
                                              **SPECIAL, **c.get("variables", {}))
    except jinja2.exceptions.TemplateError as e:
        # raise_exception raises TemplateError itself; jinja2's own errors are subclasses
        return {"error": str(e), "raised": type(e) is jinja2.exceptions.TemplateError}
    except Exception as e:
        return {"error": f"{type(e).__name__}: {e}", "raised": False}


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    a.add_argument("--check", action="store_true", help="only report whether the stored expectations are current")
    args = a.parse_args()
    env, out = environment(NOW), os.path.join(DATA, "expected")
    files = {"conversations.json": {"special_tokens": SPECIAL, "now": NOW.isoformat(), "conversations": CONVERSATIONS}}
    for path in sorted(glob.glob(os.path.join(DATA, "*.jinja"))):
        source = open(path, encoding="utf-8").read()
        files[os.path.basename(path)[:-6] + ".json"] = {case: render(env, source, c) for case, c in CONVERSATIONS.items()}
    stale = []
    for name, content in files.items():
        text = json.dumps(content, ensure_ascii=False, indent=1) + "\n"
        path = os.path.join(out, name)
        if os.path.exists(path) and open(path, encoding="utf-8").read() == text:
            continue
        stale.append(name)
        if not args.check:
            os.makedirs(out, exist_ok=True)
            open(path, "w", encoding="utf-8").write(text)
    rendered = sum(1 for n, f in files.items() if n != "conversations.json" for r in f.values() if isinstance(r, str))
    print(f"{len(files) - 1} templates × {len(CONVERSATIONS)} conversations: {rendered} renders, "
          f"{(len(files) - 1) * len(CONVERSATIONS) - rendered} raise; {len(stale)} file(s) {'stale' if args.check else 'written'}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
