"""Scalar benchmark: generated gradients against hand-written ones, SymPy, and the cache.

Run from the repository root:

    python bench/bench_scalar.py              # fixed-width table
    python bench/bench_scalar.py --markdown   # the same table as Markdown

The functions and their hand-written gradients live in bench/functions.py.
Every number in the table is measured in this one run:

* f, gen, hand: nanoseconds per call, `timeit` with enough calls per repeat
  (~TARGET_S each), REPEAT repeats, minimum taken; the candidates of a row are
  measured interleaved (and in rotating order) inside one loop so that
  machine noise hits them alike.
* sympy/hand: `sympy.lambdify(..., modules="math", cse=True)` of the
  symbolic gradient of a SymPy version of the function (built by calling the
  Python function on SymPy symbols with `math` swapped for SymPy), as a
  ratio to the hand-written gradient.  "-" if it could not be built or
  disagreed with the hand-written gradient.
* jax/hand, autograd/hand: only if those packages are importable.
* cold: `tp.grad` with the memory cache cleared and the disk cache off
  (TRANSPILE_CACHE=0): parse, differentiate, optimize, emit, compile.  Min of
  COLD_REPEAT.
* hit: a repeated `tp.grad(f, wrt=...)` call (memory cache).
* disk: `tp.grad` with the memory cache cleared but the module on disk
  (a fresh temporary TRANSPILE_CACHE_DIR).

Before timing, each hand-written gradient is checked against the generated
one (relative 1e-9) at two points, so the table cannot compare wrong things.
"""

import argparse
import math
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
import timeit
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))

# Keep the user's cache out of it: everything goes to a temporary directory.
_CACHE_ROOT = tempfile.mkdtemp(prefix="transpile-bench-")
os.environ["TRANSPILE_CACHE_DIR"] = os.path.join(_CACHE_ROOT, "warmup")

import transpile as tp  # noqa: E402
from transpile import load  # noqa: E402

import functions  # noqa: E402

TARGET_S = 0.01  # seconds per timeit repeat
REPEAT = 21  # timeit repeats (min taken)
COLD_REPEAT = 15
RTOL = 1e-9
SYMPY_BUDGET_S = 5  # per function, for building the symbolic gradient (chain50 never finishes)


# -- helpers -----------------------------------------------------------------
def close(a, b, rtol=RTOL):
    return len(a) == len(b) and all(abs(p - q) <= rtol * max(abs(p), abs(q), 1e-300) for p, q in zip(a, b))


def as_tuple(value):
    return tuple(float(v) for v in value) if isinstance(value, (tuple, list)) else (float(value),)


def check_points(point):
    """The sample point and a slightly moved one."""
    return [point, tuple(p * 1.03 + 0.01 for p in point)]


def rebind(func, math_namespace):
    """`func` with its global `math` replaced, to trace it with another library."""
    scope = dict(func.__globals__)
    scope["math"] = math_namespace
    return types.FunctionType(func.__code__, scope, func.__name__, func.__defaults__, func.__closure__)


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


# -- peers ---------------------------------------------------------------------
def sympy_gradient(func, wrt, nparams):
    """lambdify(cse=True) of the symbolic gradient, or None (with a reason)."""
    try:
        import sympy as sp
    except ImportError:
        return None, "sympy not importable"
    names = func.__code__.co_varnames[:nparams]
    symbols = sp.symbols(names, real=True)
    shim = types.SimpleNamespace(
        sin=sp.sin, cos=sp.cos, tan=sp.tan, exp=sp.exp, log=sp.log, sqrt=sp.sqrt, tanh=sp.tanh,
        sinh=sp.sinh, cosh=sp.cosh, atan=sp.atan, asin=sp.asin, acos=sp.acos, atan2=sp.atan2,
        hypot=lambda a, b: sp.sqrt(a * a + b * b), pi=sp.pi, e=sp.E)
    old = signal.signal(signal.SIGALRM, _alarm) if hasattr(signal, "SIGALRM") else None
    if old is not None:
        signal.alarm(SYMPY_BUDGET_S)
    try:
        expr = rebind(func, shim)(*symbols)
        index = {n: s for n, s in zip(names, symbols)}
        grads = [sp.diff(expr, index[w]) for w in wrt]
        compiled = sp.lambdify(symbols, tuple(grads), modules="math", cse=True)
    except Timeout:
        return None, f"sympy took over {SYMPY_BUDGET_S} s"
    except Exception as exc:  # noqa: BLE001 - optional column
        return None, f"sympy failed: {type(exc).__name__}: {exc}"
    finally:
        if old is not None:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)
    return compiled, None


