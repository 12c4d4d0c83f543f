import csv,collections,sys
rows=list(csv.DictReader(open('docs/watermark-eval/lm/residual/audit.tsv'),delimiter='\t'))
d=collections.defaultdict(dict)
order=[]
for r in rows:
    if r['kind'] not in ('pos','neg','ctx1'): continue
    key=(r['kind'],r['model'])
    if key not in order: order.append(key)
    d[key][(r['key'],r['positions'])]=r
def p(x): 
    v=float(x)
    return '1' if v>-0.005 else ('%.2g' % (10**v) if v>-300 else '1e%d'%round(v))
print('| model | k1, 1,000 positions | k1, 10,000 | smallest of k2, k3 (1,000 and 10,000) | argmax test, k1, 10,000 |')
print('| --- | ---: | ---: | ---: | ---: |')
for key in order:
    e=d[key]
    if ('k1','1000') not in e: 
        print('|',key[1],'| (missing)'); continue
    others=[float(e[(k,q)]['residual_log10p']) for k in ('k2','k3') for q in ('1000','10000') if (k,q) in e]
    print('| %s %s | %s (z %.1f) | %s (z %.1f) | %s | %s |' % (key[0], key[1], p(e[('k1','1000')]['residual_log10p']), float(e[('k1','1000')]['residual_z']), p(e[('k1','10000')]['residual_log10p']), float(e[('k1','10000')]['residual_z']), p(min(others)) if others else '-', p(e[('k1','10000')]['argmax_log10p'])))
