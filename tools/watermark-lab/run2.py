import sys; from lab2 import *
from det2lib import detect2
design = sys.argv[1]; cls = eval(sys.argv[2]); J = int(sys.argv[3]); eps = float(sys.argv[4]); seed = int(sys.argv[5]) if len(sys.argv) > 5 else 11
k = gen_key(seed, cls, J, eps)
p, q = watermark(ztest, Xt, k); d = kl(p, q)
print(design, 'meanKL %.4f maxKL %.4f top1 %.4f' % (d.mean(), d.max(), (p.argmax(1) == q.argmax(1)).mean()), flush=True)
_, qtr = watermark(zt, Xtf, k); _, q2 = watermark(z2, Xtf, dict(comps=[], classes=[], J=1, eps=0))
mix = np.where((np.random.default_rng(3).random(len(qtr)) < 0.25)[:, None], np.log(qtr), logsoftmax(z2))
runs = [('100%T4', np.log(qtr), 4), ('100%T1', np.log(qtr), 1), ('25%T4', mix, 4), ('25%T1', mix, 1)]
if len(sys.argv) > 6: runs = [r for r in runs if r[0] in sys.argv[6].split(',')]
neg = [('teacher', logsoftmax(ztest)), ('teacher2', logsoftmax(z2test)), ('s_clean_T4', logsoftmax(rd(W + 's_clean_T4.test').astype(np.float64))), ('scratch_a', logsoftmax(rd(W + 'scratch_a.test').astype(np.float64)))]
for name, L in neg:
    print(design, 'NEG', name, detect2(L, k), '| w', detect2(L, k, weight=k['eps']), flush=True)
for name, lq, T in runs:
    t0 = time.time(); L = train_student(lq, T, 5); np.save('st_%s_%s.npy' % (design, name), L)
    print(design, name, detect2(L, k), '| w', detect2(L, k, weight=k['eps']), '%.0fs' % (time.time() - t0), flush=True)
