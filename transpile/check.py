"""Numerical and symbolic checks of generated gradients: `check_grad` and `compare`.

`check_grad` compares the gradient with central differences along random
directions (error O(h^2)); `compare` puts numerical, symbolic (SymPy) and
automatic differentiation side by side on the user's own scalar function.
"""

import ast
import json
import math
import random
import time
from dataclasses import asdict, dataclass, field

from . import api


def _leaves(value, path=()):
    """Paths to the float leaves (floats, and float arrays entry by entry as one leaf) of `value`."""
    import numpy as np

    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, path + (k,))]
    if isinstance(value, (list, tuple)):
        return [p for i, v in enumerate(value) for p in _leaves(v, path + (i,))]
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return [path]
    return [path] if isinstance(value, float) else []


def _get(value, path):
    for key in path:
        value = value[key]
    return value


def _moved(value, path, step):
    """A copy of `value` with `step` added at the leaf `path` (an array leaf: elementwise)."""
    if not path:
        return value + step
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _moved(value[head], rest, step)}
    items = list(value)
    items[head] = _moved(items[head], rest, step)
    return type(value)(items)


def _dot(a, b):
    import numpy as np

    return float(np.sum(np.asarray(a, dtype=float) * np.asarray(b, dtype=float)))


@dataclass
class CheckReport:
    """What `check_grad` measured: the worst relative error over the directions tried."""

    worst_error: float
    directions: int
    step: float
    analytic: list = field(default_factory=list)  # d^T grad f(x), per direction
    numeric: list = field(default_factory=list)  # (f(x + e d) - f(x - e d)) / 2e, per direction

    def __str__(self):
        return (f"gradient check: worst relative error {self.worst_error:.2e} over {self.directions} random "
                f"directions (central differences, step {self.step:g})")


def check_grad(func, *args, wrt=0, directions=5, step=1e-6, rtol=1e-5, atol=1e-8, seed=0):
    """Compare `grad(func, wrt)` at `args` with central differences along random unit directions.

    Works for float, array and structured (list, tuple, dict) arguments.  Returns a
    CheckReport; raises AssertionError naming the worst direction if the relative error
    `|d.g - fd| / max(|fd|, |d.g|, atol / rtol)` exceeds `rtol`.
    """
    import numpy as np

    positions, single = api._resolve_wrt(func, wrt)
    gradient = api.grad(func, wrt=positions)(*args)
    rng = random.Random(seed)
    report = CheckReport(0.0, directions, step)
    for _ in range(directions):
        moves = []  # (position, leaf path, direction at the leaf)
        for position in positions:
            for path in _leaves(args[position]):
                shape = np.shape(_get(args[position], path))
                moves.append((position, path, np.array([rng.gauss(0, 1) for _ in range(int(np.prod(shape)))])
                              .reshape(shape)))
        norm = math.sqrt(sum(_dot(d, d) for _, _, d in moves)) or 1.0
        moves = [(p, path, d / norm) for p, path, d in moves]
        analytic = sum(_dot(_get(gradient[positions.index(p)], path), d) for p, path, d in moves)

        def at(sign):
            moved = list(args)
            for p, path, d in moves:
                leaf = _get(moved[p], path)
                moved[p] = _moved(moved[p], path, sign * step * (d if np.ndim(leaf) else float(d)))
            return func(*moved)

        numeric = (at(1) - at(-1)) / (2 * step)
        report.analytic.append(analytic)
        report.numeric.append(numeric)
        error = abs(analytic - numeric) / max(abs(numeric), abs(analytic), atol / rtol)
        report.worst_error = max(report.worst_error, error)
    if report.worst_error > rtol:
        worst = max(range(directions), key=lambda i: abs(report.analytic[i] - report.numeric[i]))
        raise AssertionError(f"check_grad of '{func.__name__}': along direction {worst} the gradient gives "
                             f"{report.analytic[worst]!r} but central differences give {report.numeric[worst]!r} "
                             f"(worst relative error {report.worst_error:.2e} > rtol {rtol:g})")
    return report


