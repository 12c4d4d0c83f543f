"""Summarises two PyTorch legacy-profiler traces (Chrome JSON written by DJL's
JniUtils.stopProfile, e.g. from tools/profile/StepCost.java): top-level native operations per step
and their time, side by side. Usage: trace_summary.py ALONE.json CACHED.json STEPS"""
import json,sys,collections
def load(f, steps=100):
    ev=[e for e in json.load(open(f)) if e.get('ph')=='X']
    by=collections.defaultdict(list)
    for e in ev: by[e['tid']].append(e)
    top=collections.Counter(); topd=collections.Counter(); allc=collections.Counter(); alld=collections.Counter()
    span=0
    for tid,es in by.items():
        es.sort(key=lambda e:(e['ts'],-e['dur']))
        end=-1
        for e in es:
            allc[e['name']]+=1; alld[e['name']]+=e['dur']
            if e['ts']>=end:
                top[e['name']]+=1; topd[e['name']]+=e['dur']; end=e['ts']+e['dur']
        span=max(span, max(e['ts']+e['dur'] for e in es)-min(e['ts'] for e in es))
    return top,topd,span/steps,allc
N=int(sys.argv[3]) if len(sys.argv)>3 else 100
ta,da,sa,aa=load(sys.argv[1],N); tc,dc,sc,ac=load(sys.argv[2],N)
print(f'per step: top-level native calls alone {sum(ta.values())/N:.1f} cached {sum(tc.values())/N:.1f}; native time alone {sum(da.values())/N:.0f} us cached {sum(dc.values())/N:.0f} us; trace span/step alone {sa:.0f} cached {sc:.0f}')
print(f'per step: all aten events alone {sum(aa.values())/N:.0f} cached {sum(ac.values())/N:.0f}')
keys=sorted(set(ta)|set(tc),key=lambda k:-(dc[k]-da[k]))
print(f'{"op":40s} {"n/step A":>8s} {"us A":>7s} {"n/step C":>8s} {"us C":>7s}')
for k in keys:
    print(f'{k:40s} {ta[k]/N:8.2f} {da[k]/N:7.1f} {tc[k]/N:8.2f} {dc[k]/N:7.1f}')
