"""Multi-component watermark with a phase-randomisation null (design lab 2)."""
import os, sys, math, time
os.environ.setdefault('OMP_NUM_THREADS', '1')
import numpy as np, torch
torch.set_num_threads(1)
from math import erfc
from common import *
W = '/tmp/wm/'
Xtr = images('train-images-idx3-ubyte.gz'); Xt = images('t10k-images-idx3-ubyte.gz')
Xs = Xtr[:5000]; Xtf = Xtr[30000:50000]
zt = rd(W + 'teacher.train').astype(np.float64); ztest = rd(W + 'teacher.test').astype(np.float64)
z2 = rd(W + 'teacher2.train').astype(np.float64); z2test = rd(W + 'teacher2.test').astype(np.float64)

def gen_key(seed, classes, J, eps, fr=(1.5, 2.0)):
    r = np.random.default_rng(seed); comps = []
    Xc = Xs - Xs.mean(0)
    for c in classes:
        for j in range(J):
            v = Xc.T @ r.standard_normal(len(Xs)); v /= np.linalg.norm(v)
            sc = (Xs @ v).std()
            comps.append(dict(c=c, v=v, f=r.uniform(*fr) / sc, phi=r.uniform(0, 2 * np.pi)))
    return dict(comps=comps, classes=list(classes), J=J, eps=eps / len(classes))

def masses(k, X):
    n = len(X); s = np.zeros((n, 10))
    for cp in k['comps']:
        s[:, cp['c']] += np.cos(2 * np.pi * cp['f'] * (X @ cp['v']) + cp['phi']) / k['J']
    for c in k['classes']: s[:, c] = k['eps'] * (1 + s[:, c])
    return s

def watermark(z, X, k):
    p = np.exp(logsoftmax(z)); s = masses(k, X); n = len(p)
    top = p.argmax(1); ptop = p[np.arange(n), top] + s[np.arange(n), top]
    cap = np.maximum(0, ptop[:, None] - p - 1e-4)
    notop = np.ones_like(s, bool); notop[np.arange(n), top] = False
    s = np.where(notop, np.minimum(s, cap), s)
    q = (p + s) / (1 + s.sum(1, keepdims=True))
    return p, q

def train_student(logq, T, seed, hidden=(128, 128), epochs=15):
    torch.manual_seed(seed); layers = []; d = 784
    for h in hidden: layers += [torch.nn.Linear(d, h), torch.nn.ReLU()]; d = h
    m = torch.nn.Sequential(*layers, torch.nn.Linear(d, 10))
    opt = torch.optim.Adam(m.parameters(), lr=0.002)
    X = torch.tensor(Xtf); Y = torch.tensor(logq, dtype=torch.float32)
    g = torch.Generator().manual_seed(seed)
    for e in range(epochs):
        perm = torch.randperm(len(X), generator=g)
        for i in range(0, len(X), 128):
            idx = perm[i:i + 128]
            ls = torch.log_softmax(m(X[idx]) / T, 1); lt = torch.log_softmax(Y[idx] / T, 1)
            loss = (lt.exp() * (lt - ls)).sum(1).mean() * T * T
            opt.zero_grad(); loss.backward(); opt.step()
    with torch.no_grad(): return torch.log_softmax(m(torch.tensor(Xt)), 1).double().numpy()

cl = lambda L: np.maximum(L, np.log(1e-7))

def null_tail(R, t, grid=20000):
    """P(sum R_j cos U_j >= t), conservative discretisation (rounded up)."""
    R = np.asarray(R); h = R.sum() / grid; dist = np.array([1.0]); lo = 0
    for r in R:
        kmin = int(math.ceil(-r / h)); kmax = int(math.ceil(r / h))
        ks = np.arange(kmin, kmax + 1)
        F = lambda x: 1 - np.arccos(np.clip(x / r, -1, 1)) / np.pi
        pm = F(ks * h) - F((ks - 1) * h); pm[0] = F(kmin * h)
        dist = np.convolve(dist, pm); lo += kmin
    kk = int(math.ceil(t / h)) - lo  # index of first grid value >= t
    if kk <= 0: return 1.0
    return float(dist[kk:].sum())

def detect(L, k, Bt=ztest, others=True):
    n = len(L); B = logsoftmax(Bt); oh = np.eye(10)[B.argmax(1)]
    A = []; Rs = []
    for cp in k['comps']:
        c = cp['c']; y = cl(L)[:, c]
        H = [np.ones((n, 1)), oh, cl(B)]
        if others:
            o = np.delete(cl(L), c, 1); H.append(o - o.mean(1, keepdims=True))
        q, _ = np.linalg.qr(np.concatenate(H, 1))
        th = 2 * np.pi * cp['f'] * (Xt @ cp['v']); CS = np.stack([np.cos(th), np.sin(th)], 1)
        y = y - q @ (q.T @ y); CS = CS - q @ (q.T @ CS)
        b, d = y @ CS; w = math.sqrt(n) / (np.linalg.norm(y) * math.sqrt((CS * CS).sum() / 2))
        A.append(w * (b * math.cos(cp['phi']) - d * math.sin(cp['phi']))); Rs.append(w * math.hypot(b, d))
    A = np.array(A); Rs = np.array(Rs); T = A.sum(); t = T / math.sqrt((Rs ** 2).sum() / 2)
    return dict(T=T, t=t, p=null_tail(Rs, T), gauss=0.5 * erfc(t / math.sqrt(2)), meanA=A.mean(), meanR=Rs.mean())
