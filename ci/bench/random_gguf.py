#!/usr/bin/env python3
"""Writes a GGUF v3 file with a real model's shape and random BF16 weights, for benchmarks (not tests).

    random_gguf.py llama-3.2-1b|qwen2.5-0.5b OUT.gguf [--seed N]

The shapes are the published config.json values of meta-llama/Llama-3.2-1B and Qwen/Qwen2.5-0.5B. The vocabulary
is a placeholder in llama.cpp's "llama" (SentencePiece) form: the 256 byte tokens <0x00>..<0xFF> (llama.cpp looks up
<0x0A> for the newline) and then "tok<i>", so llama.cpp and jllm can load the file; the text it decodes to is
meaningless. Weights are N(0, 0.02) (norm weights 1.0, biases 0) so activations stay finite through the layers.
GGUF layout (ggml's gguf.md): "GGUF", u32 version, u64 tensor_count, u64 kv_count, metadata key/values, tensor infos
(name, u32 n_dims, u64 ne[], u32 ggml_type, u64 offset), padding to general.alignment (32), tensor data; a matrix
[rows, cols] has ne = {cols, rows}.
"""
import struct
import sys

import numpy as np

SHAPES = {
    # meta-llama/Llama-3.2-1B config.json
    "llama-3.2-1b": dict(arch="llama", hidden=2048, layers=16, heads=32, kv_heads=8, head_dim=64,
                         intermediate=8192, vocab=128256, ctx=131072, eps=1e-5, theta=500000.0, qkv_bias=False,
                         bos=128000, eos=128001),
    # Qwen/Qwen2.5-0.5B config.json
    "qwen2.5-0.5b": dict(arch="qwen2", hidden=896, layers=24, heads=14, kv_heads=2, head_dim=64,
                         intermediate=4864, vocab=151936, ctx=32768, eps=1e-6, theta=1000000.0, qkv_bias=True,
                         bos=151643, eos=151643),
}

GGUF_U32, GGUF_F32, GGUF_STRING, GGUF_ARRAY = 4, 6, 8, 9
GGML_F32, GGML_BF16 = 0, 30
ALIGN = 32


def gguf_str(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def kv_entry(key, value):
    out = gguf_str(key)
    if isinstance(value, str):
        return out + struct.pack("<I", GGUF_STRING) + gguf_str(value)
    if isinstance(value, float):
        return out + struct.pack("<If", GGUF_F32, value)
    if isinstance(value, int):
        return out + struct.pack("<II", GGUF_U32, value)
    kind, items = value  # ("str" | "f32" | "i32", list)
    if kind == "str":
        return out + struct.pack("<IIQ", GGUF_ARRAY, GGUF_STRING, len(items)) + b"".join(gguf_str(s) for s in items)
    code, fmt = {"f32": (GGUF_F32, "f4"), "i32": (5, "i4")}[kind]
    return out + struct.pack("<IIQ", GGUF_ARRAY, code, len(items)) + np.asarray(items, dtype=fmt).tobytes()


def tensors(s):
    """(name, [rows, cols] or [len], ggml type, init) in llama.cpp's naming; tied embeddings: no output.weight."""
    H, I, q, kv = s["hidden"], s["intermediate"], s["heads"] * s["head_dim"], s["kv_heads"] * s["head_dim"]
    out = [("token_embd.weight", [s["vocab"], H], GGML_BF16, "normal"), ("output_norm.weight", [H], GGML_F32, "one")]
    for i in range(s["layers"]):
        p = f"blk.{i}."
        out += [(p + "attn_norm.weight", [H], GGML_F32, "one"), (p + "ffn_norm.weight", [H], GGML_F32, "one"),
                (p + "attn_q.weight", [q, H], GGML_BF16, "normal"), (p + "attn_k.weight", [kv, H], GGML_BF16, "normal"),
                (p + "attn_v.weight", [kv, H], GGML_BF16, "normal"),
                (p + "attn_output.weight", [H, q], GGML_BF16, "normal"),
                (p + "ffn_gate.weight", [I, H], GGML_BF16, "normal"), (p + "ffn_up.weight", [I, H], GGML_BF16, "normal"),
                (p + "ffn_down.weight", [H, I], GGML_BF16, "normal")]
        if s["qkv_bias"]:
            out += [(p + "attn_q.bias", [q], GGML_F32, "zero"), (p + "attn_k.bias", [kv], GGML_F32, "zero"),
                    (p + "attn_v.bias", [kv], GGML_F32, "zero")]
    return out


def nbytes(shape, t):
    return int(np.prod(shape)) * (4 if t == GGML_F32 else 2)


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in SHAPES:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(SHAPES)} OUT.gguf [--seed N]")
    s, path = SHAPES[sys.argv[1]], sys.argv[2]
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 0
    rng = np.random.default_rng(seed)
    a = s["arch"]
    vocab = [f"<0x{b:02X}>" for b in range(256)] + [f"tok{i}" for i in range(256, s["vocab"])]
    meta = {
        "general.architecture": a, "general.name": sys.argv[1] + " (random weights)", "general.alignment": ALIGN,
        a + ".context_length": s["ctx"], a + ".embedding_length": s["hidden"], a + ".block_count": s["layers"],
        a + ".feed_forward_length": s["intermediate"], a + ".attention.head_count": s["heads"],
        a + ".attention.head_count_kv": s["kv_heads"], a + ".rope.dimension_count": s["head_dim"],
        a + ".rope.freq_base": s["theta"], a + ".attention.layer_norm_rms_epsilon": s["eps"],
        "tokenizer.ggml.model": "llama", "tokenizer.ggml.tokens": ("str", vocab),
        "tokenizer.ggml.scores": ("f32", [0.0] * s["vocab"]),
        "tokenizer.ggml.token_type": ("i32", [6] * 256 + [1] * (s["vocab"] - 256)),  # 6 = byte, 1 = normal
        "tokenizer.ggml.bos_token_id": s["bos"], "tokenizer.ggml.eos_token_id": s["eos"],
    }
    ts = tensors(s)
    with open(path, "wb") as f:
        # 1. header, metadata, tensor infos (offsets relative to the aligned data start)
        f.write(b"GGUF" + struct.pack("<IQQ", 3, len(ts), len(meta)))
        for k, v in meta.items():
            f.write(kv_entry(k, v))
        offset = 0
        for name, shape, t, _ in ts:
            f.write(gguf_str(name) + struct.pack("<I", len(shape)) + struct.pack(f"<{len(shape)}Q", *reversed(shape)))
            f.write(struct.pack("<IQ", t, offset))
            offset += (nbytes(shape, t) + ALIGN - 1) // ALIGN * ALIGN
        f.write(b"\0" * (-f.tell() % ALIGN))
        # 2. tensor data, 16M elements at a time (bf16 = the top half of the f32 bits, truncated)
        for name, shape, t, init in ts:
            n = int(np.prod(shape))
            if t == GGML_F32:
                f.write(np.full(n, 1.0 if init == "one" else 0.0, dtype="<f4").tobytes())
            else:
                for i in range(0, n, 1 << 24):
                    x = rng.standard_normal(min(1 << 24, n - i), dtype=np.float32) * np.float32(0.02)
                    f.write((x.view(np.uint32) >> 16).astype("<u2").tobytes())
            f.write(b"\0" * (-f.tell() % ALIGN))


if __name__ == "__main__":
    main()
