"""Higher-order benchmark: forward mode (jvp), Hessians, and the cost of transpiling twice.

Run from the repository root:

    python bench/bench_higher.py              # fixed-width tables
    python bench/bench_higher.py --markdown   # the same tables as Markdown

Three tables, every number measured in this one run (timing as in
bench/bench_scalar.py, whose helpers this imports: nanoseconds per call,
`timeit` with ~TARGET_S per repeat, REPEAT repeats, minimum taken, the
candidates of a row interleaved in rotating order):

1. jvp.  f: the function itself; gen: the generated `jvp_f(*primals,
   *tangents)` called directly (`transpile.api._transform(f, "jvp", ...)`);
   hand: the hand-written tangent function of bench/tangents.py; tp.jvp: the
   public `tp.jvp(f, primals, tangents)` (cache look-up + the call).  Before
   timing, each hand-written tangent is checked against `tp.jvp` (value and
   derivative, relative 1e-9) at two points with random tangents.
2. Hessian (all 10 parameters of 10-variable functions; rosenbrock10 from
   bench/functions.py is tridiagonal, pairs10 and logsumexp10 from
   bench/hessian_functions.py are dense).  grad: the generated gradient;
   hess: the generated forward-over-reverse function giving all n*n entries
   in one call (`_transform(tp.grad(f, wrt=w), "jacobian", w)`); tp.hessian:
   the public function (adds a NumPy (n, n) array); fd: a pure-Python
   central-difference Hessian from 2n calls of the generated gradient.
   Before timing, hess is checked against central differences of the
   gradient (each entry within 1e-5 of max(|H_ij|, 1e-3 max|H|)) at two
   points, and tp.hessian against hess.
3. Cold transpiles (ms, min of COLD_REPEAT, memory cache cleared before each
   repeat, disk cache off with TRANSPILE_CACHE=0): grad: `tp.grad(f, wrt=all)`;
   d2 outer: `tp.grad(g)` for a first-order `g = tp.grad(f)` created once and
   kept (only the second transpile is cold); d2 both: `tp.grad(tp.grad(f))`
   with both transpiles cold; hessian: `tp.hessian(f, wrt=all)` (the reverse
   gradient and its forward-mode Jacobian, both cold).  Lines:
   `len(tp.source(...).splitlines())` of the first-order gradient, of the
   second-order `tp.source(tp.grad(f))` and of the Hessian
   `tp.source(tp.grad(f, wrt=w), wrt=w, kind="jacobian")`.

Rows whose gen/hand exceeds SHOW_ABOVE print the generated source next to the
hand-written one after the tables.
"""

import argparse
import inspect
import math
import os
import platform
import random
import shutil
import sys
import time
import timeit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))

import bench_scalar as bs  # noqa: E402  (also points TRANSPILE_CACHE_DIR at a temporary directory)
import transpile as tp  # noqa: E402
from transpile import api  # noqa: E402

import functions  # noqa: E402
import hessian_functions  # noqa: E402
import tangents  # noqa: E402

COLD_REPEAT = 9
SHOW_ABOVE = 1.2  # gen/hand above this prints both sources
FD_STEP = 1e-4  # relative step of the finite-difference Hessian
HESSIAN_RTOL = 1e-5
SEED = 20240607


# -- helpers -----------------------------------------------------------------
def time_timers(timers):
    """{name: ns per call} for prepared timeit.Timers: bench_scalar's loop (min over REPEAT, rotating order)."""
    numbers = {name: bs.calibrate(t) for name, t in timers.items()}
    best = {name: math.inf for name in timers}
    order = list(timers)
    for r in range(bs.REPEAT):
        for name in order[r % len(order):] + order[:r % len(order)]:
            best[name] = min(best[name], timers[name].timeit(numbers[name]) / numbers[name])
    return {name: t * 1e9 for name, t in best.items()}


def print_table(title, header, rows, markdown):
    if markdown:
        print(f"### {title}\n")
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join(":---" if i == 0 else "---:" for i in range(len(header))) + "|")
        for cells in rows:
            print("| " + " | ".join(cells) + " |")
    else:
        print(title)
        widths = [max(len(h), *(len(c[i]) for c in rows)) for i, h in enumerate(header)]
        line = "  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths)))
        print(line)
        print("-" * len(line))
        for cells in rows:
            print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))))
    print()


def random_tangents(rng, n):
    return tuple(rng.uniform(-1.0, 1.0) for _ in range(n))


def generated_jvp(func):
    return api._transform(func, "jvp", tuple(range(func.__code__.co_argcount)))[0]


