"""Stage 4: passes over a normalized straight-line body, each doing one thing.

Every pass takes a list of `ir` statements and returns a new list; `optimize`
runs them until the code stops changing.  Values are treated as real numbers:
`x * 1.0 -> x` and `0 * x -> 0.0` assume finite floats, as every AD tool's
symbolic zeros do.
"""

import ast
import collections
import copy
import math
import operator

import numpy as np

from . import ir
from .kinds import float_names
from .array_runtime import scatter_add
from .numpy_rules import SCATTERED_READS
from .shapes import SCALAR, Array, broadcast, same_shape


def _const_value(node):
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _const_value(node.operand)
        return None if value is None else -value
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    return None


def _is(node, value):
    v = _const_value(node)
    return v is not None and v == value


CHANGES = [0]  # every pass counts what it rewrites: `optimize` stops when a round counts none


def _changed():
    CHANGES[0] += 1


def substitute_names(node, mapping):
    """Replace every read of a name in `mapping` (name -> atom) inside `node`, in place."""
    def replacement(var):
        if var in mapping:
            _changed()
            return _copy_atom(mapping[var])
        return None

    return ir.replace_reads(node, replacement)


def _copy_atom(atom):
    return ir.name(atom.id) if isinstance(atom, ast.Name) else ir.const(atom.value)


def _assignments(stmts):
    return ir.assignments(stmts)


def fold_constants(stmts):
    """Evaluate operations whose operands are all constants."""
    for stmt in _assignments(stmts):
        func, args = ir.operation(stmt.value)
        if func is None or func is ir.identity or not args:
            continue
        values = [_const_value(a) if not isinstance(a, ast.Constant) or type(a.value) is not bool else a.value
                  for a in args]
        if any(v is None for v in values):
            continue
        try:
            result = func(*values)
        except (ArithmeticError, ValueError, TypeError):
            continue  # leave the error to run time, where the user's code raises it too
        if type(result) in (int, float, bool) and not (isinstance(result, float) and not math.isfinite(result)):
            stmt.value = ir.const(result)
            _changed()
    return stmts


def _keeps_type(atom, floats, neutral):
    """Whether dropping `neutral` (a 0 or 1) from an operation on `atom` keeps the type."""
    if isinstance(_const_value(neutral), int):
        return True
    return atom.id in floats if isinstance(atom, ast.Name) else isinstance(atom.value, float)


def _number(atom, floats, arrays, kinds):
    """Whether `atom` certainly holds one number (not an array, whose shape a rewrite must keep)."""
    if not isinstance(atom, ast.Name):
        return _const_value(atom) is not None
    return kinds.get(atom.id) == SCALAR if arrays else atom.id in floats


def _simplified(func, args, floats, arrays=False, kinds=None, exact=False):
    """An equivalent, cheaper right-hand side for func(*args), or None.  With `arrays`, never
    `0 * x -> 0.0` unless `kinds` show that x is a number: an array's result keeps its shape.
    In `exact` statements (the user's function) only `_exact_simplified`'s rewrites."""
    if exact:
        return _exact_simplified(func, args, floats)
    kinds = kinds or {}
    if func is operator.add:
        x, y = args
        if isinstance(x, ast.Name) and isinstance(y, ast.Name) and x.id == y.id:
            return ast.BinOp(left=ir.const(2), op=ast.Mult(), right=x)  # exact, and reads as 2x
        if _is(y, 0) and _keeps_type(x, floats, y):
            return x
        if _is(x, 0) and _keeps_type(y, floats, x):
            return y
    elif func is operator.sub:
        x, y = args
        if _is(y, 0) and _keeps_type(x, floats, y):
            return x
        if _is(x, 0):
            return ast.UnaryOp(op=ast.USub(), operand=y)
        if _same(x, y) and _number(x, floats, arrays, kinds):
            return ir.const(0.0)  # (derivative code: numbers there are floats)
    elif func is operator.mul:
        x, y = args
        for a, b in ((x, y), (y, x)):
            if _is(a, 1) and _keeps_type(b, floats, a):
                return b
            if _is(a, 0) and (not arrays or _number(b, floats, arrays, kinds)):
                return ir.const(0.0)
            if _is(a, -1) and _keeps_type(b, floats, a):
                return ast.UnaryOp(op=ast.USub(), operand=b)
    elif func is operator.truediv:
        x, y = args
        if _is(y, 1) and _keeps_type(x, floats, ir.const(1.0)):
            return x
        if _is(x, 0) and _const_value(y) != 0 and not arrays:
            return ir.const(0.0)
        if _same(x, y) and _number(x, floats, arrays, kinds):
            return ir.const(1.0)  # (x assumed nonzero, as in x * (1/x) -> 1)
    elif func is operator.pow:
        if _is(args[1], 1):
            return args[0]
    elif func in (np.sum, np.mean) and _whole(args) and _number(args[0], floats, arrays, kinds or {}):
        return args[0]  # the sum of one number
    return None


