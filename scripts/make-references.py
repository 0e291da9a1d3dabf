#!/usr/bin/env python3
"""Reference fixtures computed by Hugging Face transformers for the model families and exports that the shared fixtures
do not cover. Run where torch and transformers are installed (the project's GPU machine has them):

    python3 scripts/make-references.py --out OUT

Writes, under OUT/:
  <family>-tiny/     a tiny random-weight model of the family (Mistral with a sliding window, Phi-3, Gemma 2, Gemma 3 text,
                     Llama with llama3 RoPE scaling, Qwen2 with YaRN), saved by transformers with llama-tiny's tokenizer, and its
                     reference.safetensors + reference.json (prompt ids, float32 logits at every position, 24 greedy
                     tokens), the layout of ../shared/fixtures/make_fixtures.py
  names-gpt/         transformers' reading of Moxing's exported GPT-2 folder models/names-gpt: reference.safetensors
                     (logits and greedy tokens for prompts its own tokenizer encodes), reference.json (the prompts' text,
                     token ids, decoded greedy text and the chat template rendered by apply_chat_template)
"""
import argparse, json, os, random, shutil
import torch
import transformers
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, AutoTokenizer

torch.set_grad_enabled(False)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKENIZER = os.path.join(ROOT, "tests", "fixtures", "hf", "models", "llama-tiny")


def perturb(model, seed):
    """Random norm weights and biases, so that an engine that ignores them fails the references."""
    g = torch.Generator().manual_seed(seed)
    for name, p in model.named_parameters():
        lname = name.lower()
        if p.dim() == 1 and "norm" in lname:
            p.copy_((1.0 if "gemma" not in type(model).__name__.lower() else 0.0) + 0.2 * torch.randn(p.shape, generator=g))
        elif name.endswith("bias"):
            p.copy_(0.1 * torch.randn(p.shape, generator=g))


def reference(model, prompts, out_dir, gen_tokens=24):
    """Logits at every position and greedy continuations of each prompt, as make_fixtures.py writes them."""
    model.eval()
    tensors, meta = {}, {"transformers": transformers.__version__, "torch": torch.__version__, "prompts": []}
    for i, ids in enumerate(prompts):
        x = torch.tensor([ids])
        tensors[f"p{i}.ids"] = x[0].clone()
        tensors[f"p{i}.logits"] = model(input_ids=x).logits[0].float().contiguous()
        out = model.generate(x, attention_mask=torch.ones_like(x), do_sample=False, max_new_tokens=gen_tokens,
                             min_new_tokens=gen_tokens, eos_token_id=None, pad_token_id=0)
        tensors[f"p{i}.greedy"] = out[0, len(ids):].clone()
        meta["prompts"].append({"name": f"p{i}", "length": len(ids), "logits": "all positions [length, vocab]",
                                "greedy": f"{gen_tokens} tokens, greedy, no eos stop"})
    save_file(tensors, os.path.join(out_dir, "reference.safetensors"))
    return meta


def family(out_root, name, config, seed):
    torch.manual_seed(seed)
    config.initializer_range = 0.15
    model = AutoModelForCausalLM.from_config(config, attn_implementation="eager").float()
    perturb(model, seed + 1)
    out_dir = os.path.join(out_root, name)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer = AutoTokenizer.from_pretrained(TOKENIZER)
    tokenizer.save_pretrained(out_dir)
    g = random.Random(seed)
    text = tokenizer("Hello, world! This is a test.", add_special_tokens=False)["input_ids"]
    # 45 + 24 positions cross the 16-position windows of the windowed families several times
    prompts = [text, [g.randrange(config.vocab_size)], [g.randrange(config.vocab_size) for _ in range(45)]]
    meta = reference(model, prompts, out_dir)
    with open(os.path.join(out_dir, "reference.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(name, sum(p.numel() for p in model.parameters()), "params")


def families(out_root):
    from transformers import Gemma2Config, Gemma3TextConfig, LlamaConfig, MistralConfig, Phi3Config, Qwen2Config
    base = dict(vocab_size=1024, hidden_size=64, intermediate_size=176, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, max_position_embeddings=512, bos_token_id=None, eos_token_id=2, pad_token_id=0,
                tie_word_embeddings=False)
    family(out_root, "mistral-tiny", MistralConfig(**base, head_dim=16, rms_norm_eps=1e-5, sliding_window=16,
                                                   rope_theta=10000.0), 31)
    family(out_root, "phi3-tiny", Phi3Config(**base, rms_norm_eps=1e-5, rope_theta=10000.0, sliding_window=None), 32)
    family(out_root, "gemma2-tiny", Gemma2Config(**dict(base, tie_word_embeddings=True), head_dim=16, rms_norm_eps=1e-6,
                                                 sliding_window=16, query_pre_attn_scalar=24, attn_logit_softcapping=50.0,
                                                 final_logit_softcapping=30.0, hidden_activation="gelu_pytorch_tanh"), 33)
    # Gemma 3: q/k norms, one sliding and one full layer, each with its own RoPE (local base 100 unscaled, global 10000
    # scaled linearly by 8) so a swapped schedule fails.
    family(out_root, "gemma3-tiny", Gemma3TextConfig(**dict(base, tie_word_embeddings=True), head_dim=16, rms_norm_eps=1e-6,
                                                     sliding_window=16, layer_types=["sliding_attention", "full_attention"],
                                                     query_pre_attn_scalar=24, hidden_activation="gelu_pytorch_tanh",
                                                     rope_parameters={
                                                         "sliding_attention": {"rope_type": "default", "rope_theta": 100.0},
                                                         "full_attention": {"rope_type": "linear", "factor": 8.0,
                                                                            "rope_theta": 10000.0}}), 36)
    family(out_root, "llama3rope-tiny", LlamaConfig(**base, head_dim=16, rms_norm_eps=1e-5, rope_parameters={
        "rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
        "original_max_position_embeddings": 64}), 34)
    family(out_root, "qwen2yarn-tiny", Qwen2Config(**base, rms_norm_eps=1e-6, rope_parameters={
        "rope_type": "yarn", "rope_theta": 1000000.0, "factor": 4.0, "original_max_position_embeddings": 128}), 35)


def names_gpt(out_root):
    folder = os.path.join(ROOT, "models", "names-gpt")
    model = AutoModelForCausalLM.from_pretrained(folder).float()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    texts = ["anna\nbob\n", "mar", "christopher\nkatherine\nelizabeth\n"]
    prompts = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
    out_dir = os.path.join(out_root, "names-gpt")
    os.makedirs(out_dir)
    meta = reference(model, prompts, out_dir)
    for entry, text, ids in zip(meta["prompts"], texts, prompts):
        entry["text"], entry["ids"] = text, ids
    messages = [{"role": "user", "content": "anna"}, {"role": "assistant", "content": "bob"}, {"role": "user", "content": "carl"}]
    meta["chat"] = {"messages": messages,
                    "rendered": tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)}
    meta["model_class"], meta["tokenizer_class"] = type(model).__name__, type(tokenizer).__name__
    with open(os.path.join(out_dir, "reference.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print("names-gpt", type(model).__name__, type(tokenizer).__name__, prompts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    shutil.rmtree(a.out, ignore_errors=True)
    os.makedirs(a.out)
    names_gpt(a.out)
    families(a.out)


if __name__ == "__main__":
    main()