def generated_hessian(func, wrt):
    return api._transform(tp.grad(func, wrt=wrt), "jacobian", wrt)[0]


def fd_hessian_function(gradient, n, step=FD_STEP):
    """A pure-Python central-difference Hessian (flat, column k = d grad / d x_k) from 2n gradient calls."""
    def fd_hessian(*x):
        xs = list(x)
        flat = []
        for k in range(n):
            h = step * max(1.0, abs(x[k]))
            xs[k] = x[k] + h
            plus = gradient(*xs)
            xs[k] = x[k] - h
            minus = gradient(*xs)
            xs[k] = x[k]
            scale = 0.5 / h
            flat.extend([(p - m) * scale for p, m in zip(plus, minus)])
        return flat
    return fd_hessian


def fence(text, markdown):
    return f"```python\n{text.rstrip()}\n```" if markdown else text.rstrip()


# -- the three tables --------------------------------------------------------------
def jvp_table(rng):
    checked = []
    for name, func, hand, point in tangents.CASES:
        n = len(point)
        gen = generated_jvp(func)
        for p in bs.check_points(point):
            t = random_tangents(rng, n)
            want = tuple(tp.jvp(func, p, t))
            if not bs.close(tuple(gen(*p, *t)), want) or not bs.close(tuple(hand(*p, *t)), want):
                sys.exit(f"{name}: hand-written tangent {hand(*p, *t)} or generated {gen(*p, *t)} != tp.jvp {want} "
                         f"at {p}, tangents {t}; fix bench/tangents.py")
        checked.append((name, func, hand, point, gen, random_tangents(rng, n)))

    rows, slow = [], []
    for name, func, hand, point, gen, tangent in checked:
        args = point + tangent
        timers = {"f": bs.make_timer(func, point), "gen": bs.make_timer(gen, args), "hand": bs.make_timer(hand, args),
                  "tp.jvp": timeit.Timer("jvp(f, P, T)", globals={"jvp": tp.jvp, "f": func, "P": point, "T": tangent})}
        ns = time_timers(timers)
        ratio = ns["gen"] / ns["hand"]
        if ratio > SHOW_ABOVE:
            slow.append((name, func, hand, ratio))
        rows.append([name, str(len(point)), f"{ns['f']:.0f}", f"{ns['gen']:.0f}", f"{ns['hand']:.0f}",
                     bs.fmt_ratio(ratio), bs.fmt_ratio(ns["gen"] / ns["f"]), f"{ns['tp.jvp']:.0f}",
                     f"{ns['tp.jvp'] - ns['gen']:.0f}"])
    header = ["function", "n", "f (ns)", "gen jvp (ns)", "hand jvp (ns)", "gen/hand", "gen/f", "tp.jvp (ns)",
              "tp.jvp - gen (ns)"]
    return header, rows, slow


HESSIAN_CASES = ([("rosenbrock10 (tridiagonal)", functions.rosenbrock10, functions.CASES[3][4])]
                 + [(f"{name} (dense)", func, point) for name, func, point in hessian_functions.CASES])


def hessian_table():
    import numpy

    checked = []
    for name, func, point in HESSIAN_CASES:
        n = len(point)
        wrt = tuple(range(n))
        gradient = tp.grad(func, wrt=wrt)
        hess = generated_hessian(func, wrt)
        public = tp.hessian(func, wrt=wrt)
        fd = fd_hessian_function(gradient, n)
        for p in bs.check_points(point):
            flat = hess(*p)
            approx = fd(*p)
            top = max(abs(v) for v in flat)
            for index, (exact, estimate) in enumerate(zip(flat, approx)):
                if abs(exact - estimate) > HESSIAN_RTOL * max(abs(exact), 1e-3 * top):
                    k, i = divmod(index, n)
                    sys.exit(f"{name}: generated Hessian entry ({i}, {k}) = {exact!r} but central differences of "
                             f"the gradient give {estimate!r} at {p}")
            if not numpy.array_equal(public(*p), numpy.array(flat).reshape(n, n).T):
                sys.exit(f"{name}: tp.hessian disagrees with the generated Jacobian of the gradient at {p}")
        nonzero = sum(1 for v in hess(*point) if v != 0.0)
        checked.append((name, func, point, gradient, hess, public, fd, nonzero))

    rows = []
    for name, func, point, gradient, hess, public, fd, nonzero in checked:
        n = len(point)
        ns = time_timers({"f": bs.make_timer(func, point), "grad": bs.make_timer(gradient, point),
                          "hess": bs.make_timer(hess, point), "tp.hessian": bs.make_timer(public, point),
                          "fd": bs.make_timer(fd, point)})
        rows.append([name, f"{nonzero}/{n * n}", f"{ns['f']:.0f}", f"{ns['grad']:.0f}", f"{ns['hess']:.0f}",
                     f"{ns['hess'] / (n * ns['grad']):.2f}", f"{ns['hess'] / ns['grad']:.1f}",
                     f"{ns['tp.hessian']:.0f}", f"{ns['fd']:.0f}", f"{ns['fd'] / ns['hess']:.1f}"])
    header = ["function (n = 10)", "nonzeros", "f (ns)", "grad (ns)", "hess (ns)", "hess/(n·grad)", "hess/grad",
              "tp.hessian (ns)", "fd 2n grads (ns)", "fd/hess"]
    return header, rows


