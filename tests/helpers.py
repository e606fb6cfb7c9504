"""Shared test helpers: numerical references and the normalized-grammar check."""

import ast
import math
import random

from transpile import ir


def central_difference(f, args, index, h=1e-6):
    """d f / d args[index] by central differences (error O(h^2))."""
    up, down = list(args), list(args)
    up[index] += h
    down[index] -= h
    return (f(*up) - f(*down)) / (2 * h)


def numeric_gradient(f, args, indices):
    return tuple(central_difference(f, args, i) for i in indices)


def assert_close(actual, expected, rel=1e-5, abs_=1e-7):
    actual = actual if isinstance(actual, tuple) else (actual,)
    expected = expected if isinstance(expected, tuple) else (expected,)
    assert len(actual) == len(expected), (actual, expected)
    for a, e in zip(actual, expected):
        assert math.isclose(a, e, rel_tol=rel, abs_tol=abs_), f"{a} != {e} (all: {actual} vs {expected})"


def random_point(n, low=0.2, high=1.5, seed=0):
    rng = random.Random(seed)
    return [rng.uniform(low, high) for _ in range(n)]


def assert_normalized(stmts):
    """Fail unless `stmts` follow the grammar documented in transpile.ir."""
    assigned = {}
    for stmt in ir.walk(stmts):
        if ir.is_comment(stmt) or isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Return):
            values = stmt.value.elts if isinstance(stmt.value, ast.Tuple) else [stmt.value]
            assert all(ir.is_atom(v) for v in values), ast.unparse(stmt)
            continue
        if isinstance(stmt, (ast.If, ast.While)):
            assert ir.is_atom(stmt.test), ast.unparse(stmt.test)
            continue
        if isinstance(stmt, ast.For):
            assert all(ir.is_atom(a) for a in stmt.iter.args), ast.unparse(stmt.iter)
            continue
        assert isinstance(stmt, ast.Assign) and len(stmt.targets) == 1, ast.unparse(stmt)
        assigned.setdefault(ir.target(stmt), []).append(stmt)
        func, args = ir.operation(stmt.value)
        assert func is not None, ast.unparse(stmt)
        assert all(ir.is_atom(a) for a in args), ast.unparse(stmt)
    for target, definitions in assigned.items():  # only the copies merging an if's branches repeat
        assert len(definitions) == 1 or all(ir.is_atom(d.value) for d in definitions), f"{target} assigned twice"


def count_operations(tree):
    """Arithmetic operations and calls in an AST (a proxy for run time)."""
    return sum(isinstance(n, (ast.BinOp, ast.UnaryOp, ast.Call, ast.Compare)) for n in ast.walk(tree))


_imported_count = 0


def import_source(source, directory, prefix="generated"):
    """Write `source` to a new .py file in `directory` and import it as a module.

    transpile reads functions back with `inspect.getsource`, so functions under
    test must live in real files; `exec` is not enough.  Each call gets a unique
    module name (not registered in sys.modules, so nothing leaks between tests).
    """
    import importlib.util
    import os
    import uuid

    global _imported_count
    _imported_count += 1
    name = f"{prefix}_{_imported_count}_{uuid.uuid4().hex[:8]}"
    path = os.path.join(str(directory), name + ".py")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
