import sys, json, hashlib, base64, struct; from lab3 import *
M = (1 << 64) - 1
class Rng:
    def __init__(s, seed): s.st = seed & M
    def next(s):
        s.st = (s.st + 0x9E3779B97F4A7C15) & M; z = s.st
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M; z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
        return z ^ (z >> 31)
def stream(secret, purpose):
    h = hashlib.sha256(secret + purpose.encode()).digest(); return Rng(int.from_bytes(h[:8], 'big'))
J = json.load(open('evalkey.json')); sec = bytes.fromhex(J['secret'])
comps = {}
for g, c in enumerate(J['components']):
    v = np.frombuffer(base64.b64decode(c['direction']), '<f4').astype(np.float64)
    u = (stream(sec, 'frequency:%d' % g).next() >> 11) * 2.0 ** -53
    ph = 2 * np.pi * ((stream(sec, 'phase:%d' % g).next() >> 11) * 2.0 ** -53)
    comps[g] = dict(t=c['target'], v=v, f=(1.5 + u * 0.5) / c['scale'], phi=ph)
k = dict(comps=comps, mode='top', eps=J['amplitude'])
print([comps[g]['t'] for g in range(10)], [round(comps[g]['phi'], 3) for g in range(10)])
S = 'evaltree/distill-core/target/watermark-eval/suspects/'
for name in ['wm100-mlp128x128-T4', 'wm100-mlp128x128-T1', 'wm100-mlp256-T2', 'wm25-mlp128x128-T4', 'clean-teacher-1', 'scratch-0']:
    L = np.array(json.load(open(S + name + '.json'))['testLogits'], dtype=np.float64).reshape(-1, 10)[:10000]
    print(name, detectP(logsoftmax(L), k), flush=True)
# the lab's own watermark with this key: python student
_, qtr = watermarkP(zt, Xtf, k)
L = train_student(np.log(qtr), 4, 5); print('python student on python-served with java key', detectP(L, k))
