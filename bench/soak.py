"""Soak test: many random straight-line programs, tp.grad against SymPy and differences.

The generator and the checks are those of tests/test_properties.py, driven by a
plain seeded RNG instead of Hypothesis, so a run is reproducible from its seed::

    .venv/bin/python bench/soak.py                   # 10000 programs, seed 0
    .venv/bin/python bench/soak.py 2000 --seed 3     # fewer, another seed
    .venv/bin/python bench/soak.py --show 5          # print the first 5 mismatches in full

Prints the number of programs checked, skipped (overflow or huge values at the
drawn point) and mismatched, and how many mismatches are crashes of bugs that
already have a strict-xfail reproducer; exits 1 if any other mismatch remains.
"""

import argparse
import os
import random
import sys
import tempfile
import time
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.test_properties import (Invalid, KnownBug, check_program, point_for, random_program,  # noqa: E402
                                   report)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=10000, help="programs to check (default 10000)")
    parser.add_argument("--seed", type=int, default=0, help="RNG seed (default 0)")
    parser.add_argument("--show", type=int, default=3, help="mismatches to print in full (default 3)")
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    checked = skipped = mismatched = 0
    known = Counter()  # reproducer test -> crashes matching that already-reported bug
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="transpile-soak-") as directory:
        os.environ.setdefault("TRANSPILE_CACHE_DIR", os.path.join(directory, "cache"))
        for number in range(args.count):
            program = random_program(rng)
            point = point_for(program, rng.getrandbits(32))
            try:
                problems = check_program(program, point, directory)
            except Invalid:
                skipped += 1
                continue
            except KnownBug as exc:
                problems = [str(exc)]
                known[str(exc).split(": ")[0]] += 1
            checked += 1
            if problems:
                mismatched += 1
                if mismatched <= args.show:
                    print(f"--- mismatch in program {number}", report(program, point, problems), sep="\n")
            if (number + 1) % 1000 == 0:
                print(f"... {number + 1} programs, {mismatched} mismatches", file=sys.stderr)
    elapsed = time.perf_counter() - start
    print(f"{checked} programs checked, {skipped} skipped, {mismatched} mismatches ({elapsed:.0f} s)")
    for test, count in known.items():
        print(f"  {count} of them: the known bug reproduced by {test}")
    return 1 if mismatched > sum(known.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
