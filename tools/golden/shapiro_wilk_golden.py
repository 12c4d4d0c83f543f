#!/usr/bin/env python3
"""Golden values for org.distill4j.guard.ShapiroWilk, computed by SciPy's ``stats.shapiro``.

Usage (Debian's python3-scipy, ``apt-get install python3-scipy``; the pyenv ``python3`` on PATH
has no SciPy):

    /usr/bin/python3 tools/golden/shapiro_wilk_golden.py \
        > distill-core/src/test/resources/golden/shapiro_wilk_golden.json

SciPy wraps Royston's algorithm AS R94 (``swilk.f``, the one R's ``shapiro.test`` uses), which
computes in single precision: W agrees with a double-precision implementation to about 1e-6 and
the p-value to about 1e-4 of itself. Samples are drawn with numpy's default_rng(11) and written as
doubles (the shortest repr round-trips exactly).
"""
import json

import numpy as np
import scipy
from scipy import stats

rng = np.random.default_rng(11)
samples = [
    ("normal, n = 40", rng.normal(size=40)),
    ("uniform, n = 100", rng.uniform(size=100)),
    ("exponential, n = 25", rng.exponential(size=25)),
    ("normal, n = 12", rng.normal(size=12)),
    ("normal, n = 1000", rng.normal(size=1000)),
    ("student t with 3 df, n = 300", rng.standard_t(3, size=300)),
    # W does not depend on location or scale: a far-off mean catches code that forgets to centre.
    ("normal around 1000, n = 50", 1000 + 3 * rng.normal(size=50)),
]
cases = []
for name, x in samples:
    w, p = stats.shapiro(x)
    cases.append({"name": name, "values": [float(v) for v in x], "w": float(w), "p_value": float(p)})
print(json.dumps({"scipy": scipy.__version__, "cases": cases}, indent=1))
