"""The normalized grammar every pass after `normalize` reads and writes.

A normalized function body is a list of statements of these forms only::

    NAME = ATOM                      copy
    NAME = ATOM op ATOM              op in + - * / ** % // @
    NAME = op ATOM                   op in unary - + not
    NAME = ATOM cmp ATOM             cmp in < <= > >= == !=
    NAME = CALLEE(ATOM, ...)         CALLEE spelled as in rules.SPELLING (`sum` and `len` of a list too)
    NAME = ATOM[INDEX]               element of a list, tuple, dict or array; INDEX is an ATOM, or for
                                     arrays slices and tuples of ATOMs and slices (x[1:, i])
    NAME = [ATOM, ...] | (ATOM, ...) | {ATOM: ATOM, ...}    a new list, tuple or dict
    NAME.append(ATOM)                (a statement; NAME holds a list the function built)
    NAME = NAME.pop() | NAME.pop()   (in generated code that is differentiated again)
    return ATOM | return (ATOM, ...)
    if NAME: [statements] else: [statements]
    for NAME in range(ATOM, ATOM[, ATOM]): [statements]     (or reversed(range(...)))
    while NAME: [statements]
    'comment'                        a marker that becomes a source comment

    ATOM := NAME | CONSTANT

and, added by the reverse sweep, the tape of a loop: `TAPE = []`,
`TAPE.append(NAME)`, `NAME = TAPE.pop()`.  Element reads, new structures,
appends, tape operations and the `transpile.runtime` calls that update
adjoints of structures are impure: passes never move, merge or drop them
(a list can grow between two reads of `x[-1]`).

Every NAME is assigned exactly once (SSA), except merge names: a variable an
`if` changes is copied to one merge name at the end of each branch (a phi
written as two copies), and a variable a loop carries is assigned before the
loop and at the end of each pass (loops record these in `loop.carried`).
`merged_names` lists them; passes never propagate, fold through or reuse
their values.  This module reads and builds statements; it knows nothing
about derivatives.
"""

import ast
import itertools
import operator

from . import rules
from .rules import SPELLING

BINOPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.Pow: operator.pow, ast.Mod: operator.mod,
    ast.FloorDiv: operator.floordiv, ast.MatMult: operator.matmul,
}
UNARYOPS = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
COMPAREOPS = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
    ast.GtE: operator.ge, ast.Eq: operator.eq, ast.NotEq: operator.ne,
}
_AST_OF = {f: op for table in (BINOPS, UNARYOPS, COMPAREOPS) for op, f in table.items()}
COMMUTATIVE = {operator.add, operator.mul}


def identity(x):
    """The operation of a copy statement `a = b`."""
    return x


def is_atom(node):
    return isinstance(node, (ast.Name, ast.Constant))


def name(identifier):
    return ast.Name(id=identifier, ctx=ast.Load())


def const(value):
    return ast.Constant(value=value)


def assign(target, value, lineno=None):
    stmt = ast.Assign(targets=[ast.Name(id=target, ctx=ast.Store())], value=value)
    stmt.lineno = lineno
    return stmt


def comment(text):
    return ast.Expr(value=ast.Constant(value="# " + text))


def is_comment(stmt):
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and str(stmt.value.value).startswith("# ")


def mark_exact(stmts):
    """Mark statements that compute the user's function: passes keep their rounding bit for bit."""
    for stmt in walk(stmts):
        stmt.exact = True
    return stmts


def is_exact(stmt):
    return getattr(stmt, "exact", False)


def returned_atoms(ret):
    """The atoms a return statement returns, flattened through nested tuples."""
    value = ret.value
    if isinstance(value, ast.Tuple):
        return [a for elt in value.elts for a in returned_atoms(ast.Return(value=elt))]
    return [value]


def target(stmt):
    return stmt.targets[0].id


def callee(call):
    """The callable a resolved `ast.Call` invokes, or None."""
    func = call.func
    if isinstance(func, ast.Name):
        return rules.CALLABLES.get(func.id)
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return rules.CALLABLES.get(f"{func.value.id}.{func.attr}")
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Attribute):  # np.linalg.det
        return rules.CALLABLES.get(ast.unparse(func))
    return None


