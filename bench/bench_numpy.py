"""NumPy benchmark: generated gradients against hand-written NumPy gradients (and peers if installed).

Run from the repository root:

    python bench/bench_numpy.py

For an MLP (256x64 -> 128 -> 10, tanh, mean squared error), a length-10,000
logsumexp and a 1,000-element Rosenbrock it prints the time of f, of the
generated gradient called through `tp.grad` (which picks the code for the
arguments' kinds, about 1 µs) and directly, of a hand-written NumPy
gradient, and their ratios; then autograd and JAX (`grad` and `jit(grad)`)
as ratios to the hand-written gradient when they are importable (they are
optional: `pip install autograd jax`).  Each candidate is checked against the
hand-written gradient first.  Times: min over repeats, candidates interleaved.
"""

import os
import sys
import timeit

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TRANSPILE_CACHE", "0")

import transpile as tp  # noqa: E402
from array_functions import CASES  # noqa: E402


def best(func, args, number, repeat=7):
    timer = timeit.Timer(lambda: func(*args))
    return min(timer.repeat(repeat=repeat, number=number)) / number


def peers(name, f, args, wrt):
    """Optional reference implementations: {label: gradient function}."""
    found = {}
    try:
        import autograd
        import autograd.numpy as anp

        from array_functions import as_autograd

        found["autograd"] = autograd.grad(as_autograd(name, anp), wrt if len(wrt) > 1 else wrt[0])
    except ImportError:
        pass
    try:
        import jax
        import jax.numpy as jnp

        from array_functions import as_autograd

        jax.config.update("jax_enable_x64", True)
        g = jax.grad(as_autograd(name, jnp), wrt if len(wrt) > 1 else wrt[0])
        found["jax"] = g
        found["jax jit"] = jax.jit(g)
    except ImportError:
        pass
    return found


def main():
    print(f"{'function':>14} {'f (us)':>9} {'gen (us)':>9} {'direct':>9} {'hand (us)':>10} {'gen/hand':>9} "
          f"{'direct/hand':>11} {'gen/f':>6}  peers/hand")
    for name, f, hand, args, wrt, number in CASES:
        generated = tp.grad(f, wrt=wrt)
        direct = generated.specialize(tuple(map(tp.api.kind_of, args)), args)
        want = hand(*args)
        got = generated(*args)
        for g, w in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
            np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12)
        others = peers(name, f, args, wrt)
        candidates = {"f": f, "gen": generated, "direct": direct, "hand": hand, **others}
        for label, g in others.items():
            g(*args)  # compile (jit) and check
        times = {k: [] for k in candidates}
        for _ in range(3):  # interleave the candidates
            for label, func in candidates.items():
                times[label].append(best(func, args, number))
        t = {k: min(v) * 1e6 for k, v in times.items()}
        extra = "  ".join(f"{k} {t[k] / t['hand']:.2f}x" for k in others) or "(autograd, jax not installed)"
        print(f"{name:>14} {t['f']:>9.1f} {t['gen']:>9.1f} {t['direct']:>9.1f} {t['hand']:>10.1f} "
              f"{t['gen'] / t['hand']:>8.2f}x {t['direct'] / t['hand']:>10.2f}x {t['gen'] / t['f']:>5.2f}x  {extra}")
    print(f"\nPython {sys.version.split()[0]}, NumPy {np.__version__}; generated MLP gradient:\n")
    name, f, hand, args, wrt, number = CASES[0]
    print(tp.source(f, wrt=wrt, args=args))


if __name__ == "__main__":
    main()
