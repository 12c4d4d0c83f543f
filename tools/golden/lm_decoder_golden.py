#!/usr/bin/env python3
"""Golden logits for org.distill4j.lm.model.Decoder, from an independent PyTorch implementation.

Usage (Debian's PyTorch):

    SOURCE_DATE_EPOCH=0 /usr/bin/python3 tools/golden/lm_decoder_golden.py \
        > distill-core/src/test/resources/golden/lm_decoder_golden.json

The reference is a GPT-2-style pre-norm decoder written here from the formulas, not from the Java:
x = wte[ids] (+ wpe[0:T] for learned positions); per block
x = x + proj(attn(ln1(x))), x = x + fc2(gelu(fc1(ln2(x)))) with exact (erf) GELU, LayerNorm eps 1e-5,
causal softmax(q k^T / sqrt(D)) with rotary ("rotate half", base 10000) on q and k when configured;
then ln_f and the head (wte^T when tied). Parameters are named as DJL names the Java block's
parameters, drawn float32 from a fixed seed (std 0.3, LayerNorm gains around 1), and the logits are
computed in float64 from those exact float32 values.
"""

import datetime
import json
import math
import os
import platform
import sys

import torch
import torch.nn.functional as F

V = 258
CASES = [
    # name, layers, width, heads, context, positions, tied, batch, length
    ("learned_untied", 2, 16, 2, 8, "learned", False, 2, 6),
    ("rotary_tied", 2, 16, 4, 8, "rotary", True, 2, 8),
]


def params(layers, width, ctx, positions, tied, gen):
    def w(*shape, std=0.3):
        return (torch.randn(*shape, generator=gen) * std).float()
    p = {"token_embedding": w(V, width)}
    if positions == "learned":
        p["position_embedding"] = w(ctx, width)
    for i in range(layers):
        b = "%02dblock%d_" % (i + 1, i)
        p[b + "01ln1_gamma"] = 1 + w(width, std=0.1)
        p[b + "01ln1_beta"] = w(width, std=0.1)
        p[b + "02attention_01qkv_weight"] = w(3 * width, width)
        p[b + "02attention_01qkv_bias"] = w(3 * width, std=0.1)
        p[b + "02attention_02proj_weight"] = w(width, width)
        p[b + "02attention_02proj_bias"] = w(width, std=0.1)
        p[b + "03ln2_gamma"] = 1 + w(width, std=0.1)
        p[b + "03ln2_beta"] = w(width, std=0.1)
        p[b + "04fc1_weight"] = w(4 * width, width)
        p[b + "04fc1_bias"] = w(4 * width, std=0.1)
        p[b + "05fc2_weight"] = w(width, 4 * width)
        p[b + "05fc2_bias"] = w(width, std=0.1)
    n = layers + 1
    p["%02dln_f_gamma" % n] = 1 + w(width, std=0.1)
    p["%02dln_f_beta" % n] = w(width, std=0.1)
    if not tied:
        p["%02dhead_weight" % (n + 1)] = w(V, width)
    return p


def rotary(x):
    # x: (B, H, T, D)
    _, _, t, d = x.shape
    half = d // 2
    k = torch.arange(half, dtype=torch.float64)
    freq = 10000.0 ** (-2.0 * k / d)
    angle = torch.arange(t, dtype=torch.float64)[:, None] * freq[None, :]
    cos = torch.cat([angle.cos(), angle.cos()], dim=-1)
    sin = torch.cat([angle.sin(), angle.sin()], dim=-1)
    rot = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rot * sin


def forward(p, ids, layers, width, heads, positions, tied):
    d = {k: v.double() for k, v in p.items()}
    b, t = ids.shape
    x = d["token_embedding"][ids]
    if positions == "learned":
        x = x + d["position_embedding"][:t]
    hd = width // heads
    mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
    for i in range(layers):
        pre = "%02dblock%d_" % (i + 1, i)
        a = F.layer_norm(x, (width,), d[pre + "01ln1_gamma"], d[pre + "01ln1_beta"], 1e-5)
        qkv = F.linear(a, d[pre + "02attention_01qkv_weight"], d[pre + "02attention_01qkv_bias"])
        q, k, v = qkv.split(width, dim=-1)
        q, k, v = [z.view(b, t, heads, hd).transpose(1, 2) for z in (q, k, v)]
        if positions == "rotary":
            q, k = rotary(q), rotary(k)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        s = s.masked_fill(mask, float("-inf"))
        y = (s.softmax(-1) @ v).transpose(1, 2).reshape(b, t, width)
        x = x + F.linear(y, d[pre + "02attention_02proj_weight"], d[pre + "02attention_02proj_bias"])
        m = F.layer_norm(x, (width,), d[pre + "03ln2_gamma"], d[pre + "03ln2_beta"], 1e-5)
        m = F.gelu(F.linear(m, d[pre + "04fc1_weight"], d[pre + "04fc1_bias"]))
        x = x + F.linear(m, d[pre + "05fc2_weight"], d[pre + "05fc2_bias"])
    n = layers + 1
    x = F.layer_norm(x, (width,), d["%02dln_f_gamma" % n], d["%02dln_f_beta" % n], 1e-5)
    head = d["token_embedding"] if tied else d["%02dhead_weight" % (n + 1)]
    return x @ head.T


def main():
    cases = []
    for index, (name, layers, width, heads, ctx, positions, tied, b, t) in enumerate(CASES):
        gen = torch.Generator().manual_seed(700 + index)
        p = params(layers, width, ctx, positions, tied, gen)
        ids = torch.randint(0, V, (b, t), generator=gen)
        logits = forward(p, ids, layers, width, heads, positions, tied)
        cases.append({
            "name": name, "layers": layers, "width": width, "heads": heads, "context": ctx,
            "positions": positions, "tied": tied, "ids": ids.tolist(),
            "params": {k: {"shape": list(v.shape), "values": [float(x) for x in v.reshape(-1).tolist()]}
                       for k, v in p.items()},
            "logits": logits.reshape(-1).tolist(),
        })
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch
            else datetime.datetime.now(datetime.timezone.utc))
    json.dump({
        "producer": {
            "command": "SOURCE_DATE_EPOCH=0 /usr/bin/python3 tools/golden/lm_decoder_golden.py"
                       " > distill-core/src/test/resources/golden/lm_decoder_golden.json",
            "script": "tools/golden/lm_decoder_golden.py",
            "torch_version": torch.__version__,
            "python_version": platform.python_version(),
            "date": when.date().isoformat(),
        },
        "cases": cases,
    }, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
