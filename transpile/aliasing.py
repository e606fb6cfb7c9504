"""Writes into arrays that another name may share: where NumPy and the generated code differ.

The normalizer turns every write into an array (`x[i] = v`, `x[1:] += v`, and
`x += v` on an array) into a new version of it (`x_1 = with_item(x, i, v)`,
`x_1 = x + v`), so the backward sweep can still read the old values.  NumPy
writes into the one array instead: every other name that holds it, a view of
it (`x.T`, `x.reshape(...)`, `x[1:]`, `np.squeeze(x)`, ...), or a list that
stores it sees the new values.  The generated code gives the same numbers as
NumPy only where nothing that may share the written memory is read after the
write, and where the memory is the function's own: a write into an argument
(or a view of one) would change the caller's array in `f` but not in its
gradient, and two arguments may be one array (`f(v, v)`).

`check_writes` proves this with a may-alias analysis over the normalized body,
or refuses the write with a TranspileError.  Each value gets the set of
memories it may share: an argument's own, a new one for each operation that
certainly returns a new array (arithmetic, reductions, constructors,
`np.copy`, ...), and for everything else (a copy `b = a`, an element or
slice, any other call: NumPy documents many of them as "a view where
possible") the union of its operands'.  Sets are unions over every assignment
of a name, so branch merges and loop-carried names hold what any path gives.
Numbers share nothing.
"""

import ast
import builtins

import numpy as np

from . import array_runtime, ir
from .numpy_rules import NUMPY_CONSTRUCTORS, REDUCTIONS
from .shapes import SCALAR, Array

# Calls that certainly return a new array (or a number): nothing they return shares the operands' memory.
_NEW = NUMPY_CONSTRUCTORS | REDUCTIONS | {getattr(np, name) for name in (
    "dot outer inner matmul cumsum trace clip where round stack concatenate array copy full_like empty "
    "empty_like geomspace logspace identity").split() if hasattr(np, name)} | {
    np.linalg.norm, np.linalg.det, np.linalg.inv, np.linalg.solve, sum, abs, float, int, bool, round, len,
    np.shape, np.ndim, np.size}
_OPERATORS = set(ir.BINOPS.values()) | set(ir.UNARYOPS.values()) | set(ir.COMPAREOPS.values())
_READ_ONLY = {np.broadcast_to}  # views NumPy refuses to write into


def _new(func):
    """Whether `func` certainly returns a new array or a number (a ufunc without `out` does)."""
    return func in _NEW or isinstance(func, np.ufunc) or getattr(func, "__module__", None) == "math"


def _known(func):
    """Whether `func` is NumPy's, Python's or transpile's own: what it returns is made from its
    arguments (a function of the user's may return an array of its own module)."""
    module = getattr(func, "__module__", None) or ""
    return func is not None and (module.split(".")[0] in ("numpy", "builtins", "math", "transpile")
                                 or func in vars(builtins).values() or isinstance(func, np.ufunc))


def writes(stmt):
    """The name `stmt` writes into (`x` in `x_1 = with_item(x, ...)` or an in-place `x_1 = x + v`), or None."""
    if not isinstance(stmt, ast.Assign) or getattr(stmt, "in_place", None) is None:
        return None
    value = stmt.value
    base = value.args[0] if isinstance(value, ast.Call) else getattr(value, "left", None)
    return base.id if isinstance(base, ast.Name) else None


def memories(body, params, kinds):
    """{name: the set of memories the value of `name` may share}; a memory is ("argument", p) (not
    the function's own: an argument, or what a function of the user's returns), ("read-only", f)
    (a view `f` returns that NumPy refuses to write into) or ("new", name of the assignment that
    made it: in a loop, every pass's array)."""
    shares = {p: frozenset() if kinds.get(p) == SCALAR else frozenset([("argument", p)]) for p in params}
    assigned = {ir.target(s) for s in ir.assignments(body)} | set(params)

    def of(atom):
        if not isinstance(atom, ast.Name):
            return frozenset()
        if atom.id not in assigned and atom.id not in counters:  # (none today: globals are constants)
            return frozenset([("argument", atom.id)])
        return shares.get(atom.id, frozenset())

    counters = {s.target.id for s in ir.walk(body) if isinstance(s, ast.For)}
    tuples = {ir.target(s): s.value for s in ir.assignments(body) if isinstance(s.value, ast.Tuple)}
    changed = True
    while changed:  # loops and merges feed values back: repeat until nothing grows
        changed = False
        for stmt in ir.walk(body):
            container = ir.appended(stmt)
            if container is not None:  # a list holds what is appended to it
                found = of(ir.name(container)) | of(stmt.value.args[0])
                name = container
            elif isinstance(stmt, ast.Assign):
                name = ir.target(stmt)
                found = frozenset() if kinds.get(name) == SCALAR else _shared_by(stmt, name, of, kinds, tuples)
            else:
                continue
            if not found <= shares.get(name, frozenset()):
                shares[name] = shares.get(name, frozenset()) | found
                changed = True
    return shares


def _number_of(value, kinds, tuples):
    """Whether `a[i, j]` reads one number of the array `a` (an int per axis): NumPy gives a copy.
    (`tuples`: names of tuple literals, as an index `i, j` is normalized.)"""
    base, index = kinds.get(getattr(value.value, "id", None)), value.slice
    parts = tuples[index.id].elts if isinstance(index, ast.Name) and index.id in tuples else [index]
    return isinstance(base, Array) and base.ndim == len(parts) and all(
        type(getattr(p, "value", None)) is int or (isinstance(p, ast.Name) and kinds.get(p.id) == SCALAR)
        for p in parts)


