import sys; from lab3 import *
for seed in [1, 2, 3]:
    k = gen_keyP(seed, 'top', 0.01, 'rand'); _, qtr = watermarkP(zt, Xtf, k)
    L = train_student(np.log(qtr), 4, 5); np.save('st_seed%d_T4.npy' % seed, L)
    print(seed, [k['comps'][g]['t'] for g in range(10)], detectP(L, k), flush=True)
