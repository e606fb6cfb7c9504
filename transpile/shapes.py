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
import collections
from dataclasses import dataclass

import numpy as np

from . import ir


@dataclass(frozen=True)
class Array:
    """An array of rank `ndim` whose axes in `ones` have length 1, of dtype `dtype` (a char).
    `maybe` holds pairs (axis, length) for the axes that may have length 1 or not (a slice
    `x[2:3]`, a value merged from paths that differ); every other axis certainly does not have
    length 1 (so it is never stretched).  Axes whose `length` is the same (not None) have one
    length: `x[1:]` and `x[:-1]` are both one shorter than x."""

    ndim: int
    ones: frozenset = frozenset()
    dtype: str = "d"
    maybe: frozenset = frozenset()

    def __repr__(self):
        maybe = f", maybe={sorted(self.maybe, key=repr)}" if self.maybe else ""
        return f"Array({self.ndim}, {sorted(self.ones)}, {self.dtype!r}{maybe})"


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
    lengths = {}  # axis -> the lengths of the operands' axes there that may be 1
    longer = set()  # (an axis that is not 1 stretches the others)
    for a in arrays:
        maybe = dict(a.maybe)
        for axis in range(ndim - a.ndim, ndim):
            if axis - (ndim - a.ndim) in maybe:
                lengths.setdefault(axis, set()).add(maybe[axis - (ndim - a.ndim)])
            elif axis - (ndim - a.ndim) not in a.ones:
                longer.add(axis)
    return Array(ndim, ones, np.result_type(*[a.dtype for a in arrays]).char, frozenset(
        (axis, found.pop() if len(found) == 1 else None) for axis, found in lengths.items() if axis not in longer))


def same_shape(operand, result):
    """Whether an operand of kind `operand` of an elementwise operation whose result has kind
    `result` certainly has the result's shape (nothing was broadcast, no size can differ)."""
    return operand == result and (result == SCALAR or isinstance(result, Array) and result.ndim >= 0
                                  and all(length is not None for _, length in result.maybe))


def merged(kind, other):
    """The kind of a name assigned a value of `kind` on one path and of `other` on another."""
    if kind == other:
        return kind
    if isinstance(kind, Array) and isinstance(other, Array):
        if kind.ndim != other.ndim or kind.dtype != other.dtype or SOME_ARRAY in (kind, other):
            return SOME_ARRAY
        maybe, others = dict(kind.maybe), dict(other.maybe)
        uncertain = set(maybe) | set(others) | (kind.ones ^ other.ones)
        return Array(kind.ndim, kind.ones & other.ones, kind.dtype, frozenset(
            (axis, maybe[axis] if axis in maybe and axis in others and maybe[axis] == others[axis] else None)
            for axis in uncertain))
    return None


def reduced_axes(operand, result):
    """How to sum an adjoint of kind `result` back to an operand of kind `operand`:
    (leading axes to drop, axes to sum keeping them); None if a kind is unknown."""
    if operand is None or result is None or operand == OTHER or result == OTHER or SOME_ARRAY in (operand, result):
        return None
    if operand == SCALAR:
        return "all"
    lead = result.ndim - operand.ndim if result != SCALAR else 0
    if result == SCALAR or not (set(operand.maybe) <= {(axis - lead, length) for axis, length in result.maybe
                                                       if length is not None}):
        return None  # (whether an axis of length maybe 1 was stretched: asked at run time)
    kept = tuple(sorted(a for a in operand.ones if a + lead not in result.ones))
    return tuple(range(lead)), kept