def _exact_simplified(func, args, floats):
    """The rewrites of the user's own statements: only those that give the same bits for every
    float (both zeros, infinities, NaNs and their sign bit), applied only where the operand is
    certainly a (real) float, since an int, a bool or a NumPy bool array would change type or
    value (`True * 1` is 1, `m + m` on bools is `m | m`).  So `x + -0.0`, `x - 0.0`, `x * 1`,
    `x / 1` are x and `x + x` is `2.0 * x`; but not `x + 0.0` (-0.0 + 0.0 is 0.0), `0.0 - x`
    (not -x at 0.0), `0.0 * x` (inf, nan, -x), `x * -1` (NaN's sign), `x ** 1` (pow rounds)."""
    def floating(atom):
        return isinstance(atom, ast.Name) and atom.id in floats

    if func in (operator.add, operator.sub, operator.mul, operator.truediv):
        x, y = args
        if func is operator.add and _same(x, y) and floating(x):
            return ast.BinOp(left=ir.const(2.0), op=ast.Mult(), right=x)
        neutral = {operator.add: _negative_zero, operator.sub: _positive_zero,
                   operator.mul: _one, operator.truediv: _one}[func]
        for keep, other in ((x, y), (y, x)) if func in ir.COMMUTATIVE else ((x, y),):
            if neutral(other) and floating(keep):
                return keep
    return None


def _negative_zero(atom):
    v = _const_value(atom)
    return v == 0 and math.copysign(1.0, v) < 0


def _positive_zero(atom):
    v = _const_value(atom)
    return v == 0 and math.copysign(1.0, v) > 0


def _one(atom):
    return _const_value(atom) == 1


def _same(x, y):
    return isinstance(x, ast.Name) and isinstance(y, ast.Name) and x.id == y.id


def _floated(func, args, floats):
    """`2 * x` -> `2.0 * x` for float x: same value, and float*float is CPython's fast path."""
    if func not in (operator.add, operator.sub, operator.mul, operator.truediv):
        return None
    values = [_const_value(a) for a in args]
    if any(type(v) is int and abs(v) < 2 ** 53 for v in values) and any(
            isinstance(a, ast.Name) and a.id in floats for a in args):
        return ir.build(func, [ir.const(float(v)) if type(v) is int else a for a, v in zip(args, values)])
    return None