def operation(rhs):
    """Split a right-hand side into (callable, [atoms]); None if not one operation."""
    if is_atom(rhs):
        return identity, [rhs]
    if isinstance(rhs, ast.BinOp):
        return BINOPS.get(type(rhs.op)), [rhs.left, rhs.right]
    if isinstance(rhs, ast.UnaryOp):
        return UNARYOPS.get(type(rhs.op)), [rhs.operand]
    if isinstance(rhs, ast.Compare) and len(rhs.ops) == 1:
        return COMPAREOPS.get(type(rhs.ops[0])), [rhs.left, rhs.comparators[0]]
    if isinstance(rhs, ast.Call):
        return callee(rhs), list(rhs.args)
    return None, []


def converted(rhs):
    """The name `list(xs)`, `tuple(xs)` or `dict(d)` copies (converting its type), or None: the sweeps
    treat such a call as a copy of the structure (its adjoint mirrors the same elements)."""
    if type(rhs) is ast.Call and isinstance(rhs.func, ast.Name) and rhs.func.id in ("list", "tuple", "dict") \
            and len(rhs.args) == 1 and isinstance(rhs.args[0], ast.Name) and not rhs.keywords \
            and callee(rhs) in (list, tuple, dict):
        return rhs.args[0].id
    return None


def build(func, args):
    """The right-hand side applying `func` to `args` (the inverse of `operation`)."""
    if func is identity:
        return args[0]
    op = _AST_OF.get(func)
    if op in BINOPS:
        return ast.BinOp(left=args[0], op=op(), right=args[1])
    if op in UNARYOPS:
        return ast.UnaryOp(op=op(), operand=args[0])
    if op in COMPAREOPS:
        return ast.Compare(left=args[0], ops=[op()], comparators=[args[1]])
    return ast.Call(func=ast.parse(SPELLING[func], mode="eval").body, args=list(args), keywords=[])


# Where reads can occur in the (possibly re-nested) expressions passes handle.
_READ_FIELDS = {
    ast.Assign: ("value",), ast.AugAssign: ("target", "value"), ast.Return: ("value",),
    ast.BinOp: ("left", "right"), ast.UnaryOp: ("operand",), ast.Compare: ("left", "comparators"),
    ast.Call: ("args", "keywords"), ast.Tuple: ("elts",), ast.If: ("test",), ast.While: ("test",),
    ast.For: ("iter",), ast.Expr: ("value",), ast.Attribute: ("value",), ast.keyword: ("value",),
    ast.Subscript: ("value", "slice"), ast.List: ("elts",), ast.Dict: ("keys", "values"),
    ast.Slice: ("lower", "upper", "step"),
}
TAPE_METHODS = ("append", "pop")  # `stack.append(x)`, `x = stack.pop()`: the reverse sweep's tape


def _read_fields(node):
    if type(node) is ast.Call and isinstance(node.func, ast.Attribute) and node.func.attr in TAPE_METHODS:
        return ("func", "args")  # the list is a variable read; a callee like `math.sin` is not
    return _READ_FIELDS.get(type(node), ())


def replace_reads(node, replacement):
    """Replace, in place, each read `Name` n inside `node` for which
    `replacement(n.id)` returns a node (callees and targets are not reads)."""
    for field in _read_fields(node):
        value = getattr(node, field)
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            if type(item) is ast.Name:
                new = replacement(item.id) if not isinstance(item.ctx, ast.Store) or type(node) is ast.AugAssign \
                    else None
                if new is not None:
                    if isinstance(value, list):
                        value[i] = new
                    else:
                        setattr(node, field, new)
            elif item is not None:
                replace_reads(item, replacement)
    return node


def names_used(node):
    """Variable names read by an expression or statement (callees excluded)."""
    found = []

    def visit(n):
        for field in _read_fields(n):
            value = getattr(n, field)
            for item in value if isinstance(value, list) else [value]:
                if type(item) is ast.Name:
                    found.append(item.id)
                elif item is not None:
                    visit(item)

    if type(node) is ast.Name:
        return [node.id]
    visit(node)
    return found


def atom_key(atom):
    """Equal for atoms that are the same value (repr tells -0.0 from 0.0)."""
    return ("name", atom.id) if type(atom) is ast.Name else ("const", type(atom.value).__name__, repr(atom.value))


def key(rhs):
    """A hashable identity of a pure right-hand side, equal for equal values."""
    func, args = operation(rhs)
    if func is None or not all(is_atom(a) for a in args) or getattr(rhs, "keywords", None):
        return ("expr", _structure(rhs))
    parts = [atom_key(a) for a in args]
    if func in COMMUTATIVE:
        parts.sort()
    return (id(func), tuple(parts))


