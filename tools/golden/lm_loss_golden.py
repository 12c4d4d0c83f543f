#!/usr/bin/env python3
"""Golden values for the sequence-KD losses in org.distill4j.lm.loss, computed by PyTorch.

Usage (Debian's PyTorch; the pyenv ``python3`` on PATH has no torch):

    SOURCE_DATE_EPOCH=0 /usr/bin/python3 tools/golden/lm_loss_golden.py \
        > distill-core/src/test/resources/golden/lm_loss_golden.json

Shapes: student logits s and teacher logits t are (B, T, V); targets y are (B, T) token ids with
-1 marking padding. Every term is a mean over the real (non-padding) positions, N = #{y >= 0}
(terms are 0 when N = 0). Per position:

  ce         = -log_softmax(s)[y]
  full_kl    = T^2 * sum_v p_T(v) * (log p_T(v) - log q_T(v)),  p_T = softmax(t/T), q_T = softmax(s/T)
  topk_kl    = sum_{i<k} p_i * (l_i - log q(id_i)) + p_rest * (log p_rest - log q_rest)
               where (id_i, l_i) are the teacher's k largest log-probabilities (what an API returns),
               p_i = exp(l_i), p_rest = max(0, 1 - sum_i p_i), q = softmax(s),
               q_rest = sum of q over the ids not in the top k; 0 * log 0 = 0;
               an entry with l_i = -inf is absent (fewer than k returned; its id repeats a present
               one), and a position with no entry has no KD term and is left out of the KD mean
  sampled_kl = T^2 * sum_j w_j * (log w_j - log q_T(id_j)), the ids and weights of a sparse,
               unbiased estimate of p_T (entries with w_j = 0 are padding)
  reverse_kl = T^2 * sum_v q_T(v) * (log q_T(v) - log p_T(v))
  jsd        = T^2 * [beta * KL(p_T || m) + (1 - beta) * KL(q_T || m)],  m = beta p_T + (1 - beta) q_T,
               0 < beta < 1 (the generalised JSD of GKD, Agarwal et al. 2024, on fixed data)

  loss = alpha * mean(kd term) + (1 - alpha) * mean(ce)        (alpha = 1 skips ce, alpha = 0 skips kd)

Inputs are float32 drawn from a fixed per-case seed and written exactly; the loss and its gradient
with respect to the student logits are computed in float64 by autograd from those float32 values.
"""

import datetime
import json
import math
import os
import platform
import sys

import torch
import torch.nn.functional as F

BASE_SEED = 1100
V = 12
# (name, kind, T, alpha, B, Tlen, k or samples, logit scale, padding {(b, t)})
CASES = [
    ("full_T1_a0.5", "full", 1.0, 0.5, 2, 5, 0, 1.0, set()),
    ("full_T2_a0.7_pad", "full", 2.0, 0.7, 2, 5, 0, 2.0, {(1, 3), (1, 4)}),
    ("full_T4_a1", "full", 4.0, 1.0, 3, 4, 0, 3.0, {(0, 3)}),
    ("full_T0.5_a0", "full", 0.5, 0.0, 2, 4, 0, 1.0, {(1, 0)}),
    ("full_T1_a0.5_scale30", "full", 1.0, 0.5, 2, 4, 0, 30.0, set()),
    ("full_all_padding", "full", 2.0, 0.5, 1, 3, 0, 1.0, {(0, 0), (0, 1), (0, 2)}),
    ("topk1_a1", "topk", 1.0, 1.0, 2, 5, 1, 2.0, set()),
    ("topk5_a0.5_pad", "topk", 1.0, 0.5, 2, 5, 5, 2.0, {(0, 4)}),
    ("topk11_a1_scale10", "topk", 1.0, 1.0, 2, 4, 11, 10.0, set()),
    ("topk3_a0.8_rounded", "topk", 1.0, 0.8, 2, 4, 3, 1.0, {(1, 1)}),
    ("sampled_n8_T1_a1", "sampled", 1.0, 1.0, 2, 5, 8, 2.0, set()),
    ("sampled_n12_T2_a0.6_pad", "sampled", 2.0, 0.6, 2, 5, 12, 2.0, {(1, 4)}),
    ("sampled_n3_T1_a0.5", "sampled", 1.0, 0.5, 2, 4, 3, 1.0, set()),
    ("topk5_a0.5_fewer_and_none", "topk", 1.0, 0.5, 2, 5, 5, 2.0, {(1, 4)}),
    ("reverse_T1_a0.5_pad", "reverse", 1.0, 0.5, 2, 5, 0, 2.0, {(0, 4)}),
    ("reverse_T2_a1", "reverse", 2.0, 1.0, 2, 4, 0, 3.0, set()),
    ("jsd_beta0.5_T1_a0.5", "jsd", 1.0, 0.5, 2, 5, 0, 2.0, {(1, 0)}),
    ("jsd_beta0.1_T2_a1", "jsd", 2.0, 1.0, 2, 4, 0, 2.0, set()),
    ("jsd_beta0.9_T1_a0.7_scale20", "jsd", 1.0, 0.7, 2, 4, 0, 20.0, set()),
]