def _through_definitions(func, args, defined, exact, number=lambda atom: False, kinds=None, sums=None, uses=None,
                         floating=lambda atom: False):
    """Rewrites that look one definition back: negations, reciprocals, constant factors; and,
    for numbers (`number(atom)`), `a * (b / a) -> b`.  With `kinds` (array code), the zero of
    an array drops out of a sum whose shape it does not change, and `np.sum(a * c)` for a
    number `c` reuses a sum of `a` already computed (`sums`: array name -> name of its sum).

    With `exact` (the user's statements), only `--x -> x` for a float x (`floating(atom)`): moving
    a sign changes a NaN's sign bit (`x + -y` is not `x - y` at y = nan), and ints and bools
    change type (`--True` is 1).
    """

    def operand(atom, op):
        if isinstance(atom, ast.Name) and atom.id in defined and defined[atom.id][0] is op:
            return defined[atom.id][1]
        return None

    if exact:
        inner = operand(args[0], operator.neg) if func is operator.neg else None
        return _copy_atom(inner[0]) if inner and floating(inner[0]) else None

    if kinds is not None:
        rewritten = _through_array_definitions(func, args, operand, number, kinds, sums, uses)
        if rewritten is not None:
            return rewritten

    if func is operator.neg:
        inner = operand(args[0], operator.neg)
        if inner:
            return _copy_atom(inner[0])
    elif func in (operator.add, operator.sub):
        x, y = args
        negated = operand(y, operator.neg)
        if negated:
            return ir.build(operator.sub if func is operator.add else operator.add, [x, _copy_atom(negated[0])])
        negated = operand(x, operator.neg)
        if negated and func is operator.add:
            return ir.build(operator.sub, [y, _copy_atom(negated[0])])
    elif func is operator.mul:
        for a, b in (args, args[::-1]):
            quotient = operand(b, operator.truediv)
            if quotient and _same(quotient[1], a) and number(a):
                return _copy_atom(quotient[0])
        for a, b in (args, args[::-1]):
            reciprocal = operand(b, operator.truediv)
            if reciprocal and _is(reciprocal[0], 1):
                return ir.build(operator.truediv, [a, _copy_atom(reciprocal[1])])
        negated = [operand(a, operator.neg) for a in args]
        if all(negated):
            return ir.build(operator.mul, [_copy_atom(negated[0][0]), _copy_atom(negated[1][0])])
        for a, b in (args, args[::-1]):
            c = _const_value(a)
            if c is None:
                continue
            if operand(b, operator.neg):
                return ir.build(operator.mul, [ir.const(-c), _copy_atom(operand(b, operator.neg)[0])])
            product = operand(b, operator.mul)
            if product:
                for p, q in (product, product[::-1]):
                    folded = c * _const_value(p) if _const_value(p) is not None else None
                    if folded is not None and math.isfinite(folded) and folded != 0:
                        return ir.build(operator.mul, [ir.const(folded), _copy_atom(q)])
    return None


def _through_array_definitions(func, args, operand, number, kinds, sums, uses):
    if func is operator.add:  # two scatter_adds into the same array, read nowhere else: one call
        terms = [operand(a, scatter_add) for a in args]
        if all(terms) and ir.key(terms[0][1]) == ir.key(terms[1][1]) and all(uses[a.id] == 1 for a in args) \
                and len(terms[0]) + len(terms[1]) - 1 <= 2 * SCATTERED_READS + 1:
            first, second = terms
            return ir.build(scatter_add, [copy.deepcopy(a) for a in first + [second[0]] + second[2:]])
    if func is operator.mul:  # x * np.full_like(t, 1.0), where that changes neither shape nor dtype
        for keep, ones in (args, args[::-1]):
            full = operand(ones, np.full_like)
            if full and _is(full[1], 1) and isinstance(keep, ast.Name) and isinstance(full[0], ast.Name) \
                    and _covers(kinds.get(keep.id), kinds.get(full[0].id)):
                return _copy_atom(keep)
    if func in (operator.add, operator.sub):
        for keep, zero in (args, args[::-1]) if func is operator.add else (args,):
            product = operand(zero, operator.mul)
            if not product or not isinstance(keep, ast.Name):
                continue
            for factor, other in (product, product[::-1]):
                if _is(factor, 0) and isinstance(other, ast.Name) and _covers(kinds.get(keep.id), kinds.get(other.id)):
                    return _copy_atom(keep)
    elif func is np.sum and _whole(args):
        for op in (operator.mul, operator.truediv):
            parts = operand(args[0], op)
            if not parts:
                continue
            for array, factor in [parts] if op is operator.truediv else [parts, parts[::-1]]:
                total = sums.get(array.id) if isinstance(array, ast.Name) else None
                if total is not None and number(factor):
                    return ir.build(op, [ir.name(total), _copy_atom(factor)])
    return None


def _whole(args):
    """`np.sum(x)`: over every axis, no kept dimensions."""
    return len(args) == 3 and _is_none(args[1]) and isinstance(args[2], ast.Constant) and args[2].value is False