def jax_gradient(func, wrt, nparams):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None, "not importable"
    try:
        jax.config.update("jax_enable_x64", True)
        shim = types.SimpleNamespace(
            sin=jnp.sin, cos=jnp.cos, tan=jnp.tan, exp=jnp.exp, log=jnp.log, sqrt=jnp.sqrt, tanh=jnp.tanh,
            sinh=jnp.sinh, cosh=jnp.cosh, atan=jnp.arctan, asin=jnp.arcsin, acos=jnp.arccos,
            atan2=jnp.arctan2, hypot=jnp.hypot, pi=math.pi, e=math.e)
        names = func.__code__.co_varnames[:nparams]
        argnums = tuple(names.index(w) for w in wrt)
        return jax.jit(jax.grad(rebind(func, shim), argnums=argnums)), None
    except Exception as exc:  # noqa: BLE001
        return None, f"jax failed: {exc}"


def autograd_gradient(func, wrt, nparams):
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError:
        return None, "not importable"
    try:
        shim = types.SimpleNamespace(
            sin=anp.sin, cos=anp.cos, tan=anp.tan, exp=anp.exp, log=anp.log, sqrt=anp.sqrt, tanh=anp.tanh,
            sinh=anp.sinh, cosh=anp.cosh, atan=anp.arctan, asin=anp.arcsin, acos=anp.arccos,
            atan2=anp.arctan2, hypot=lambda a, b: anp.sqrt(a * a + b * b), pi=math.pi, e=math.e)
        traced = rebind(func, shim)
        names = func.__code__.co_varnames[:nparams]
        positions = [names.index(w) for w in wrt]

        def on_wrt(chosen, rest):
            args = list(rest)
            for p, v in zip(positions, chosen):
                args[p] = v
            return traced(*args)

        inner = autograd.grad(on_wrt, 0)

        def gradient(*args):
            return tuple(inner(tuple(args[p] for p in positions), args))

        return gradient, None
    except Exception as exc:  # noqa: BLE001
        return None, f"autograd failed: {exc}"


PEERS = [("sympy", sympy_gradient), ("jax", jax_gradient), ("autograd", autograd_gradient)]


# -- timing --------------------------------------------------------------------
def make_timer(func, point):
    names = [f"a{i}" for i in range(len(point))]
    scope = dict(zip(names, point))
    scope["fn"] = func
    return timeit.Timer(f"fn({', '.join(names)})", globals=scope)


def calibrate(timer):
    number = 1
    while True:
        if timer.timeit(number) >= TARGET_S / 4 or number >= 10 ** 7:
            break
        number *= 4
    per_call = timer.timeit(number) / number
    return max(1, int(TARGET_S / per_call))


def time_interleaved(candidates, point):
    """{name: ns per call}, min over REPEAT, candidates interleaved in rotating order."""
    timers = {name: make_timer(func, point) for name, func in candidates.items()}
    numbers = {name: calibrate(t) for name, t in timers.items()}
    best = {name: math.inf for name in timers}
    order = list(timers)
    for r in range(REPEAT):
        rotated = order[r % len(order):] + order[:r % len(order)]
        for name in rotated:
            best[name] = min(best[name], timers[name].timeit(numbers[name]) / numbers[name])
    return {name: t * 1e9 for name, t in best.items()}


def cold(build, generations=1):
    """min ms of `build()` with the memory cache cleared first and the disk cache off;
    `generations` is how many transpiles one build must run (checked)."""
    os.environ["TRANSPILE_CACHE"] = "0"
    best = math.inf
    try:
        for _ in range(COLD_REPEAT):
            load._memory.clear()
            before = load.STATS["generated"]
            start = time.perf_counter()
            build()
            best = min(best, time.perf_counter() - start)
            made = load.STATS["generated"] - before
            assert made == generations, f"expected {generations} transpiles, got {made}"
    finally:
        os.environ["TRANSPILE_CACHE"] = "1"
    return best * 1e3


def time_hit(func, wrt):
    tp.grad(func, wrt=wrt)
    timer = timeit.Timer(lambda: tp.grad(func, wrt=wrt))
    number = 2000
    before = load.STATS["memory_hits"]
    best = min(timer.repeat(repeat=7, number=number)) / number
    assert load.STATS["memory_hits"] >= before + 7 * number, "repeated call was not a memory hit"
    return best * 1e6