def masked_mean(per_pos, mask):
    n = mask.sum()
    return (per_pos * mask).sum() / torch.clamp(n, min=1.0)


def ce_term(s, y, mask):
    logq = F.log_softmax(s, dim=-1)
    safe = torch.where(y >= 0, y, torch.zeros_like(y))
    return masked_mean(-logq.gather(-1, safe.unsqueeze(-1)).squeeze(-1), mask)


def full_kl(s, t, temperature, mask):
    logp = F.log_softmax(t / temperature, dim=-1)
    logq = F.log_softmax(s / temperature, dim=-1)
    per = (logp.exp() * (logp - logq)).sum(-1)
    return temperature * temperature * masked_mean(per, mask)


def reverse_kl(s, t, temperature, mask):
    logp = F.log_softmax(t / temperature, dim=-1)
    logq = F.log_softmax(s / temperature, dim=-1)
    per = (logq.exp() * (logq - logp)).sum(-1)
    return temperature * temperature * masked_mean(per, mask)


def generalized_jsd(s, t, beta, temperature, mask):
    logp = F.log_softmax(t / temperature, dim=-1)
    logq = F.log_softmax(s / temperature, dim=-1)
    logm = torch.logsumexp(torch.stack([logp + math.log(beta), logq + math.log(1 - beta)]), dim=0)
    per = beta * (logp.exp() * (logp - logm)).sum(-1) + (1 - beta) * (logq.exp() * (logq - logm)).sum(-1)
    return temperature * temperature * masked_mean(per, mask)


def topk_kl(s, ids, logp, mask):
    # Entries with log-prob -inf are absent (an API returned fewer than k); they repeat an id that is
    # present. A position with no entry at all has no KD term and is left out of the KD mean.
    present = torch.isfinite(logp)
    has_any = present.any(-1)
    logq = F.log_softmax(s, dim=-1)
    logq_k = logq.gather(-1, ids)
    p = torch.where(present, logp.exp(), torch.zeros_like(logp))
    head = torch.where(present, p * (logp - logq_k), torch.zeros_like(logp)).sum(-1)
    p_rest = torch.clamp(1 - p.sum(-1), min=0.0)
    in_k = torch.zeros_like(s).scatter(-1, ids, 1.0)
    logq_rest = torch.logsumexp(logq.masked_fill(in_k > 0, float("-inf")), dim=-1)
    tail = torch.where(p_rest > 0, p_rest * (torch.log(torch.clamp(p_rest, min=1e-300)) - logq_rest),
                       torch.zeros_like(p_rest))
    kd = torch.where(has_any, head + tail, torch.zeros_like(head))
    return masked_mean(kd, mask * has_any.double())


def sampled_kl(s, ids, w, temperature, mask):
    logq = F.log_softmax(s / temperature, dim=-1).gather(-1, ids)
    per = torch.where(w > 0, w * (torch.log(torch.clamp(w, min=1e-300)) - logq), torch.zeros_like(w)).sum(-1)
    return temperature * temperature * masked_mean(per, mask)


def sample_targets(t, temperature, n, gen):
    """Draw n ids per position from softmax(t/T); unique ids with weight count/n, padded with (0, 0)."""
    p = F.softmax(t.double() / temperature, dim=-1)
    B, L, _ = t.shape
    ids = torch.zeros(B, L, n, dtype=torch.int64)
    w = torch.zeros(B, L, n, dtype=torch.float32)
    for b in range(B):
        for i in range(L):
            draws = torch.multinomial(p[b, i], n, replacement=True, generator=gen)
            uniq, counts = torch.unique(draws, return_counts=True)
            ids[b, i, :len(uniq)] = uniq
            w[b, i, :len(uniq)] = (counts.double() / n).float()
    return ids, w


