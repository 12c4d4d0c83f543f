import numpy as np, gzip
D='/usr/share/datasets/fashion-mnist/'
def images(name):
    with gzip.open(D+name,'rb') as f: b=f.read()
    return (np.frombuffer(b,dtype=np.uint8,offset=16).reshape(-1,784).astype(np.float32)/255.0)
def labels(name):
    with gzip.open(D+name,'rb') as f: b=f.read()
    return np.frombuffer(b,dtype=np.uint8,offset=8).astype(np.int64)
def rd(p, c=10): return np.fromfile(p, dtype='<f4').reshape(-1,c)
def logsoftmax(z):
    z=z-z.max(1,keepdims=True); return z-np.log(np.exp(z).sum(1,keepdims=True))
def key(kind, seed, Xs, f):
    r=np.random.default_rng(seed)
    if kind=='iso': v=r.standard_normal(784)
    else:
        g=r.standard_normal(len(Xs)); v=(Xs-Xs.mean(0)).T@g
    v/=np.linalg.norm(v)
    t=Xs@v; scale=t.std()
    return dict(v=v, f=f/scale, phi=r.uniform(0,2*np.pi), t=int(r.integers(10)), scale=scale)
def watermark(z, X, k, eps, mode='target'):
    p=np.exp(logsoftmax(z.astype(np.float64)))
    s=eps*(1+np.cos(2*np.pi*k['f']*(X@k['v'])+k['phi']))
    t=k['t']; top=p.argmax(1)
    gap=np.maximum(0,p[np.arange(len(p)),top]-p[:,t]-1e-4)
    s=np.where(top!=t, np.minimum(s,gap), s)
    q=p/(1+s)[:,None]; q[:,t]+=s/(1+s)
    return p,q
def kl(p,q): return (p*(np.log(np.maximum(p,1e-30))-np.log(np.maximum(q,1e-30)))).sum(1)