def _structure(node):
    """A hashable form of an expression tree (ast.dump's, without its `value == []` test, which a
    NumPy constant turns into an array on Python 3.13)."""
    if isinstance(node, ast.Constant):
        return ("Constant", type(node.value).__name__, repr(node.value))
    if isinstance(node, ast.AST):
        return (type(node).__name__,) + tuple(_structure(getattr(node, f, None)) for f in node._fields)
    if isinstance(node, list):
        return tuple(_structure(n) for n in node)
    return repr(node)


def blocks(stmt):
    """The statement lists nested in `stmt` (an if's branches, a loop's body)."""
    if isinstance(stmt, ast.If):
        return [stmt.body, stmt.orelse]
    if isinstance(stmt, (ast.For, ast.While)):
        return [stmt.body]
    return []


_COMPOUND = {ast.If, ast.For, ast.While}


def walk(stmts):
    """Every statement, nested blocks included, in program order (a compound statement before its blocks).

    An explicit stack, not nested generators: each statement then costs O(1), not O(its depth)
    (an `elif` chain of n branches is n levels deep)."""
    pending = [iter(stmts)]
    while pending:
        for stmt in pending[-1]:
            yield stmt
            if stmt.__class__ in _COMPOUND:
                pending.append(itertools.chain.from_iterable(blocks(stmt)))
                break
        else:
            pending.pop()


def appended(stmt):
    """The list name if `stmt` is `NAME.append(ATOM)`, else None."""
    call = stmt.value if isinstance(stmt, ast.Expr) else None
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "append" \
            and isinstance(call.func.value, ast.Name):
        return call.func.value.id
    return None


def popped(rhs):
    """The list name if `rhs` is `NAME.pop()`, else None."""
    if isinstance(rhs, ast.Call) and isinstance(rhs.func, ast.Attribute) and rhs.func.attr == "pop" \
            and isinstance(rhs.func.value, ast.Name):
        return rhs.func.value.id
    return None


def append(container, value, lineno=None):
    stmt = ast.Expr(value=ast.Call(func=ast.Attribute(value=name(container), attr="append", ctx=ast.Load()),
                                   args=[value], keywords=[]))
    stmt.lineno = lineno
    return stmt


def is_pure(stmt):
    """Whether an assignment may be moved, merged or dropped (a tape pop, an element read or a
    helper updating a mirror may not)."""
    func = operation(stmt.value)[0]
    return func is not None and func not in rules.LINEAR_HELPERS and func not in (len, sum) \
        and func not in rules.CHECKS  # (lists grow; checks raise)


def is_removable(stmt):
    """Whether an assignment nobody reads may be dropped: pure ones, and element reads and new
    structures (impure only because they must not be moved or merged)."""
    return is_pure(stmt) or isinstance(stmt.value, (ast.Subscript, ast.List, ast.Tuple, ast.Dict)) or \
        operation(stmt.value)[0] in (len, sum)


def assignments(stmts):
    """Every assignment, nested blocks included, in program order."""
    return (s for s in walk(stmts) if isinstance(s, ast.Assign))


def merged_names(stmts):
    """Names assigned more than once: the merges at the end of both branches of an `if`."""
    counts = {}
    for stmt in walk(stmts):
        name = target(stmt) if isinstance(stmt, ast.Assign) else stmt.target.id if isinstance(stmt, ast.For) else None
        if name is not None:
            counts[name] = counts.get(name, 0) + 1
    return {name for name, count in counts.items() if count > 1}


def loop(index, bounds, body, lineno=None, backwards=False):
    """`for index in range(*bounds): body` (`reversed(range(...))` if `backwards`)."""
    iterable = ast.Call(func=ast.Name(id="range", ctx=ast.Load()), args=list(bounds), keywords=[])
    if backwards:
        iterable = ast.Call(func=ast.Name(id="reversed", ctx=ast.Load()), args=[iterable], keywords=[])
    stmt = ast.For(target=ast.Name(id=index, ctx=ast.Store()), iter=iterable, body=body, orelse=[])
    stmt.lineno = lineno
    return stmt


def prune_carried(loop):
    """Drop from `loop.carried` what the optimizer found dead (its updates are gone)."""
    assigned = {target(s) for s in loop.body if isinstance(s, ast.Assign)}
    loop.carried = [name for name in loop.carried if name in assigned]


def branch(test, body, orelse, lineno=None):
    stmt = ast.If(test=test, body=body, orelse=orelse)
    stmt.lineno = lineno
    return stmt