def _is_none(atom):
    return isinstance(atom, ast.Constant) and atom.value is None


def _covers(kind, zero_kind):
    """Whether a value of `kind` plus zeros of `zero_kind` is a value of `kind` (same shape, dtype)."""
    known = [k == SCALAR or (isinstance(k, Array) and k.ndim >= 0) for k in (kind, zero_kind)]
    return all(known) and same_shape(broadcast([kind, zero_kind]), kind)


def simplify(stmts, floats=(), merged=None, arrays=False, kinds=None):
    """Algebraic identities: x*1, x+0, 0*x, x/1, x**1, --x, x + -y, -x + y, x * (1/y),
    (-x) * (-y), c * -x, c1 * (c2 * x), and int constants made floats next to floats."""
    merged = ir.merged_names(stmts) if merged is None else merged
    floats = float_names(stmts, floats, merged)
    # The user's statements are rewritten only where a value is certainly a real float: in scalar
    # code (its parameters are floats); in array code a parameter may be complex, and the kinds
    # of derived values do not tell a comparison's bools from floats.
    reals = set() if arrays else set(floats)
    if kinds:  # (`1.0 * z` keeps a float array's dtype)
        floats |= {n for n, k in kinds.items() if isinstance(k, Array) and k.ndim >= 0 and k.dtype in "efdgFDG"}
    defined = {}  # name -> (func, args) of its simplified definition (single-assigned names only)
    sums = {}  # array name -> the name of np.sum(array), computed outside any branch or loop
    top_level = {id(stmt) for stmt in stmts}
    uses = collections.Counter(n for stmt in ir.walk(stmts) for n in ir.names_used(stmt)) if kinds else None

    def number(atom):
        return _number(atom, floats, arrays, kinds or {})

    def floating(atom):
        return isinstance(atom, ast.Name) and atom.id in reals

    for stmt in _assignments(stmts):
        func, args = ir.operation(stmt.value)
        exact = ir.is_exact(stmt)
        for _ in range(4):
            better = (_simplified(func, args, reals if exact else floats, arrays, kinds, exact)
                      or _through_definitions(func, args, defined, exact, number, kinds, sums, uses, floating)
                      or _floated(func, args, floats))
            if better is None:
                break
            stmt.value = better
            _changed()
            func, args = ir.operation(better)
        if ir.target(stmt) not in merged and not any(isinstance(a, ast.Name) and a.id in merged for a in args):
            defined[ir.target(stmt)] = (func, args)  # (not if it reads a value a loop may change later)
            if func is np.sum and _whole(args) and isinstance(args[0], ast.Name) and id(stmt) in top_level:
                sums.setdefault(args[0].id, ir.target(stmt))  # (read later: it must be bound wherever that is)
    return stmts


def propagate_copies(stmts, _mapping=None, _merged=None, _top=None):
    """Read b wherever `a = b` (b a name or constant) made `a` a copy of it, and drop the copy.

    A copy of a name assigned more than once (a loop's or a branch merge's)
    holds only until that name is assigned again, and the copy itself stays.
    Copies learnt in a branch are applied there and kept (code after the
    `if` may read them, under the same condition); merging copies are kept.
    """
    nested = _merged is not None if _top is None else not _top
    if not isinstance(_merged, tuple):  # (what each compound statement assigns, found once: an elif chain is deep)
        _merged = (ir.merged_names(stmts) if _merged is None else _merged, {})
        _assigned_below(stmts, _merged[1])
    merged, assigned = _merged
    mapping, kept = dict(_mapping or {}), []
    for stmt in stmts:  # (only names assigned more than once, the merged ones, can be assigned again)
        if isinstance(stmt, (ast.For, ast.While)):  # every pass may change what the loop assigns
            _forget(mapping, (assigned.get(id(stmt)) or _assigned(stmt)) & merged)
        if mapping:
            substitute_names(stmt, mapping)
        if isinstance(stmt, ast.If):
            stmt.body = propagate_copies(stmt.body, mapping, _merged, False)
            stmt.orelse = propagate_copies(stmt.orelse, mapping, _merged, False)
            _forget(mapping, (assigned.get(id(stmt)) or _assigned(stmt)) & merged)
        elif isinstance(stmt, (ast.For, ast.While)):
            stmt.body = propagate_copies(stmt.body, mapping, _merged, False)
        elif isinstance(stmt, ast.Assign):
            if ir.target(stmt) in merged:
                _forget(mapping, {ir.target(stmt)})
            if ir.is_atom(stmt.value) and ir.target(stmt) not in merged:
                mapping[ir.target(stmt)] = stmt.value
                if not nested and not (isinstance(stmt.value, ast.Name) and stmt.value.id in merged):
                    _changed()
                    continue
        kept.append(stmt)
    return kept


