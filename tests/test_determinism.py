"""The generated source is a function of the program alone: byte-identical under any PYTHONHASHSEED
(no set or dict order of strings may leak into names or statement order)."""

import hashlib
import inspect
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ("0", "1", "123")


def _functions(module):
    return [f for _, f in inspect.getmembers(module, inspect.isfunction) if f.__module__ == module.__name__]


def _sources():
    """(label, source or error class) for every kind of code the test and benchmark corpora make:
    scalar functions and structures (reverse, forward: jvp, second order: the gradient of the
    gradient), NumPy functions."""
    import transpile as tp

    sys.path.insert(0, str(ROOT / "bench"))
    import array_functions as bench_arrays  # (bench/)
    import functions as bench_functions
    import hessian_functions

    from tests import array_functions, edge_functions, functions, structures

    def source(label, make):
        try:
            return label, make()
        except Exception as error:  # (a refusal is deterministic too)
            return label, type(error).__name__

    def every_kind(func, wrt):
        name = f"{func.__module__}.{func.__name__}"
        yield source(f"{name} grad", lambda: tp.source(func, wrt=wrt))
        yield source(f"{name} jvp", lambda: tp.source(func, wrt=wrt, kind="jvp"))
        yield source(f"{name} grad of grad", lambda: tp.source(tp.grad(func, wrt=wrt[0]), wrt=0))

    out = []
    for module in (functions, edge_functions):
        for func in _functions(module):
            out.extend(every_kind(func, (0,)))
    for func, _, wrt in structures.CASES:
        out.extend(every_kind(func, tuple(wrt)))
    for row in bench_functions.CASES:
        out.extend(every_kind(row[1], tuple(range(len(row[3])))))
    for _, func, point in hessian_functions.CASES:
        out.extend(every_kind(func, tuple(range(len(point)))))
    for func, shapes, wrt in array_functions.CASES:
        args = [0.7 if s is None else np.full(s, 0.5) for s in shapes]
        out.append(source(f"{func.__name__} {shapes} arrays",
                          lambda: tp.source(func, wrt=tuple(wrt), kind="value_and_grad", args=args)))
    for _, func, _, args, wrt, _ in bench_arrays.CASES:
        out.append(source(f"{func.__name__} arrays", lambda: tp.source(func, wrt=wrt, args=args)))
    return out


def _dump():
    """Print the corpus's sources with a digest each (run in a subprocess per hash seed)."""
    for label, text in _sources():
        print(label, hashlib.sha256(text.encode()).hexdigest())


def test_generated_source_does_not_depend_on_the_hash_seed():
    environment = dict(os.environ, TRANSPILE_CACHE="0")  # (generated afresh each time)
    runs = {}
    processes = {seed: subprocess.Popen([sys.executable, "-c", "from tests.test_determinism import _dump; _dump()"],
                                        cwd=ROOT, env=dict(environment, PYTHONHASHSEED=seed), text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE) for seed in SEEDS}
    for seed, process in processes.items():
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        runs[seed] = out.splitlines()
    assert len(runs[SEEDS[0]]) > 300
    for seed in SEEDS[1:]:
        differ = [a.rsplit(" ", 1)[0] for a, b in zip(runs[SEEDS[0]], runs[seed]) if a != b]
        assert not differ and len(runs[seed]) == len(runs[SEEDS[0]]), (seed, differ)
