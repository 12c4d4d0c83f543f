import sys; from lab2 import *
def detect2(L, k, score='log', clip=1e-7, weight=None, others=True, Bt=ztest):
    n = len(L); B = logsoftmax(Bt); oh = np.eye(10)[B.argmax(1)]
    A = []; Rs = []
    for cp in k['comps']:
        c = cp['c']
        if score == 'log': Y = np.maximum(L, math.log(clip))
        else: Y = np.exp(L / float(score))
        y = Y[:, c]
        H = [np.ones((n, 1)), oh, cl(B)]
        if others:
            o = np.delete(np.maximum(L, math.log(clip)), c, 1); H.append(o - o.mean(1, keepdims=True))
        wv = np.ones(n) if weight is None else np.where(B[:, c] < math.log(weight), 1.0, 0.1)
        sw = np.sqrt(wv)[:, None]
        Hm = np.concatenate(H, 1) * sw
        q, _ = np.linalg.qr(Hm)
        th = 2 * np.pi * cp['f'] * (Xt @ cp['v']); CS = np.stack([np.cos(th), np.sin(th)], 1) * sw
        y = y * sw[:, 0]
        y = y - q @ (q.T @ y); CS = CS - q @ (q.T @ CS)
        b, d = y @ CS; w = math.sqrt(n) / (np.linalg.norm(y) * math.sqrt((CS * CS).sum() / 2))
        A.append(w * (b * math.cos(cp['phi']) - d * math.sin(cp['phi']))); Rs.append(w * math.hypot(b, d))
    A = np.array(A); Rs = np.array(Rs); T = A.sum(); t = T / math.sqrt((Rs ** 2).sum() / 2)
    return 'p=%.3g t=%.2f meanA=%.2f meanR=%.2f' % (null_tail(Rs, T), t, A.mean(), Rs.mean())