def infer(stmts, kinds, rules_kind):
    """{name: kind} for every name assigned in `stmts`, given the parameters' `kinds`.

    `rules_kind(func, arg_kinds, args)` gives the kind a call returns (None if unknown).
    A name assigned several times (merged after a branch, carried by a loop) has one kind
    wherever it is read: the kinds of all its assignments `merged`, so that nothing is assumed
    of it that holds on one path only.
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
        return SCALAR if isinstance(atom.value, (int, float, np.number)) and not isinstance(atom.value, bool) else OTHER

    lists = {ir.target(s) for s in ir.assignments(stmts) if isinstance(s.value, ast.List)}  # (`x[[2, 0]]`)
    counts = collections.Counter(ir.target(s) for s in ir.assignments(stmts))
    several = {n for n, c in counts.items() if c > 1}
    looped = {ir.target(s) for loop in ir.walk(stmts) if isinstance(loop, (ast.For, ast.While))
              for s in ir.assignments(loop.body)}
    fixed = {n for n in set(kinds) | set(counts)  # names that hold one value wherever they are bound
             if counts[n] == (0 if n in kinds else 1) and n not in looped}
    assigned, stacks, pushed = set(), _stacks(stmts), {}
    for _ in range(ROUNDS):  # loops feed values back: repeat until no kind changes
        before = (dict(known), dict(pushed))
        for stmt in ir.walk(stmts):
            if ir.appended(stmt) in stacks:  # (a tape of generated code: what it pops is what it pushed)
                pushed[ir.appended(stmt)] = merged(pushed.get(ir.appended(stmt), kind(stmt.value.args[0])),
                                                   kind(stmt.value.args[0]))
            if not isinstance(stmt, ast.Assign):
                continue
            value = stmt.value
            if getattr(stmt, "tape", False) and ir.popped(value):
                continue  # a value pushed earlier, under the same name: its kind is that name's
            if ir.target(stmt) in counters and isinstance(value, ast.Constant) and value.value is None:
                continue  # a loop counter bound before its loop runs
            func, args = ir.operation(value)
            if ir.is_atom(value):
                result = kind(value)
            elif isinstance(value, ast.Subscript):
                result = SCALAR if isinstance(value.value, ast.Name) and value.value.id in sizes and \
                    not isinstance(value.slice, ast.Slice) else _indexed(kind(value.value), value.slice, kind, lists,
                                                                         _fixed_name(value.value, fixed))
            elif ir.popped(value) in stacks:
                result = pushed.get(ir.popped(value))
            elif func is None:
                result = OTHER if isinstance(value, (ast.List, ast.Tuple, ast.Dict)) else None
            else:
                result = rules_kind(func, [kind(a) for a in args], args)
            target = ir.target(stmt)
            if target in several and target in assigned:  # (the kinds only grow less precise: this ends)
                result = merged(known.get(target), result)
            assigned.add(target)
            known[target] = result
        if (known, pushed) == before:
            return known
    return {**known, **dict.fromkeys(assigned)}  # (no fixed point: nothing is known)


ROUNDS = 50  # more than any chain of kinds each less precise than the one before


def _stacks(stmts):
    """Lists made empty, then only appended to and popped from (the tapes of a generated gradient)."""
    made = {ir.target(s) for s in ir.assignments(stmts) if isinstance(s.value, ast.List) and not s.value.elts}
    uses = collections.Counter(n.id for s in ir.walk(stmts) for part in _own_parts(s) for n in ast.walk(part)
                               if isinstance(n, ast.Name) and n.id in made)
    allowed = collections.Counter(n for s in ir.walk(stmts) for n in [
        ir.appended(s), ir.popped(s.value) if isinstance(s, ast.Assign) else None,
        ir.target(s) if isinstance(s, ast.Assign) and isinstance(s.value, ast.List) else None] if n in made)
    return {n for n in made if uses[n] == allowed[n]}


def _own_parts(stmt):
    """`stmt`, or a compound statement's test or header (not its blocks)."""
    if isinstance(stmt, (ast.If, ast.While)):
        return [stmt.test]
    if isinstance(stmt, ast.For):
        return [stmt.target, stmt.iter]
    return [stmt]


def _counts(iterable):
    """`range(...)`, or `reversed(range(...))` (a backward sweep's): its items are ints."""
    if isinstance(iterable, ast.Call) and getattr(iterable.func, "id", "") == "reversed" and iterable.args:
        iterable = iterable.args[0]
    return isinstance(iterable, ast.Call) and getattr(iterable.func, "id", "") == "range"


