"""Reverse mode through loops: generated gradient vs a hand-written one that keeps its own list of states.

Run: python bench/bench_loops.py

For 100 and 100,000 iterations of `x = x - 0.01 * sin(x) * y` it prints the
time of f, of the generated gradient and of the hand-written gradient (min of
repeats, interleaved), their ratio, and the memory the generated gradient's
tape takes per iteration (tracemalloc peak / iterations).
"""

import os
import sys
import timeit
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TRANSPILE_CACHE", "0")

import transpile as tp  # noqa: E402
from loops import descent, descent_grad  # noqa: E402


def best(func, args, number, repeat=7):
    timer = timeit.Timer(lambda: func(*args))
    return min(timer.repeat(repeat=repeat, number=number)) / number


def main():
    generated = tp.grad(descent, wrt=(0, 1))
    print(f"{'iterations':>10} {'f (us)':>10} {'gen (us)':>10} {'hand (us)':>10} {'gen/hand':>9} {'gen/f':>7} "
          f"{'tape B/iter':>11}")
    for steps, number in ((100, 2000), (100_000, 2)):
        args = (0.7, 1.3, steps)
        got, want = generated(*args), descent_grad(*args)
        assert all(abs(g - w) <= 1e-9 * max(1.0, abs(w)) for g, w in zip(got, want)), (got, want)
        times = {"f": [], "gen": [], "hand": []}
        for _ in range(3):  # interleave the candidates
            for name, func in (("f", descent), ("gen", generated), ("hand", descent_grad)):
                times[name].append(best(func, args, number))
        f, gen, hand = (min(times[k]) * 1e6 for k in ("f", "gen", "hand"))
        tracemalloc.start()
        generated(*args)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{steps:>10} {f:>10.1f} {gen:>10.1f} {hand:>10.1f} {gen / hand:>8.2f}x {gen / f:>6.2f}x "
              f"{peak / steps:>11.1f}")
    print(f"\nPython {sys.version.split()[0]}; generated code:\n")
    print(tp.source(descent, wrt=(0, 1)))


if __name__ == "__main__":
    main()