def _assigned(stmt):
    names = {ir.target(s) for s in ir.walk([stmt]) if isinstance(s, ast.Assign)}
    return names | {s.target.id for s in ir.walk([stmt]) if isinstance(s, ast.For)}


def _assigned_below(stmts, table):
    """The names `stmts` assign; `table` gets, per compound statement's id, what `_assigned` gives."""
    names = set()
    for stmt in stmts:
        if isinstance(stmt, ast.Assign):
            names.add(ir.target(stmt))
        elif stmt.__class__ in (ast.If, ast.For, ast.While):
            inner = set().union(*(_assigned_below(block, table) for block in ir.blocks(stmt)))
            if isinstance(stmt, ast.For):
                inner.add(stmt.target.id)
            table[id(stmt)] = inner
            names |= inner
    return names


def _forget(mapping, assigned):
    """Drop the copies of names that are assigned again."""
    if not assigned:
        return
    for name in [c for c, source in mapping.items() if isinstance(source, ast.Name) and source.id in assigned]:
        del mapping[name]


def prune_branches(stmts):
    """An `if` on a constant is its taken branch."""
    kept = []
    for stmt in stmts:
        if isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Constant):
            kept.extend(prune_branches(stmt.body if stmt.test.value else stmt.orelse))
            _changed()
            continue
        for block in ir.blocks(stmt):
            block[:] = prune_branches(block)
        kept.append(stmt)
    return kept


def eliminate_common_subexpressions(stmts, merged=None):
    """Compute each distinct operation once; later copies read the first result.

    Reads are renamed as the pass goes, so duplicates of duplicates are found
    in the same pass.  Element reads and `len` of a list nothing appends to (or
    pops from, or updates) count as operations too.
    """
    changing = {n for s in ir.walk(stmts) if isinstance(s, (ast.Expr, ast.Assign)) and isinstance(s.value, ast.Call)
                for n in ([ir.appended(s), ir.popped(s.value)] + ([s.value.args[0].id] if isinstance(s, ast.Expr)
                          and s.value.args and isinstance(s.value.args[0], ast.Name) else []))}
    _cse(stmts, {}, {}, (ir.merged_names(stmts) if merged is None else merged) | changing)
    return stmts


def _reads_only(stmt):
    """An element read, `len` or `sum`: pure unless the structure changes (then its name is merged)."""
    return isinstance(stmt.value, ast.Subscript) and all(ir.is_atom(n) or isinstance(n, (ast.Slice, ast.Tuple))
                                                         for n in [stmt.value.slice]) or \
        ir.operation(stmt.value)[0] in (len, sum)


def _cse(stmts, first, renamed, merged):
    first, renamed = dict(first), dict(renamed)  # what a branch or loop computes is not available after it
    for stmt in stmts:
        if renamed:
            substitute_names(stmt, renamed)
        for block in ir.blocks(stmt):
            _cse(block, first, renamed, merged)
        if not isinstance(stmt, ast.Assign) or ir.is_atom(stmt.value) or not (ir.is_pure(stmt) or _reads_only(stmt)) \
                or any(n in merged for n in ir.names_used(stmt.value) + [ir.target(stmt)]):  # a value that changes
            continue  # (a loop's, a list's)
        key, ordered = ir.key(stmt.value), _ordered_key(stmt.value)
        found = first.get(ordered if ir.is_exact(stmt) else key)
        if found is not None:
            renamed[ir.target(stmt)] = ir.name(found)
            stmt.value = ir.name(found)
            _changed()
        else:
            first.setdefault(key, ir.target(stmt))
            first.setdefault(ordered, ir.target(stmt))