def _indexed(base, index, kind, lists=(), name=None):
    """The kind of `base[index]`: ints drop an axis, slices keep one (of length maybe 1, `x[2:3]`,
    unless they take the whole axis), `None` adds one; arrays and lists of ints as indices give an
    array whose rank is left to run time.  An element (every axis dropped) is a number.  `name`
    is the base's name where it holds one value throughout: slices of it get lengths."""
    if not isinstance(base, Array):
        return None  # an element of a list: a number or a structure
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    if base == SOME_ARRAY:  # an array unless every index is an int (then maybe a number)
        return SOME_ARRAY if any(isinstance(p, ast.Slice) or isinstance(p, ast.Constant) and p.value is None
                                 or isinstance(kind(p), Array) or isinstance(p, ast.Name) and p.id in lists
                                 for p in parts) else None
    axis, ndim, ones, maybe, fancy = 0, 0, set(), set(), False
    lengths = dict(base.maybe)
    for part in parts:
        if isinstance(part, ast.Slice):
            if axis in base.ones:
                ones.add(ndim)
            elif axis in lengths:
                length = lengths[axis] if _whole(part) else _length(part, lengths[axis])
                maybe.add((ndim, length))
            elif not _whole(part):
                maybe.add((ndim, _length(part, None if name is None else (name, axis))))
            axis, ndim = axis + 1, ndim + 1
        elif isinstance(part, ast.Constant) and part.value is None:
            ones.add(ndim)
            ndim += 1
        elif kind(part) == SCALAR and not (isinstance(part, ast.Constant) and isinstance(part.value, bool)):
            axis += 1
        elif isinstance(kind(part), Array) or isinstance(part, ast.Name) and part.id in lists:
            fancy, axis = True, axis + 1
        else:
            return None
    if axis > base.ndim:
        return None
    if fancy:
        return SOME_ARRAY
    ones |= {ndim + a - axis for a in base.ones if a >= axis}
    maybe |= {(ndim + a - axis, length) for a, length in base.maybe if a >= axis}
    if ndim + base.ndim - axis == 0:
        return SCALAR  # an element: NumPy gives a number, not a 0-d array
    return Array(ndim + base.ndim - axis, frozenset(ones), base.dtype, frozenset(maybe))


def _fixed_name(atom, fixed):
    return atom.id if isinstance(atom, ast.Name) and atom.id in fixed else None


def _length(part, of):
    """The length of a slice of an axis of length `of` (None: unknown): `x[1:]` and `x[:-1]` are
    one shorter; other slices with constant bounds are named by those bounds."""
    if of is None:
        return None
    bounds = [_int(getattr(part, field)) for field in ("lower", "upper", "step")]
    if ... in bounds:
        return None
    lower, upper, step = bounds
    if step in (None, 1) and (lower is None or lower >= 0) and (upper is None or upper < 0):
        return of, "shorter by", (lower or 0) - (upper or 0)
    return of, "slice", tuple(bounds)


def _int(atom):
    """The int an atom of a slice is (None for none), or ... if it is not a constant int."""
    if atom is None or isinstance(atom, ast.Constant) and atom.value is None:
        return None
    if isinstance(atom, ast.UnaryOp) and isinstance(atom.op, ast.USub) and isinstance(atom.operand, ast.Constant):
        value = _int(atom.operand)
        return -value if isinstance(value, int) else ...
    return atom.value if isinstance(atom, ast.Constant) and type(atom.value) is int else ...


def _whole(part):
    """Whether the slice `part` takes every element of its axis (`:`, `::-1`): its length is the axis's."""
    return part.lower is None and part.upper is None and (
        part.step is None or isinstance(part.step, ast.UnaryOp) and isinstance(part.step.op, ast.USub)
        and isinstance(part.step.operand, ast.Constant) and part.step.operand.value == 1
        or isinstance(part.step, ast.Constant) and part.step.value in (1, -1, None))
