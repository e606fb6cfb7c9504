"""Expression swell: SymPy's derivative against transpile's as functions grow.

Run: python bench/swell.py [--max-size 64] [--plot swell.png]   (the plot needs `pip install .[plot]`)

Two families of size n:
* `products`: t = x; then n times t = t * sin(x + c_i)   (a product of n factors)
* `compositions`: t = x; then n times t = sin(t) * x + c_i   (n nested compositions)

For each n it writes the function to a file, differentiates it with SymPy
(`sympy.diff` of the whole expression, then `sympy.cse`) and with transpile
(reverse mode, optimized), and prints the operation counts and the time to
produce each.  The growth exponent is the slope of log(ops) against log(n)
between the two largest sizes: 1 is linear.
"""

import argparse
import importlib.util
import math
import os
import sys
import tempfile
import time

os.environ.setdefault("TRANSPILE_CACHE", "0")

import transpile as tp  # noqa: E402
from transpile import load, symbolic  # noqa: E402
from transpile.check import _count  # noqa: E402

FAMILIES = {"products": "t = t * math.sin(x + {i})", "compositions": "t = math.sin(t) * x + {i}"}


def function(family, n, directory):
    lines = ["import math", "", "", "def f(x):", "    t = x"] + [f"    {FAMILIES[family].format(i=0.1 * (i + 1))}"
                                                           for i in range(n)] + ["    return t"]
    path = os.path.join(directory, f"swell_{family}_{n}.py")
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    spec = importlib.util.spec_from_file_location(f"swell_{family}_{n}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


def measure(f, timeout):
    import ast

    sympy = symbolic._sp()
    row = {}
    start = time.perf_counter()
    load._memory.clear()
    text = tp.source(f)
    row["ad_time"] = time.perf_counter() - start
    body = ast.parse(text).body[-1].body
    row["ad_ops"] = _count(ast.Module(body=body[2:], type_ignores=[]))  # after the docstring and int check
    try:
        start = time.perf_counter()
        symbols, expression = symbolic.function_to_sympy(f)
        derivative = symbolic.diff(expression, symbols["x"])
        row["sympy_time"] = time.perf_counter() - start
        row["sympy_ops"] = sympy.count_ops(derivative) if row["sympy_time"] < timeout else None
        start = time.perf_counter()
        replacements, reduced = sympy.cse([derivative])
        row["cse_time"] = row["sympy_time"] + time.perf_counter() - start
        row["cse_ops"] = sum(sympy.count_ops(e) for _, e in replacements) + sympy.count_ops(reduced[0])
    except RecursionError:  # SymPy's expression trees are too deep for it
        row.update(sympy_time=float("nan"), sympy_ops=None, cse_time=float("inf"), cse_ops=None)
    return row


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-size", type=int, default=64)
    parser.add_argument("--plot", default=None, help="write a PNG of ops and time against size")
    parser.add_argument("--timeout", type=float, default=30.0, help="stop a family when SymPy takes longer (s)")
    options = parser.parse_args()
    sizes = [n for n in (1, 2, 4, 8, 16, 32, 64, 128, 256) if n <= options.max_size]
    results = {}
    print(f"{'family':>13} {'n':>4} {'sympy ops':>10} {'sympy+cse':>10} {'AD ops':>7} {'sympy (s)':>10} "
          f"{'+cse (s)':>9} {'AD (s)':>8}")
    with tempfile.TemporaryDirectory() as directory:
        for family in FAMILIES:
            results[family] = []
            for n in sizes:
                row = measure(function(family, n, directory), options.timeout)
                results[family].append((n, row))
                print(f"{family:>13} {n:>4} {row['sympy_ops'] or '-':>10} {row['cse_ops'] or '-':>10} {row['ad_ops']:>7} "
                      f"{row['sympy_time']:>10.3f} {row['cse_time']:>9.3f} {row['ad_time']:>8.3f}", flush=True)
                if not row["cse_time"] < options.timeout:
                    break
            complete = [(n, r) for n, r in results[family] if r["sympy_ops"]]
            (n1, a), (n2, b) = complete[-2:]
            slope = {k: math.log(b[k] / a[k]) / math.log(n2 / n1) for k in ("sympy_ops", "cse_ops", "ad_ops",
                                                                          "cse_time", "ad_time") if a[k] and b[k]}
            print(f"{'':>13} growth exponents (n = {n1} -> {n2}): " + ", ".join(f"{k} {v:.2f}" for k, v in slope.items()))
    if options.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, (ops_axes, time_axes) = plt.subplots(1, 2, figsize=(10, 4))
        for family, rows in results.items():
            ns = [n for n, _ in rows]
            for key, label, style in (("sympy_ops", "SymPy diff", "-"), ("cse_ops", "SymPy diff + cse", "--"),
                                      ("ad_ops", "transpile", ":")):
                ops_axes.loglog(ns, [r[key] or float("nan") for _, r in rows], style, marker="o",
                                label=f"{family}: {label}")
            for key, label, style in (("cse_time", "SymPy diff + cse", "--"), ("ad_time", "transpile", ":")):
                time_axes.loglog(ns, [r[key] if r[key] < float("inf") else float("nan") for _, r in rows], style,
                                 marker="o", label=f"{family}: {label}")
        ops_axes.set(xlabel="size n (statements)", ylabel="operations in the derivative", title="Expression swell")
        time_axes.set(xlabel="size n (statements)", ylabel="seconds to produce it", title="Time to differentiate")
        ops_axes.legend(fontsize=7)
        time_axes.legend(fontsize=7)
        figure.tight_layout()
        figure.savefig(options.plot, dpi=110)
        print(f"wrote {options.plot}")
    print(f"\nPython {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