def _ordered_key(rhs):
    """`ir.key`, but `y + x` is not `x + y`: the user's statements reuse only the same operation
    on operands in the same order (with two NaNs, `x + y` is the first one, sign bit included)."""
    func, args = ir.operation(rhs)
    if func in ir.COMMUTATIVE and all(ir.is_atom(a) for a in args) and not getattr(rhs, "keywords", None):
        return ("ordered", id(func), tuple(ir.atom_key(a) for a in args))
    return ir.key(rhs)


def eliminate_dead_code(stmts, live=None):
    """Keep only statements whose result reaches the return.

    `live` holds the names needed after `stmts`; it is updated to those needed before.
    """
    live = set() if live is None else live
    kept = []
    for stmt in reversed(stmts):
        if isinstance(stmt, ast.Assign):
            if ir.target(stmt) not in live and ir.is_removable(stmt):
                _changed()
                continue
            live.update(ir.names_used(stmt.value))
        elif isinstance(stmt, ast.Return):
            live.update(ir.names_used(stmt))
        elif isinstance(stmt, ast.If):
            live_then, live_else = set(live), set(live)
            stmt.body = eliminate_dead_code(stmt.body, live_then)
            stmt.orelse = eliminate_dead_code(stmt.orelse, live_else)
            if not any(isinstance(s, (ast.Assign, ast.If, ast.For, ast.While)) or
                       (isinstance(s, ast.Expr) and not ir.is_comment(s)) for s in stmt.body + stmt.orelse):
                _changed()
                continue
            live |= live_then | live_else | set(ir.names_used(stmt))
        elif isinstance(stmt, (ast.For, ast.While)):
            inner = list(ir.walk(stmt.body))
            writes = {ir.target(s) for s in inner if isinstance(s, ast.Assign)}
            if isinstance(stmt, ast.For):
                writes.add(stmt.target.id)
            if not writes & live and all(ir.is_removable(s) for s in inner if isinstance(s, ast.Assign)) \
                    and not any(isinstance(s, ast.Expr) and not ir.is_comment(s) for s in inner):
                _changed()
                continue  # nothing it computes is used, and it records nothing
            # what the body reads may be needed by the next pass: all of it is live at its end
            live_body = live | {n for inner in ir.walk([stmt]) for n in ir.names_used(inner)}
            stmt.body = eliminate_dead_code(stmt.body, live_body)
            if not stmt.body:
                _changed()
                continue
            if isinstance(stmt, ast.For) and stmt.target.id not in live:  # the header binds it before any read
                live_body.discard(stmt.target.id)
            live |= live_body
        elif isinstance(stmt, ast.Expr) and not ir.is_comment(stmt):
            live.update(ir.names_used(stmt))  # a tape push
        kept.append(stmt)
    return kept[::-1]


def _integer_exponent(node):
    v = _const_value(node)
    if v is not None and float(v).is_integer() and -1 <= v <= 4:
        return int(v)
    return None


def reduce_strength(stmts, namer, unseen=(), floats=()):
    """Small integer powers as products: `t ** 2` costs about 3.5x `t * t`.  Not in the user's
    statements, but for `t ** 2` of a float t whose value (in `unseen`) only derivative code reads:
    a gradient may change in its last bit, as where `tidy` reassociates."""
    out = []
    for stmt in stmts:
        for block in ir.blocks(stmt):
            block[:] = reduce_strength(block, namer, unseen, floats)
        if isinstance(stmt, ast.Assign):
            func, args = ir.operation(stmt.value)
            n = _integer_exponent(args[1]) if func in (operator.pow, math.pow) and len(args) == 2 else None
            # not in the user's statements: pow rounds differently from x*x*x, raises OverflowError,
            # and x ** 2.0 is a float for an int x (a float array for an int array)
            if n is not None and n != 1 and (not ir.is_exact(stmt) or (
                    n == 2 and ir.target(stmt) in unseen and isinstance(args[0], ast.Name) and args[0].id in floats)):
                _changed()
                base = args[0]
                if n == 0:
                    stmt.value = ir.const(1.0)
                elif n == -1:
                    stmt.value = ast.BinOp(left=ir.const(1.0), op=ast.Div(), right=base)
                elif n == 2:
                    stmt.value = ast.BinOp(left=base, op=ast.Mult(), right=_copy_atom(base))
                else:
                    square = namer.temporary(ast.BinOp(left=base, op=ast.Pow(), right=ir.const(2)))
                    out.append(ir.assign(square, ast.BinOp(left=base, op=ast.Mult(), right=_copy_atom(base)),
                                         stmt.lineno))
                    other = _copy_atom(base) if n == 3 else ir.name(square)
                    stmt.value = ast.BinOp(left=ir.name(square), op=ast.Mult(), right=other)
        out.append(stmt)
    return out


