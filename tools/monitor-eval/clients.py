#!/usr/bin/env python3
"""Benign users and a synthetic-probe attacker for tools/monitor-eval.sh (stdlib only).

users:  each user sends Fashion-MNIST test rows in their natural order, one row per request, at
        RATE rows/s, from its own offset, with its own API key.
probes: a Jacobian-augmentation-like attacker (Papernot et al. 2017, as PRADA evaluates): 20 seed
        test images, then rounds in which every kept query spawns x + 0.1 * sign(g) (g a random
        direction standing in for the substitute's gradient sign), clipped to [0, 1].
"""
import gzip
import json
import random
import sys
import threading
import time
import urllib.request

FMNIST = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"


def images():
    with gzip.open(FMNIST, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[4:8], "big")
    return [[b / 255.0 for b in data[16 + i * 784:16 + (i + 1) * 784]] for i in range(n)]


def post(base, key, shape, row):
    body = {"inputs": [{"name": "input", "shape": [1] + shape, "datatype": "FP32", "data": row}]}
    req = urllib.request.Request(base + "/v2/models/teacher/infer", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", "Authorization": "Bearer " + key})
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()


def shape(base, key):
    req = urllib.request.Request(base + "/v2/models/teacher", headers={"Authorization": "Bearer " + key})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)["inputs"][0]["shape"][1:]


def paced(rate, n, send):
    start = time.monotonic()
    for i in range(n):
        wait = start + i / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        send(i)


def main():
    mode, base, rate, count = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    keys = sys.argv[5].split(",")
    x = images()
    s = shape(base, keys[0])
    threads = []
    if mode == "users":
        for u, key in enumerate(keys):
            off = u * (len(x) // len(keys))
            t = threading.Thread(target=paced, args=(rate, count, lambda i, k=key, o=off: post(base, k, s, x[o + i])))
            threads.append(t)
    else:
        rng = random.Random(7)
        pool = [x[i] for i in rng.sample(range(len(x)), 20)]
        queue = list(pool)

        def probe(i):
            if i < len(queue):
                q = queue[i]
            else:
                src = queue[rng.randrange(len(queue))]
                q = [min(1.0, max(0.0, v + 0.1 * (1 if rng.random() < 0.5 else -1))) for v in src]
                queue.append(q)
            post(base, keys[0], s, q)

        threads.append(threading.Thread(target=paced, args=(rate, count, probe)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
