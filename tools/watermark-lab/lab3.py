# NOTE (found after the runs): Ytr below reads the IMAGES file, so the "groups" used to draw the
# directions were arbitrary row subsets (2,501 rows for g = 0, 3 to 37 rows for g = 1..9), not classes.
# That accident is what showed that directions drawn from a few rows transfer far better
# (WatermarkKey.DIRECTION_ROWS); docs/audit.md section 2.
"""Row-partitioned watermark: each group (teacher's top class [, runner-up]) has its own target, direction, phase."""
import sys; from lab2 import *
Ytr = labels('train-images-idx3-ubyte.gz')[:5000]

def groups_of(logp, mode):
    o = np.argsort(-logp, 1)
    return o[:, 0] if mode == 'top' else o[:, 0] * 10 + o[:, 1]

def gen_keyP(seed, mode, eps, target='rand', fr=(1.5, 2.0)):
    r = np.random.default_rng(seed); comps = {}
    Ptr = logsoftmax(zt)  # teacher on transfer rows, for 'min' targets only
    Gtr = groups_of(Ptr, mode)
    for g in range(100 if mode != 'top' else 10):
        top = g // 10 if mode != 'top' else g
        sel = Xs[Ytr == top]
        Xc = sel - sel.mean(0)
        v = Xc.T @ r.standard_normal(len(sel)); v /= np.linalg.norm(v); sc = (sel @ v).std()
        if target == 'rand':
            excl = {top} if mode == 'top' else {top, g % 10}
            t = int(r.choice([c for c in range(10) if c not in excl]))
        else:
            m = Gtr == g
            mean = Ptr[m].mean(0) if m.sum() > 0 else Ptr.mean(0)
            mean[top] = 0; t = int(np.argmin(mean))
        comps[g] = dict(t=t, v=v, f=r.uniform(*fr) / sc, phi=r.uniform(0, 2 * np.pi))
    return dict(comps=comps, mode=mode, eps=eps)

def watermarkP(z, X, k):
    p = np.exp(logsoftmax(z)); n = len(p); G = groups_of(np.log(p), k['mode'])
    s = np.zeros(n); T = np.zeros(n, int)
    for g, cp in k['comps'].items():
        m = G == g
        if m.any():
            s[m] = k['eps'] * (1 + np.cos(2 * np.pi * cp['f'] * (X[m] @ cp['v']) + cp['phi'])); T[m] = cp['t']
    top = p.argmax(1); idx = np.arange(n)
    s = np.minimum(s, np.maximum(0, p[idx, top] - p[idx, T] - 1e-4))
    q = p / (1 + s)[:, None]; q[idx, T] += s / (1 + s)
    return p, q

def detectP(L, k, Bt=ztest, minrows=16):
    B = logsoftmax(Bt); G = groups_of(B, k['mode']); A = []; Rs = []
    for g, cp in k['comps'].items():
        m = G == g; n = m.sum()
        if n < minrows: continue
        c = cp['t']; Lm = cl(L[m]); y = Lm[:, c]
        o = np.delete(Lm, c, 1)
        H = [np.ones((n, 1)), cl(B[m]), o - o.mean(1, keepdims=True)]
        q, _ = np.linalg.qr(np.concatenate(H, 1))
        th = 2 * np.pi * cp['f'] * (Xt[m] @ cp['v']); CS = np.stack([np.cos(th), np.sin(th)], 1)
        y = y - q @ (q.T @ y); CS = CS - q @ (q.T @ CS)
        b, d = y @ CS; w = math.sqrt(n) / (np.linalg.norm(y) * math.sqrt((CS * CS).sum() / 2) + 1e-300)
        A.append(w * (b * math.cos(cp['phi']) - d * math.sin(cp['phi']))); Rs.append(w * math.hypot(b, d))
    A = np.array(A); Rs = np.array(Rs); T = A.sum(); t = T / math.sqrt((Rs ** 2).sum() / 2)
    return 'p=%.3g t=%.2f sumA=%.2f m=%d meanR=%.2f' % (null_tail(Rs, T), t, T, len(A), Rs.mean())

if __name__ == '__main__':
    design, mode, eps, target = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    k = gen_keyP(11, mode, eps, target)
    p, q = watermarkP(ztest, Xt, k); d = kl(p, q)
    print(design, 'meanKL %.4f maxKL %.4f top1 %.4f' % (d.mean(), d.max(), (p.argmax(1) == q.argmax(1)).mean()), flush=True)
    _, qtr = watermarkP(zt, Xtf, k)
    mix = np.where((np.random.default_rng(3).random(len(qtr)) < 0.25)[:, None], np.log(qtr), logsoftmax(z2))
    runs = [('100%T4', np.log(qtr), 4), ('25%T4', mix, 4), ('100%T1', np.log(qtr), 1), ('25%T1', mix, 1)]
    if len(sys.argv) > 5: runs = [r for r in runs if r[0] in sys.argv[5].split(',')]
    for name, L in [('teacher2', logsoftmax(z2test)), ('s_clean_T4', logsoftmax(rd(W + 's_clean_T4.test').astype(np.float64))), ('scratch_a', logsoftmax(rd(W + 'scratch_a.test').astype(np.float64)))]:
        print(design, 'NEG', name, detectP(L, k), flush=True)
    for name, lq, T in runs:
        t0 = time.time(); L = train_student(lq, T, 5); np.save('st_%s_%s.npy' % (design, name), L)
        print(design, name, detectP(L, k), '%.0fs' % (time.time() - t0), flush=True)