def _shared_by(stmt, name, of, kinds, tuples):
    """The memories the value `stmt` assigns to `name` may share."""
    value = stmt.value
    if writes(stmt) is not None:  # the written array itself, under a new name
        return of(ir.name(writes(stmt)))
    if ir.is_atom(value):
        return of(value)
    if isinstance(value, ast.Subscript):  # an element of a structure, or a view of an array
        return frozenset() if _number_of(value, kinds, tuples) else of(value.value)
    if isinstance(value, (ast.List, ast.Tuple, ast.Dict)):  # holds its elements themselves
        elements = value.values if isinstance(value, ast.Dict) else value.elts
        return frozenset([("new", name)]).union(*[of(e) for e in elements])
    popped = ir.popped(value)
    if popped is not None:
        return of(ir.name(popped))
    func, args = ir.operation(value)
    if func is array_runtime.with_item:
        return of(args[0])
    if func in _OPERATORS:  # new, but `xs * 2` and `xs + ys` on lists hold the same elements
        return frozenset([("new", name)]).union(*[of(a) for a in args if not isinstance(kinds.get(
            getattr(a, "id", None), SCALAR), Array)])
    if func is not None and _new(func):
        return frozenset([("new", name)])
    found = frozenset().union(*[of(a) for a in args]) if args else frozenset()
    if func in _READ_ONLY:
        found |= {("read-only", ast.unparse(value.func))}
    if func is list:  # a new list of the elements (rows) of its argument
        found |= {("new", name)}
    if not _known(func):
        found |= {("argument", ast.unparse(value.func) if isinstance(value, ast.Call) else name)}
    return found


def check_writes(parsed, body, kinds, namer):
    """Raise a TranspileError at the first write into an array that is not the function's own,
    or whose memory another value may share and that value is read after the write (NumPy would
    show it the new values, the generated code the old)."""
    if not any(writes(s) for s in ir.walk(body)):
        return
    shares = memories(body, parsed.params, kinds)
    holders = {}  # memory -> names whose values may share it
    for name, found in shares.items():
        for memory in found:
            holders.setdefault(memory, set()).add(name)

    def origin(stmt):
        return getattr(stmt, "source", None) or parsed

    def written(stmt):  # the user's name of the array `stmt` writes into (a helper's own name, inlined)
        node = stmt.in_place
        return (node.value if isinstance(node, ast.Subscript) else node.target).id

    def called(name):
        if name in parsed.params:
            return name
        return None if name in namer.temporaries else namer.base_of.get(name)

    def refuse_outside(stmt, base):
        fixed = sorted(m[1] for m in shares.get(base, ()) if m[0] == "read-only")
        if fixed:
            raise origin(stmt).error(stmt.in_place, (
                f"'{written(stmt)}' may be what {fixed[0]} returns, a read-only view that NumPy refuses to write "
                f"into; write into a copy: {written(stmt)} = {fixed[0]}(...).copy()."))
        outside = sorted(m[1] for m in shares.get(base, ()) if m[0] == "argument")
        if not outside:
            return
        var, source = written(stmt), outside[0]
        held = "is an argument" if var == source and base == source else \
            f"may be the argument '{source}' or a view of it" if source in parsed.params else \
            f"may be (a view of) what '{source}' returns"
        raise origin(stmt).error(stmt.in_place, (
            f"'{var}' {held}, and writing into it would change the caller's array in the function but not in "
            f"its gradient (which writes into a copy); another argument may also be the same array. Write into a "
            f"private copy: {source} = {source}.copy() first" + (f" (or {var} = ....copy() where it is made)."
                                                                 if var != source else ".")))

    def conflict(write, read, reader):
        var, other = written(write), called(read)
        whom = f"'{other}'" if other else "a value"
        line = origin(reader).file_line(reader.lineno) if getattr(reader, "lineno", None) else None
        shares_with = f"also changes {whom}, which may share its memory" if other != var else \
            f"changes the array that '{var}' holds where it is read after (a helper's or an earlier binding)"
        raise origin(write).error(write.in_place, (
            f"writing into '{var}' {shares_with} (the same array, a view such as x[1:], x.T, x.reshape(...), "
            f"np.squeeze(x), or a list holding it), and {whom} is read after the write"
            f"{f' (line {line})' if line else ''}: NumPy would show it the new values, the generated code the old "
            f"ones. Make a private copy where one of them is made ({var} = ....copy()"
            f"{f' or {other} = ....copy()' if other and other != var else ''}), or read {whom} before the write."))

    def reads(stmt):
        if isinstance(stmt, (ast.If, ast.While)):
            return ir.names_used(stmt.test)
        if isinstance(stmt, ast.For):
            return ir.names_used(stmt.iter)
        value = getattr(stmt, "value", None)
        return ir.names_used(value) if value is not None else []

    def walk(stmts, stale):
        """`stale` (name -> the write that changed its memory) after `stmts`; refuses reading one."""
        for stmt in stmts:
            for name in reads(stmt):
                if name in stale:
                    conflict(stale[name], name, stmt)
            if isinstance(stmt, ast.If):
                stale = {**walk(stmt.body, dict(stale)), **walk(stmt.orelse, dict(stale))}
            elif isinstance(stmt, (ast.For, ast.While)):  # a second pass reads what the first left stale
                stale = {**stale, **walk(stmt.body, {**stale, **walk(stmt.body, dict(stale))})}
            elif isinstance(stmt, ast.Assign):
                base, target = writes(stmt), ir.target(stmt)
                if base is not None and kinds.get(target) != SCALAR:
                    refuse_outside(stmt, base)
                    for memory in shares.get(base, ()):
                        for name in holders.get(memory, ()):
                            stale.setdefault(name, stmt)
                stale.pop(target, None)  # bound anew
        return stale

    walk(body, {})