@dataclass
class Comparison:
    """AD against SymPy on one function at one point; `str()` is a table, `to_json()` its data."""

    function: str
    point: dict
    wrt: list
    values: dict  # method -> [derivative per wrt parameter]
    operations: dict  # method -> operation count of the derivative code (None: not applicable)
    build_seconds: dict  # method -> time to produce the derivative
    call_seconds: dict  # method -> time per gradient call
    max_relative_difference: float  # AD vs SymPy

    def __str__(self):
        names = [f"value(d{w})" for w in self.wrt]
        lines = [f"{'method':<18}{'ops':>6}  " + "  ".join(f"{n:>20}" for n in names) + f"{'time/call':>12}"
                 + f"{'build':>10}"]
        for method, values in self.values.items():
            ops = self.operations.get(method)
            call = self.call_seconds.get(method)
            build = self.build_seconds.get(method)
            lines.append(f"{method:<18}{'' if ops is None else ops:>6}  "
                         + "  ".join(f"{v:>20.15g}" for v in values)
                         + f"{'' if call is None else f'{call * 1e6:.2f} us':>12}"
                         + f"{'' if build is None else f'{build * 1e3:.1f} ms':>10}")
        lines.append(f"agreement: max relative difference {self.max_relative_difference:.1e} (AD vs SymPy)")
        return "\n".join(lines)

    def to_json(self):
        return json.dumps(asdict(self), indent=2)


def _count(tree):
    return sum(isinstance(n, (ast.BinOp, ast.UnaryOp, ast.Call, ast.Compare)) for n in ast.walk(tree))


def _timed(func, *args, repeat=5):
    import timeit

    timer = timeit.Timer(lambda: func(*args))
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number


def compare(func, *args, wrt=0, timing=True):
    """Numerical, symbolic and automatic differentiation of scalar `func` at `args`, side by side.

    SymPy gets the function as one expression (straight-line code; branches and
    loops raise TranspileError, from `symbolic`); its derivative is counted raw
    and after `sympy.cse`, and (with `timing`) timed through `lambdify(cse=True)`
    against the generated gradient.  Returns a Comparison.
    """
    from . import symbolic

    sympy = symbolic._sp()
    positions, _ = api._resolve_wrt(func, wrt)
    params = api._parameters(func)
    names = [params[p] for p in positions]
    point = dict(zip(params, args))
    values, operations, build, call = {}, {}, {}, {}

    h = 1e-5  # central differences, O(h^2)
    numeric = []
    for p in positions:
        up, down = list(args), list(args)
        up[p] += h
        down[p] -= h
        numeric.append((func(*up) - func(*down)) / (2 * h))
    values["numerical (h^2)"] = numeric
    operations["numerical (h^2)"] = None

    start = time.perf_counter()
    symbols, expression = symbolic.function_to_sympy(func)
    derivatives = [symbolic.diff(expression, symbols[n]) for n in names]
    build["sympy diff"] = time.perf_counter() - start
    at = {symbols[n]: v for n, v in point.items() if n in symbols}
    values["sympy diff"] = [symbolic.evaluate(d, at) for d in derivatives]
    operations["sympy diff"] = sum(sympy.count_ops(d) for d in derivatives)
    start = time.perf_counter()
    replacements, reduced = sympy.cse(derivatives)
    build["sympy diff + cse"] = build["sympy diff"] + time.perf_counter() - start
    operations["sympy diff + cse"] = sum(sympy.count_ops(e) for _, e in replacements) + \
        sum(sympy.count_ops(e) for e in reduced)
    values["sympy diff + cse"] = values["sympy diff"]
    lambdified = sympy.lambdify([symbols[n] for n in params if n in symbols], derivatives, modules="math", cse=True)
    if timing:
        call["sympy diff + cse"] = _timed(lambdified, *[point[n] for n in params if n in symbols])

    for label, optimize in (("transpile (AD)", True), ("transpile, no CSE", False)):
        start = time.perf_counter()
        text = api.source(func, wrt=tuple(positions), optimize=optimize)
        build[label] = time.perf_counter() - start
        body = ast.parse(text).body[-1]
        guard = 1 if body.body and isinstance(body.body[1], ast.If) else 0  # the int check is not derivative work
        operations[label] = _count(ast.Module(body=body.body[1 + guard:], type_ignores=[]))
        gradient = api.grad(func, wrt=tuple(positions), optimize=optimize)
        values[label] = list(gradient(*args))
        if timing:
            call[label] = _timed(gradient, *args)
    difference = max(abs(a - s) / max(abs(s), 1e-300) if s else abs(a)
                     for a, s in zip(values["transpile (AD)"], values["sympy diff"]))
    return Comparison(func.__name__, point, names, values, operations, build, call, difference)