def time_disk(func, wrt, directory):
    os.environ["TRANSPILE_CACHE"] = "1"
    os.environ["TRANSPILE_CACHE_DIR"] = directory
    load._memory.clear()
    tp.grad(func, wrt=wrt)  # writes the module to the fresh directory
    best = math.inf
    for _ in range(COLD_REPEAT):
        load._memory.clear()
        before = load.STATS["disk_hits"]
        start = time.perf_counter()
        tp.grad(func, wrt=wrt)
        best = min(best, time.perf_counter() - start)
        assert load.STATS["disk_hits"] == before + 1, "expected a disk hit"
    return best * 1e3


def tree_state():
    """The commit transpile/ was measured at, and whether it had local edits."""
    import subprocess

    root = os.path.dirname(HERE)
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "transpile"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    return commit + (" + uncommitted changes in transpile/" if dirty else "")


# -- main ------------------------------------------------------------------------
def fmt_ratio(value):
    return "-" if value is None else f"{value:.2f}x"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args()
    os.environ.setdefault("TRANSPILE_CACHE", "1")
    started = time.perf_counter()

    # Build and check everything before timing anything.
    rows = []
    notes = []
    for name, func, hand, wrt, point in functions.CASES:
        nparams = func.__code__.co_argcount
        generated = tp.grad(func, wrt=wrt)
        for p in check_points(point):
            g, h = as_tuple(generated(*p)), as_tuple(hand(*p))
            if not close(g, h):
                sys.exit(f"{name}: hand-written gradient {h} != generated {g} at {p}; fix bench/functions.py")
        peers = {}
        for peer, build in PEERS:
            compiled, why = build(func, wrt, nparams)
            if compiled is None:
                if peer == "sympy":
                    notes.append(f"{name}: {why}")
                continue
            try:
                ok = all(close(as_tuple(compiled(*p)), as_tuple(hand(*p)))
                         for p in check_points(point))
            except Exception as exc:  # noqa: BLE001
                ok, why = False, f"{type(exc).__name__}: {exc}"
            if ok:
                peers[peer] = compiled
            else:
                notes.append(f"{name}: {peer} gradient disagrees with the hand-written one ({why or 'values'}); skipped")
        rows.append((name, func, hand, wrt, point, generated, peers))
    peer_columns = [p for p, _ in PEERS if any(p in r[6] for r in rows)]

    table = []
    for name, func, hand, wrt, point, generated, peers in rows:
        candidates = {"f": func, "gen": generated, "hand": hand}
        candidates.update(peers)
        ns = time_interleaved(candidates, point)
        cold_ms = cold(lambda: tp.grad(func, wrt=wrt))
        hit = time_hit(func, wrt)
        disk = time_disk(func, wrt, tempfile.mkdtemp(dir=_CACHE_ROOT))
        cells = [name, f"{ns['f']:.0f}", f"{ns['gen']:.0f}", f"{ns['hand']:.0f}",
                 fmt_ratio(ns["gen"] / ns["hand"]), fmt_ratio(ns["gen"] / ns["f"])]
        cells += [fmt_ratio(ns[p] / ns["hand"] if p in ns else None) for p in peer_columns]
        cells += [f"{cold_ms:.2f}", f"{hit:.2f}", f"{disk:.3f}"]
        table.append(cells)

    header = (["function", "f (ns)", "gen (ns)", "hand (ns)", "gen/hand", "gen/f"]
              + [f"{p}/hand" for p in peer_columns] + ["cold (ms)", "hit (µs)", "disk (ms)"])
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join(":---" if i == 0 else "---:" for i in range(len(header))) + "|")
        for cells in table:
            print("| " + " | ".join(cells) + " |")
    else:
        widths = [max(len(h), *(len(c[i]) for c in table)) for i, h in enumerate(header)]
        line = "  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths)))
        print(line)
        print("-" * len(line))
        for cells in table:
            print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))))
    print()
    print(f"Python {platform.python_version()} on {platform.machine()}, transpile {tp.__version__}; "
          f"timeit min of {REPEAT} repeats (~{TARGET_S * 1e3:.0f} ms each), candidates interleaved; "
          f"cold/disk: min of {COLD_REPEAT}.")
    print("Targets: gen/hand <= 1.10x, gen/f <= 3x, cold (50-line chain50) < 50 ms, hit < 1000 µs.")
    print(f"transpile tree: {tree_state()}")
    for note in notes:
        print("note: " + note)
    sys.stdout.flush()
    print(f"(whole run {time.perf_counter() - started:.0f} s)", file=sys.stderr)
    shutil.rmtree(_CACHE_ROOT, ignore_errors=True)


if __name__ == "__main__":
    main()
