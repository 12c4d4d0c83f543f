#!/usr/bin/python3
"""The MLP training step of `distill bench speed`, in PyTorch, as a reference.

Run by SpeedBenchmark as a subprocess with Debian's python3-torch (/usr/bin/python3); prints one
JSON line. It trains the same MLP (784 -> hidden... -> 10, ReLU) with the same batch size, Adam
and cross-entropy, on the same number of rows and with the same intra-op thread count as the Java
run, doing per batch what distill4j's trainer does: gather the shuffled rows, forward, loss,
backward, optimiser step, argmax for the training accuracy. The rows are random (the values do
not change the arithmetic); data loading from disk is not timed on either side.
"""
import argparse
import json
import time

import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--hidden", default="100", help="comma-separated hidden widths")
    p.add_argument("--inputs", type=int, default=784)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--rows", type=int, default=54000)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--lr", type=float, default=0.001)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    widths = [a.inputs] + [int(h) for h in a.hidden.split(",") if h] + [a.classes]
    layers = []
    for i in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    x_all = torch.rand(a.rows, a.inputs)
    y_all = torch.randint(0, a.classes, (a.rows,))

    epoch_seconds = []
    for _ in range(a.epochs):
        order = torch.randperm(a.rows)
        correct = 0
        start = time.perf_counter()
        for s in range(0, a.rows, a.batch):
            idx = order[s:s + a.batch]
            x = x_all[idx]
            y = y_all[idx]
            opt.zero_grad(set_to_none=True)
            logits = model(x)
            loss = torch.nn.functional.cross_entropy(logits, y)
            loss.backward()
            opt.step()
            _ = float(loss)  # the Java trainer reads the loss every batch
            correct += int((logits.argmax(1) == y).sum())
        epoch_seconds.append(time.perf_counter() - start)

    best = sorted(epoch_seconds)[len(epoch_seconds) // 2]
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "hidden": widths[1:-1],
        "rows": a.rows,
        "batch": a.batch,
        "epoch_seconds": epoch_seconds,
        "median_epoch_seconds": best,
        "samples_per_s": a.rows / best,
    }))


if __name__ == "__main__":
    main()
