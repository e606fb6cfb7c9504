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
        if ir.appended(stmt):
            assert ir.is_atom(stmt.value.args[0]), ast.unparse(stmt)
            continue
        assert isinstance(stmt, ast.Assign) and len(stmt.targets) == 1, ast.unparse(stmt)
        assigned.setdefault(ir.target(stmt), []).append(stmt)
        value = stmt.value
        if isinstance(value, (ast.Subscript, ast.List, ast.Tuple, ast.Dict)):
            parts = [value.value, value.slice] if isinstance(value, ast.Subscript) else \
                value.keys + value.values if isinstance(value, ast.Dict) else value.elts
            assert all(ir.is_atom(p) for p in parts), ast.unparse(stmt)
            continue
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


def leaf_paths(value, path=()):
    """The index paths of the float leaves of a (nested) list, tuple or dict."""
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in leaf_paths(item, path + (key,))]
    if isinstance(value, (list, tuple)):
        return [p for index, item in enumerate(value) for p in leaf_paths(item, path + (index,))]
    return [path] if isinstance(value, float) else []


def with_leaf(value, path, new):
    """A copy of `value` whose leaf at `path` is `new`."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: with_leaf(value[head], rest, new)}
    items = list(value)
    items[head] = with_leaf(items[head], rest, new)
    return type(value)(items)


def leaf(value, path):
    for key in path:
        value = value[key]
    return value


def structured_difference(f, args, index, h=1e-6):
    """d f / d args[index] by central differences at every float leaf, shaped like the argument
    (tuples stay tuples); leaves that are not floats get None, as transpile's gradients do."""
    def at(path, delta):
        changed = list(args)
        changed[index] = with_leaf(args[index], path, leaf(args[index], path) + delta)
        return f(*changed)

    def mirror(value, path=()):
        if isinstance(value, dict):
            return {key: mirror(item, path + (key,)) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(mirror(item, path + (i,)) for i, item in enumerate(value))
        if not isinstance(value, float):
            return None
        return (at(path, h) - at(path, -h)) / (2 * h)

    return mirror(args[index])


def assert_same_structure_close(actual, expected, rel=1e-5, abs_=1e-7):
    """Equal nesting and container types, and close floats at the leaves."""
    assert type(actual) is type(expected), (actual, expected)
    if isinstance(expected, dict):
        assert actual.keys() == expected.keys(), (actual, expected)
        for key in expected:
            assert_same_structure_close(actual[key], expected[key], rel, abs_)
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected), (actual, expected)
        for a, e in zip(actual, expected):
            assert_same_structure_close(a, e, rel, abs_)
    elif expected is not None:
        assert math.isclose(actual, expected, rel_tol=rel, abs_tol=abs_), f"{actual} != {expected}"


def module_imports(source):
    """The module-level import lines of generated source (the int guard imports lazily, when raising)."""
    tree = ast.parse(source)
    return [ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]


def array_difference(f, args, position, h=1e-6):
    """Central differences at every entry of args[position] (a float or a float array), as a float64 array."""
    import numpy as np

    x = np.asarray(args[position], dtype=float)
    gradient = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        moved = []
        for step in (h, -h):
            changed = x.copy()
            changed[index] += step
            values = list(args)
            values[position] = changed if x.shape else float(changed)
            moved.append(f(*values))
        gradient[index] = (moved[0] - moved[1]) / (2 * h)
    return gradient
