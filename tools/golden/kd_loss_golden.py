#!/usr/bin/env python3
"""Golden values for org.distill4j.loss.DistillationLoss, computed by PyTorch.

Usage (Debian's PyTorch; the pyenv ``python3`` on PATH has no torch):

    /usr/bin/python3 tools/golden/kd_loss_golden.py \
        > distill-core/src/test/resources/golden/kd_loss_golden.json

Formula (T = temperature, s = student logits, t = teacher logits, y = hard labels):

    loss = alpha * T^2 * kl_div(log_softmax(s/T), softmax(t/T), reduction='batchmean')
         + (1 - alpha) * cross_entropy(s, y, ignore_index=-1)

A negative label marks an unlabelled row: every negative id is mapped to -1 and ignored by the
cross-entropy, which is the mean over labelled rows only and 0 (not PyTorch's NaN) when no row
is labelled. With alpha = 1 the cross-entropy is not evaluated at all, and with alpha = 0 the KL
term is not evaluated, exactly as the Java loss does.

Inputs are drawn in float32 from a fixed per-case torch seed and written as the exact float32
values (a float32 printed as the shortest decimal of its double widening round-trips exactly),
so the Java test feeds identical bits. The reference loss and its gradient with respect to the
student logits (autograd) are computed in float64 from those float32 values, so the golden
numbers carry no float32 rounding of their own; the Java side (float32) is compared within a
tolerance.

The output is deterministic apart from the "date" field in the header, which is taken from
SOURCE_DATE_EPOCH when that is set.
"""

import datetime
import json
import os
import platform
import sys

import torch
import torch.nn.functional as F

# (name, T, alpha, batch, classes, logit scale, unlabelled rows {row: negative id})
# Every case gets its own seed (BASE_SEED + index), so adding a case never changes the others.
BASE_SEED = 4242
CASES = [
    ("T4_alpha0.5_b8_c10", 4.0, 0.5, 8, 10, 1.0, {}),
    ("T1_alpha0.5_b8_c10", 1.0, 0.5, 8, 10, 1.0, {}),
    ("T20_alpha0.7_b8_c10_scale3", 20.0, 0.7, 8, 10, 3.0, {}),
    ("T0.5_alpha0.5_b8_c10_scale2", 0.5, 0.5, 8, 10, 2.0, {}),
    ("T4_alpha0_hard_only_b8_c10", 4.0, 0.0, 8, 10, 1.0, {}),
    ("T4_alpha1_soft_only_b8_c10", 4.0, 1.0, 8, 10, 1.0, {}),
    ("T2_alpha0.3_b32_c3", 2.0, 0.3, 32, 3, 1.0, {}),
    ("T4_alpha0.5_batch1_c3", 4.0, 0.5, 1, 3, 1.0, {}),
    ("T4_alpha0.5_batch1_c10", 4.0, 0.5, 1, 10, 1.0, {}),
    ("T4_alpha0.5_b16_c10_scale50", 4.0, 0.5, 16, 10, 50.0, {}),
    ("T1_alpha0.5_b16_c10_scale500", 1.0, 0.5, 16, 10, 500.0, {}),
    ("T0.5_alpha0.9_b16_c10_scale500", 0.5, 0.9, 16, 10, 500.0, {}),
    ("T20_alpha0.5_b16_c10_scale500", 20.0, 0.5, 16, 10, 500.0, {}),
    ("T4_alpha0.5_b8_c10_some_unlabelled", 4.0, 0.5, 8, 10, 1.0, {1: -1, 4: -1, 6: -7}),
    ("T4_alpha0_b8_c3_some_unlabelled", 4.0, 0.0, 8, 3, 2.0, {0: -1, 7: -100}),
    ("T4_alpha1_b8_c10_all_unlabelled", 4.0, 1.0, 8, 10, 1.0, {i: -1 for i in range(8)}),
    ("T3_alpha0.5_b4_c10_all_unlabelled", 3.0, 0.5, 4, 10, 1.0, {i: -1 for i in range(4)}),
]


def reference(student32, teacher32, labels, temperature, alpha):
    """Loss terms and d(loss)/d(student) in float64, from the float32 inputs."""
    s = student32.double().requires_grad_(True)
    t = teacher32.double()
    soft = None
    hard = None
    if alpha > 0:
        kl = F.kl_div(F.log_softmax(s / temperature, dim=1), F.softmax(t / temperature, dim=1),
                      reduction="batchmean")
        soft = alpha * temperature * temperature * kl
    if alpha < 1:
        y = torch.where(labels < 0, torch.full_like(labels, -1), labels)
        if bool((y >= 0).any()):
            ce = F.cross_entropy(s, y, ignore_index=-1, reduction="mean")
        else:
            # PyTorch's mean over zero labelled rows is NaN; the documented contract is 0.
            ce = (s * 0.0).sum()
        hard = (1 - alpha) * ce
    total = soft if hard is None else hard if soft is None else soft + hard
    (grad,) = torch.autograd.grad(total, s)
    return {
        "loss": total.item(),
        "soft": None if soft is None else soft.item(),
        "hard": None if hard is None else hard.item(),
        "grad_student": grad.tolist(),
    }


def as_float32_list(x):
    # float(float32) widens exactly; json writes the shortest repr that round-trips that double.
    return [[float(v) for v in row] for row in x.tolist()]


def main():
    torch.set_default_dtype(torch.float32)
    cases = []
    for index, (name, temperature, alpha, batch, classes, scale, unlabelled) in enumerate(CASES):
        seed = BASE_SEED + index
        gen = torch.Generator().manual_seed(seed)
        student = (torch.randn(batch, classes, generator=gen) * scale).to(torch.float32)
        teacher = (torch.randn(batch, classes, generator=gen) * scale).to(torch.float32)
        labels = torch.randint(0, classes, (batch,), generator=gen, dtype=torch.int64)
        for row, neg in unlabelled.items():
            labels[row] = neg
        expected = reference(student, teacher, labels, temperature, alpha)
        for key in ("loss", "soft", "hard"):
            value = expected[key]
            if value is not None and value != value:
                raise SystemExit(f"{name}: {key} is NaN")
        cases.append({
            "name": name,
            "seed": seed,
            "temperature": temperature,
            "alpha": alpha,
            "batch": batch,
            "classes": classes,
            "logit_scale": scale,
            "hard_labels": labels.tolist(),
            "student_logits": as_float32_list(student),
            "teacher_logits": as_float32_list(teacher),
            "expected": expected,
        })

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch
            else datetime.datetime.now(datetime.timezone.utc))
    doc = {
        "producer": {
            "command": "/usr/bin/python3 tools/golden/kd_loss_golden.py"
                       " > distill-core/src/test/resources/golden/kd_loss_golden.json",
            "script": "tools/golden/kd_loss_golden.py",
            "torch_version": torch.__version__,
            "python_version": platform.python_version(),
            "date": when.date().isoformat(),
        },
        "formula": "loss = alpha * T^2 * F.kl_div(F.log_softmax(s/T, 1), F.softmax(t/T, 1),"
                   " reduction='batchmean') + (1 - alpha) * F.cross_entropy(s, y,"
                   " ignore_index=-1); negative y -> -1 (unlabelled); CE = 0 when no row is"
                   " labelled; alpha=1 skips CE, alpha=0 skips KL",
        "precision": "inputs float32 (exact values); expected loss, terms and grad_student ="
                     " d(loss)/d(student_logits) computed in float64 by autograd",
        "cases": cases,
    }
    json.dump(doc, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