def _unseen(stmts):
    """The user's values that only derivative code reads: no statement of f, test, loop header,
    tape or return reads them (so neither f's value nor its control flow depends on their bits)."""
    seen = {n for s in ir.walk(stmts) if not isinstance(s, ast.Assign) for n in ir.names_used(s)}
    exact = [s for s in ir.assignments(stmts) if ir.is_exact(s)]
    while True:  # what a seen value of f is computed from is seen too
        more = {n for s in exact if ir.target(s) in seen for n in ir.names_used(s.value)} - seen
        if not more:
            return {ir.target(s) for s in exact} - seen
        seen |= more


def _tape_call(stmt, method):
    """The tape name if `stmt` is `NAME = TAPE.pop()` / `TAPE.append(NAME)` (by `method`), else None."""
    call = stmt.value if isinstance(stmt, (ast.Assign, ast.Expr)) and getattr(stmt, "tape", False) else None
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == method \
            and isinstance(call.func.value, ast.Name):
        return call.func.value.id
    return None


def drop_unread_tapes(stmts):
    """A value popped off a tape that its backward pass no longer reads (a loop counter, a
    `break` flag, once dead code is gone) need not be recorded at all."""
    unread = set()
    for loop in ir.walk(stmts):
        if not isinstance(loop, (ast.For, ast.While)):
            continue
        for stmt in loop.body:
            tape = _tape_call(stmt, "pop") if isinstance(stmt, ast.Assign) else None
            if tape and ir.target(stmt) not in {n for s in ir.walk(loop.body) if s is not stmt
                                                 for n in ir.names_used(s)}:
                unread.add(tape)
    if not unread:
        return stmts

    def keep(stmt):
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.List) and getattr(stmt, "tape", False):
            return ir.target(stmt) not in unread
        return not ((_tape_call(stmt, "pop") or _tape_call(stmt, "append")) in unread)

    def strip(block):
        for stmt in block:
            for inner in ir.blocks(stmt):
                inner[:] = strip(inner)
        return [s for s in block if keep(s)]

    _changed()
    return strip(stmts)


def optimize(stmts, namer, floats=(), max_rounds=20, arrays=False, kinds=None):
    """Run every pass until the body stops changing (a fixed point).

    `floats` names parameters assumed to hold floats (those differentiated);
    `kinds` (array code) gives the kinds of values (`shapes.infer`).
    """
    for _ in range(max_rounds):
        before = CHANGES[0]
        merged = ir.merged_names(stmts)  # no pass below assigns a name twice: valid for the round
        stmts = fold_constants(stmts)
        stmts = simplify(stmts, floats, merged, arrays, kinds)
        stmts = propagate_copies(stmts, _merged=merged, _top=True)
        stmts = prune_branches(stmts)
        stmts = eliminate_common_subexpressions(stmts, merged)
        stmts = propagate_copies(stmts, _merged=merged, _top=True)
        floating = float_names(stmts, floats, merged) | {
            n for n, k in (kinds or {}).items() if isinstance(k, Array) and k.dtype in "efdg"}
        stmts = reduce_strength(stmts, namer, _unseen(stmts), floating)
        stmts = eliminate_dead_code(stmts)
        stmts = drop_unread_tapes(stmts)
        if CHANGES[0] == before:
            break
    return stmts
