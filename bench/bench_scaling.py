"""Transpile time against function size: is it close to linear?

Run: python bench/bench_scaling.py [--max-lines 5000]

Writes functions of n straight-line statements (a chain of sin/exp/products over
three variables, each line reading earlier ones) and one with a loop around the
same body, transpiles each cold (no caches), and prints the time, the time per
line, the generated size and, with --memory, the peak memory (tracemalloc).  The exponent
column is log(t2/t1)/log(n2/n1) between consecutive sizes: 1.0 is linear.
"""

import argparse
import importlib.util
import math
import os
import sys
import tempfile
import time
import tracemalloc

os.environ["TRANSPILE_CACHE"] = "0"

import transpile as tp  # noqa: E402
from transpile import load  # noqa: E402

TEMPLATES = ["v{i} = math.sin(v{a}) * v{b} + 0.5", "v{i} = v{a} * v{b} - math.exp(-v{a} * 0.01)",
             "v{i} = (v{a} + v{b}) / (1.0 + v{a} * v{a})"]


def source(n, loop=False):
    lines = ["import math", "", "", "def f(x, y, z, steps):", "    v0, v1, v2 = x, y, z"]
    pad = "    "
    if loop:
        lines.append("    for k in range(steps):")
        pad = "        "
    for i in range(3, n + 3):
        lines.append(pad + TEMPLATES[i % 3].format(i=i, a=i - 1 - (i * 7) % min(i - 1, 5), b=i - 2))
    if loop:
        lines.append(f"        v0, v1, v2 = v{n}, v{n + 1}, v{n + 2}")
    lines.append("    return v2 + v1 * 0.5" if loop else f"    return v{n + 2} + v{n + 1} * 0.5")
    return "\n".join(lines) + "\n"


def load_function(text, directory, name):
    path = os.path.join(directory, name + ".py")
    with open(path, "w") as handle:
        handle.write(text)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-lines", type=int, default=5000)
    parser.add_argument("--memory", action="store_true", help="also measure peak memory (about 3x slower)")
    options = parser.parse_args()
    sizes = [s for s in (250, 500, 1000, 2000, 5000, 10000) if s <= options.max_lines]
    print(f"{'kind':>6} {'lines':>6} {'transpile (s)':>14} {'ms/line':>8} {'exponent':>9} {'generated lines':>16} "
          f"{'peak MB':>8}")
    with tempfile.TemporaryDirectory() as directory:
        for loop in (False, True):
            previous = None
            for n in sizes:
                f = load_function(source(n, loop), directory, f"scaling_{int(loop)}_{n}")
                load._memory.clear()
                if options.memory:
                    tracemalloc.start()
                start = time.perf_counter()
                text = tp.source(f, wrt=(0, 1, 2))
                elapsed = time.perf_counter() - start
                peak = tracemalloc.get_traced_memory()[1] / 1e6 if options.memory else float("nan")
                tracemalloc.stop()
                exponent = "" if previous is None else \
                    f"{math.log(elapsed / previous[1]) / math.log(n / previous[0]):.2f}"
                print(f"{'loop' if loop else 'line':>6} {n:>6} {elapsed:>14.2f} {1000 * elapsed / n:>8.2f} "
                      f"{exponent:>9} {text.count(chr(10)):>16} {peak:>8.1f}")
                previous = (n, elapsed)
    print(f"\nPython {sys.version.split()[0]}" + ("; tracemalloc slows transpiling about 3x" if options.memory else ""))


if __name__ == "__main__":
    main()
