"""Reverse mode through loops: generated gradient vs a hand-written one that keeps its own list of states.

Run: python bench/bench_loops.py

For 100 and 100,000 iterations of `x = x - 0.01 * sin(x) * y`, and for a
least-squares loss over 1,000 (x, y) tuples with dict parameters, it prints
the time of f, of the generated gradient and of the hand-written gradient
(min of repeats, interleaved), their ratio, and the memory the generated
gradient takes per iteration (tracemalloc peak / iterations).
"""

import os
import sys
import timeit
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TRANSPILE_CACHE", "0")

import transpile as tp  # noqa: E402
from loops import descent, descent_grad, least_squares, least_squares_grad  # noqa: E402


def best(func, args, number, repeat=7):
    timer = timeit.Timer(lambda: func(*args))
    return min(timer.repeat(repeat=repeat, number=number)) / number


def main():
    generated = tp.grad(descent, wrt=(0, 1))
    data = [(i / 1000.0, 2.0 * i / 1000.0 + 0.3) for i in range(1000)]
    cases = [(f"descent {steps}", descent, generated, descent_grad, (0.7, 1.3, steps), number, steps)
             for steps, number in ((100, 2000), (100_000, 2))]
    cases.append(("least squares 1000 (dict, list of tuples)", least_squares, tp.grad(least_squares),
                  least_squares_grad, ({"w": 0.5, "b": 0.1}, data), 200, 1000))
    print(f"{'case':>42} {'f (us)':>10} {'gen (us)':>10} {'hand (us)':>10} {'gen/hand':>9} {'gen/f':>7} "
          f"{'B/iter':>7}")
    for name, func, gen_func, hand_func, args, number, iterations in cases:
        got, want = gen_func(*args), hand_func(*args)
        got, want = (list(got.values()), list(want.values())) if isinstance(got, dict) else (got, want)
        assert all(abs(g - w) <= 1e-9 * max(1.0, abs(w)) for g, w in zip(got, want)), (got, want)
        times = {"f": [], "gen": [], "hand": []}
        for _ in range(3):  # interleave the candidates
            for key, candidate in (("f", func), ("gen", gen_func), ("hand", hand_func)):
                times[key].append(best(candidate, args, number))
        f, gen, hand = (min(times[k]) * 1e6 for k in ("f", "gen", "hand"))
        tracemalloc.start()
        gen_func(*args)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{name:>42} {f:>10.1f} {gen:>10.1f} {hand:>10.1f} {gen / hand:>8.2f}x {gen / f:>6.2f}x "
              f"{peak / iterations:>7.1f}")
    print(f"\nPython {sys.version.split()[0]}; generated code:\n")
    print(tp.source(descent, wrt=(0, 1)))
    print(tp.source(least_squares))


if __name__ == "__main__":
    main()
