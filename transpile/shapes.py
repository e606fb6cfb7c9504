"""Kinds of values in array code: a Python number, or an array of known rank.

Generated code for NumPy functions is specialised to the kinds of the
arguments (`kind_of`), which are part of the cache key.  From them `infer`
derives the kind of every value in a normalized body, so the sweeps know
statically where broadcasting happened: the adjoint of a broadcast operand is
summed back to its shape with a plain `np.sum(..., axis=...)`, and a tangent
is broadcast to its value's shape, with no shape test at run time.  A kind
the inference cannot tell is None, and the code then asks at run time.
"""

import ast
from dataclasses import dataclass

import numpy as np

from . import ir


@dataclass(frozen=True)
class Array:
    """An array of rank `ndim` whose axes in `ones` have length 1, of dtype `dtype` (a char)."""

    ndim: int
    ones: frozenset = frozenset()
    dtype: str = "d"

    def __repr__(self):
        return f"Array({self.ndim}, {sorted(self.ones)}, {self.dtype!r})"


SOME_ARRAY = Array(-1)  # an array whose rank is not known before run time
SCALAR = "scalar"  # a Python (or NumPy) number
OTHER = "other"  # a list, a string, None: passed through


def kind_of(value):
    """The kind of an argument: what generated code is specialised to."""
    if isinstance(value, np.ndarray):
        return Array(value.ndim, frozenset(i for i, n in enumerate(value.shape) if n == 1), value.dtype.char)
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return SCALAR
    return OTHER


def broadcast(kinds):
    """The kind of an elementwise result of operands of `kinds` (None if one is unknown)."""
    if any(k is None or k == OTHER or k == SOME_ARRAY for k in kinds):
        return SOME_ARRAY if SOME_ARRAY in kinds and None not in kinds and OTHER not in kinds else None
    arrays = [k for k in kinds if isinstance(k, Array)]
    if not arrays:
        return SCALAR
    ndim = max(a.ndim for a in arrays)
    ones = frozenset(axis for axis in range(ndim) if all(
        axis - (ndim - a.ndim) < 0 or axis - (ndim - a.ndim) in a.ones for a in arrays))
    return Array(ndim, ones, np.result_type(*[a.dtype for a in arrays]).char)


def reduced_axes(operand, result):
    """How to sum an adjoint of kind `result` back to an operand of kind `operand`:
    (leading axes to drop, axes to sum keeping them); None if a kind is unknown."""
    if operand is None or result is None or operand == OTHER or result == OTHER or SOME_ARRAY in (operand, result):
        return None
    if operand == SCALAR:
        return "all"
    if result == SCALAR:
        return None
    lead = result.ndim - operand.ndim
    kept = tuple(sorted(a for a in operand.ones if a + lead not in result.ones))
    return tuple(range(lead)), kept


def infer(stmts, kinds, rules_kind):
    """{name: kind} for every name assigned in `stmts`, given the parameters' `kinds`.

    `rules_kind(func, arg_kinds, args)` gives the kind a call returns (None if unknown).
    Names assigned several times (loops, branches) keep a kind only if every
    assignment agrees.
    """
    known = dict(kinds)
    sizes = {ir.target(s) for s in ir.assignments(stmts) if isinstance(s.value, ast.Call)  # np.shape(x): ints
             and ir.callee(s.value) is np.shape}
    counters = {loop.target.id for loop in ir.walk(stmts)  # (the normalizer writes loops over sequences
                if isinstance(loop, ast.For) and _counts(loop.iter)}  # as loops over range)
    known.update(dict.fromkeys(counters, SCALAR))

    def kind(atom):
        if isinstance(atom, ast.Name):
            return known.get(atom.id)
        return SCALAR if isinstance(atom.value, (int, float)) and not isinstance(atom.value, bool) else OTHER

    appends = [s for s in ir.walk(stmts) if ir.appended(s)]
    for _ in range(3):  # loops feed values back: a few rounds reach the fixed point
        before = dict(known)
        seen = {}
        elements = {}  # list -> the kind of everything appended to it (a tape in generated code re-read)
        for stmt in appends:
            pushed = kind(stmt.value.args[0])
            elements[ir.appended(stmt)] = pushed if elements.get(ir.appended(stmt), pushed) == pushed else None
        for stmt in ir.assignments(stmts):
            value = stmt.value
            if getattr(stmt, "tape", False) and ir.popped(value):
                continue  # a value pushed earlier, under the same name: its kind is that name's
            if ir.popped(value):
                result = elements.get(ir.popped(value))
                if ir.target(stmt) in seen and seen[ir.target(stmt)] != result:
                    result = None
                seen[ir.target(stmt)] = known[ir.target(stmt)] = result
                continue
            if ir.target(stmt) in counters and isinstance(value, ast.Constant) and value.value is None:
                continue  # a loop counter bound before its loop runs
            func, args = ir.operation(value)
            if ir.is_atom(value):
                result = kind(value)
            elif isinstance(value, ast.Subscript):
                result = SCALAR if isinstance(value.value, ast.Name) and value.value.id in sizes and \
                    not isinstance(value.slice, ast.Slice) else _indexed(kind(value.value), value.slice, kind)
            elif func is None:
                result = OTHER if isinstance(value, (ast.List, ast.Tuple, ast.Dict)) else None
            else:
                result = rules_kind(func, [kind(a) for a in args], args)
            target = ir.target(stmt)
            if target in seen and seen[target] != result:
                result = None
            seen[target] = result
            known[target] = result
        if known == before:
            break
    return known


def _counts(iterable):
    """`range(...)`, or `reversed(range(...))` (a backward sweep's): its items are ints."""
    if isinstance(iterable, ast.Call) and getattr(iterable.func, "id", "") == "reversed" and iterable.args:
        iterable = iterable.args[0]
    return isinstance(iterable, ast.Call) and getattr(iterable.func, "id", "") == "range"


def _indexed(base, index, kind):
    """The kind of `base[index]`: ints drop an axis, slices keep one (assumed not to shrink to
    length 1 unless it had length 1), `None` adds one; arrays as indices are left to run time.
    An element (every axis dropped) is a number."""
    if not isinstance(base, Array):
        return None  # an element of a list: a number or a structure
    if base == SOME_ARRAY:
        return SOME_ARRAY if isinstance(index, (ast.Slice, ast.Tuple)) else None
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    axis, ndim, ones = 0, 0, set()
    for part in parts:
        if isinstance(part, ast.Slice):
            if axis in base.ones:
                ones.add(ndim)
            axis, ndim = axis + 1, ndim + 1
        elif isinstance(part, ast.Constant) and part.value is None:
            ones.add(ndim)
            ndim += 1
        elif kind(part) == SCALAR and not (isinstance(part, ast.Constant) and isinstance(part.value, bool)):
            axis += 1
        else:
            return None
    if axis > base.ndim:
        return None
    ones |= {ndim + a - axis for a in base.ones if a >= axis}
    if ndim + base.ndim - axis == 0:
        return SCALAR  # an element: NumPy gives a number, not a 0-d array
    return Array(ndim + base.ndim - axis, frozenset(ones), base.dtype)