COLD_CASES = ([(name, func) for name, func, _, _ in tangents.CASES if name != "small"]
              + [(name, func) for name, func, _ in hessian_functions.CASES])


def cold_table():
    rows = []
    for name, func in COLD_CASES:
        n = func.__code__.co_argcount
        wrt = tuple(range(n))
        first = tp.grad(func)  # kept for "d2 outer"
        grad_ms = bs.cold(lambda: tp.grad(func, wrt=wrt), 1)
        outer_ms = bs.cold(lambda: tp.grad(first), 1)
        both_ms = bs.cold(lambda: tp.grad(tp.grad(func)), 2)
        hess_ms = bs.cold(lambda: tp.hessian(func, wrt=wrt), 2)
        lines_first = len(tp.source(func, wrt=wrt).splitlines())
        lines_second = len(tp.source(tp.grad(func)).splitlines())
        lines_hess = len(tp.source(tp.grad(func, wrt=wrt), wrt=wrt, kind="jacobian").splitlines())
        rows.append([name, str(n), f"{grad_ms:.2f}", f"{outer_ms:.2f}", f"{both_ms:.2f}", f"{hess_ms:.2f}",
                     str(lines_first), str(lines_second), str(lines_hess)])
    header = ["function", "n", "grad (ms)", "d2 outer (ms)", "d2 both (ms)", "hessian (ms)",
              "grad lines", "d2 lines", "hessian lines"]
    return header, rows


# -- main ------------------------------------------------------------------------
def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    args = parser.parse_args()
    os.environ.setdefault("TRANSPILE_CACHE", "1")
    started = time.perf_counter()
    rng = random.Random(SEED)

    jvp_header, jvp_rows, slow = jvp_table(rng)
    hess_header, hess_rows = hessian_table()
    cold_header, cold_rows = cold_table()

    print_table("1. Forward mode: generated jvp vs hand-written tangent", jvp_header, jvp_rows, args.markdown)
    print_table("2. Hessian (forward over reverse), all 10 x 10 entries in one call", hess_header, hess_rows,
                args.markdown)
    print_table(f"3. Cold transpiles (ms, min of {COLD_REPEAT}, memory cache cleared, disk cache off) "
                "and generated line counts", cold_header, cold_rows, args.markdown)
    print(f"Python {platform.python_version()} on {platform.machine()}, transpile {tp.__version__}; "
          f"timeit min of {bs.REPEAT} repeats (~{bs.TARGET_S * 1e3:.0f} ms each), candidates interleaved; "
          f"cold: min of {COLD_REPEAT}.")
    print("grad and hessian: with respect to all n parameters; d2: with respect to x0 only (tp.grad's default).")
    print("d2 = tp.grad(tp.grad(f)) (d2f/dx0^2); 'd2 outer' keeps the first-order gradient and times only the "
          "second transpile, 'd2 both' clears the memory cache so both transpiles are cold.")
    print(f"fd: central differences, step {FD_STEP:g}·max(1, |x_k|), 2n = 20 gradient calls, pure Python.")
    print(f"transpile tree: {bs.tree_state()}")
    for name, func, hand, ratio in slow:
        print()
        print(f"gen/hand = {ratio:.2f} for {name} (above {SHOW_ABOVE}): generated, then hand-written:")
        print(fence(tp.source(func, wrt=tuple(range(func.__code__.co_argcount)), kind="jvp"), args.markdown))
        print(fence(inspect.getsource(hand), args.markdown))
    sys.stdout.flush()
    print(f"(whole run {time.perf_counter() - started:.0f} s)", file=sys.stderr)
    shutil.rmtree(bs._CACHE_ROOT, ignore_errors=True)


if __name__ == "__main__":
    main()