def f32(x):
    # -inf (an absent top-k entry) is written as null: JSON has no infinities.
    return [None if v == float("-inf") else float(v) for v in x.reshape(-1).tolist()]


def main():
    cases = []
    for index, (name, kind, temperature, alpha, B, L, k, scale, padding) in enumerate(CASES):
        seed = BASE_SEED + index
        gen = torch.Generator().manual_seed(seed)
        s32 = (torch.randn(B, L, V, generator=gen) * scale).float()
        t32 = (torch.randn(B, L, V, generator=gen) * scale).float()
        y = torch.randint(0, V, (B, L), generator=gen)
        for (b, i) in padding:
            y[b, i] = -1
        mask = (y >= 0).double()
        case = {"name": name, "kind": kind, "seed": seed, "temperature": temperature, "alpha": alpha,
                "batch": B, "length": L, "vocab": V, "logit_scale": scale,
                "targets": y.reshape(-1).tolist(), "student_logits": f32(s32)}
        s = s32.double().requires_grad_(True)
        if kind == "full":
            case["teacher_logits"] = f32(t32)
            kd = lambda: full_kl(s, t32.double(), temperature, mask)
        elif kind == "reverse":
            case["teacher_logits"] = f32(t32)
            kd = lambda: reverse_kl(s, t32.double(), temperature, mask)
        elif kind == "jsd":
            beta = float(name.split("beta")[1].split("_")[0])
            case["beta"] = beta
            case["teacher_logits"] = f32(t32)
            kd = lambda: generalized_jsd(s, t32.double(), beta, temperature, mask)
        elif kind == "topk":
            logp32 = F.log_softmax(t32.double(), dim=-1).float()
            vals, ids = logp32.topk(k, dim=-1)
            if "rounded" in name:
                # An API returns rounded log-probabilities: keep 3 decimals.
                vals = torch.round(vals * 1000) / 1000
            if "fewer" in name:
                # Position (0, 1) got 2 of 5 entries, (1, 2) none; absent entries repeat the first id.
                vals[0, 1, 2:] = float("-inf")
                ids[0, 1, 2:] = ids[0, 1, 0]
                vals[1, 2, :] = float("-inf")
                ids[1, 2, :] = ids[1, 2, 0]
            vals = vals.float()
            case["k"] = k
            case["teacher_ids"] = ids.reshape(-1).tolist()
            case["teacher_logprobs"] = f32(vals)
            kd = lambda: topk_kl(s, ids, vals.double(), mask)
        else:
            ids, w = sample_targets(t32, temperature, k, gen)
            case["samples"] = k
            case["teacher_ids"] = ids.reshape(-1).tolist()
            case["teacher_weights"] = f32(w)
            kd = lambda: sampled_kl(s, ids, w.double(), temperature, mask)
        soft = alpha * kd() if alpha > 0 else None
        hard = (1 - alpha) * ce_term(s, y, mask) if alpha < 1 else None
        total = soft if hard is None else hard if soft is None else soft + hard
        (grad,) = torch.autograd.grad(total, s)
        case["expected"] = {"loss": total.item(), "soft": None if soft is None else soft.item(),
                            "hard": None if hard is None else hard.item(),
                            "grad_student": grad.reshape(-1).tolist()}
        cases.append(case)

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch
            else datetime.datetime.now(datetime.timezone.utc))
    doc = {
        "producer": {
            "command": "SOURCE_DATE_EPOCH=0 /usr/bin/python3 tools/golden/lm_loss_golden.py"
                       " > distill-core/src/test/resources/golden/lm_loss_golden.json",
            "script": "tools/golden/lm_loss_golden.py",
            "torch_version": torch.__version__,
            "python_version": platform.python_version(),
            "date": when.date().isoformat(),
        },
        "formula": __doc__.split("Shapes:")[1].split("Inputs are")[0].strip(),
        "precision": "inputs float32 (exact values, row-major (B, T, V) / (B, T, k)); expected values and"
                     " grad_student computed in float64 by autograd",
        "cases": cases,
    }
    json.dump(doc, sys.stdout, indent=None)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
