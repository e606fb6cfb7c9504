"""The stages in order: parse -> normalize -> differentiate -> optimize -> emit.

`generate(func, options)` returns the source text of a module holding one
function, named `options.entry_name(func)`.  Loading and caching live in `load`.
"""

import ast
import contextlib
import copy
import os
import sys
from dataclasses import dataclass

from . import __version__, ir
from .aliasing import check_writes
from .array_runtime import with_item
from .arrays import Arrays
from .emit import (accumulate_in_place, expand_scatters, function_source, imports_used, mark_array_calls,
                   module_source, readable, unshadow)
from .errors import NonScalarOutputError, TranspileError, UnsupportedSyntaxError, WrtError
from .forward import forward
from .kinds import structured_names
from .normalize import normalize
from .numpy_rules import result_kind
from .optimize import optimize
from .parse import parse
from .reverse import reverse
from .shapes import OTHER, SCALAR, Array, infer

TITLES = {"grad": "Gradient", "value_and_grad": "Value and gradient", "jvp": "Jacobian-vector product",
          "vjp": "Vector-Jacobian product", "jacobian": "Jacobian columns"}


@dataclass(frozen=True)
class Options:
    kind: str  # one of TITLES
    wrt: tuple  # parameter positions
    single: bool = False  # one gradient back rather than a tuple
    optimize: bool = True
    mode: str = "reverse"  # for grad and value_and_grad: "reverse" or "forward"
    kinds: tuple = None  # kinds of the arguments (shapes.kind_of) the code is specialised to, for NumPy code

    def entry_name(self, func):
        return f"{self.kind}_{func.__name__}"

    @property
    def keeps_signature(self):
        """jvp and vjp take extra parameters (tangents, cotangents) after f's."""
        return self.kind not in ("jvp", "vjp")


def generate(func, options):
    """Transpile `func`; returns module source text. Raises TranspileError."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))  # the passes recurse once per nesting level of an expression
    try:
        with int_digits():
            return _generate(func, options)
    except RecursionError:
        raise TranspileError(f"cannot differentiate '{func.__name__}': an expression is nested too deeply; "
                             "split it into several assignments.") from None
    finally:
        sys.setrecursionlimit(limit)


@contextlib.contextmanager
def int_digits():
    """No limit on the digits of an int turned into text, for the passes that name, compare and
    print constants (an int of over 4,300 digits, `10 ** 5000`, is one); the emitter spells
    such an int in hexadecimal, which compiling has no limit for."""
    get, set_ = getattr(sys, "get_int_max_str_digits", None), getattr(sys, "set_int_max_str_digits", None)
    if get is None:  # (a Python without the limit)
        yield
        return
    limit = get()
    set_(0)
    try:
        yield
    finally:
        set_(limit)


def _generate(func, options):
    parsed = parse(func)
    wrt = tuple(parsed.params[i] for i in options.wrt)
    body, namer = normalize(parsed)
    structured = structured_names(body)
    try:
        _check_structure_arithmetic(parsed, body, arrays=options.kinds is not None)
    except UnsupportedSyntaxError as refusal:
        if options.kinds is not None or options.kind not in ("grad", "value_and_grad"):
            raise
        return _refusing(func, parsed, options, wrt, structured, refusal)
    _check_element_writes(parsed, body, options.kinds is not None and dict(zip(parsed.params, options.kinds)))
    if options.kinds is not None:
        check_writes(parsed, body, infer(body, dict(zip(parsed.params, options.kinds)), result_kind), namer)
    ir.mark_exact(body)
    # jvp and vjp take every argument, ints (counts, indices) too: assume floats only where asked
    floats = () if options.kind in ("jvp", "vjp") else wrt
    if options.optimize:  # merge duplicate primal values first, so each gets one adjoint
        body = optimize(body, namer, floats=floats, arrays=options.kinds is not None)
    arrays = None
    if options.kinds is not None:
        kinds = dict(zip(parsed.params, options.kinds))
        arrays = Arrays(infer(body, kinds, result_kind))
    stmts, result, extra = _differentiate(parsed, body, namer, wrt, options, arrays)
    body = stmts + [ast.Return(value=result, lineno=body[-1].lineno)]
    if options.optimize:
        preferred = _result_names(body[-1], wrt, options)
        kinds = arrays and infer(body, dict(zip(parsed.params, options.kinds)), result_kind)
        body = optimize(body, namer, floats=floats, arrays=arrays is not None, kinds=kinds)
        if kinds:
            mark_array_calls(body, kinds)
        if arrays is not None and options.kind in ("grad", "value_and_grad", "vjp"):
            _shaped_gradients(body[-1], wrt, arrays, options, kinds, parsed.params + extra)
        if arrays is not None and options.kind == "jvp":
            _shaped_tangents(body[-1], kinds)
        body = readable(body, namer, parsed.params + extra, preferred, floats=floats, arrays=arrays is not None)
        if kinds:
            body = accumulate_in_place(expand_scatters(body))
    if options.kind in ("grad", "value_and_grad"):
        forward = options.mode == "forward"
        if options.kinds is None:
            names = {n.id for stmt in body for n in ast.walk(stmt) if isinstance(n, ast.Name)} | set(parsed.params)
            body = _argument_guard(options.entry_name(func), wrt, structured, parsed.params, forward, names) + body
        else:  # (the dispatcher sends arrays here by kind)
            numbers = [p for p in wrt if not isinstance(dict(zip(parsed.params, options.kinds))[p], Array)]
            body = (_integer_guard(parsed.name, numbers, structures=forward) if numbers else []) + body
    wrt_text = wrt[0] if options.single else "(" + ", ".join(wrt) + ")"
    docstring = (f"{TITLES[options.kind]} of {parsed.name}({', '.join(parsed.params)}) with respect to {wrt_text}"
                 f"{', forward mode' if options.mode == 'forward' and options.kind in ('grad', 'value_and_grad') else ''}."
                 f"\n\n    Generated by transpile from {os.path.basename(parsed.filename)}, line "
                 f"{parsed.file_line(parsed.tree.lineno)}.\n    ")
    aliases = unshadow(body, parsed.params + extra)
    text = function_source(options.entry_name(func), _signature(parsed.tree.args, extra), docstring, body)
    return module_source([text], f"Generated by transpile {__version__}; edit the original function instead.",
                         imports_used(body, aliases))


def _refusing(func, parsed, options, wrt, structured, refusal):
    """Code for numbers that raises `refusal` where it runs: the arguments that show it wrong (lists
    concatenated, say) reach it, while NumPy arrays, for which the same lines are arithmetic, go to
    array code by the argument check first."""
    body = _argument_guard(options.entry_name(func), wrt, structured, parsed.params,
                           options.mode == "forward") + _unlocated(
        "from transpile.errors import UnsupportedSyntaxError\nraise UnsupportedSyntaxError(REFUSAL)")
    docstring = f"{TITLES[options.kind]} of {parsed.name}: refused for numbers and lists (REFUSAL says why).\n    "
    aliases = unshadow(body, parsed.params)
    text = function_source(options.entry_name(func), _signature(parsed.tree.args, []), docstring, body)
    # (`parse` raises REFUSAL for a transformation of this function: jvp of the gradient, say)
    return module_source([text], f"Generated by transpile {__version__}; edit the original function instead.",
                         imports_used(body, aliases) + [f"REFUSAL = {str(refusal)!r}"])


def _differentiate(parsed, body, namer, wrt, options, arrays=None):
    """(statements, returned expression, extra parameter names) for options.kind."""
    value = body[-1].value
    outputs = ir.returned_atoms(body[-1])
    one = ir.const(1.0)
    if options.kind in ("grad", "value_and_grad"):
        built = {ir.target(s) for s in ir.assignments(body) if isinstance(s.value, (ast.List, ast.Tuple, ast.Dict))}
        if isinstance(value, ast.Tuple) or (isinstance(value, ast.Name) and value.id in built):
            raise parsed.error(body[-1], "grad needs a scalar output, but the function returns a tuple, list or dict; "
                                         "use transpile.jacobian or transpile.vjp for vector outputs.",
                               NonScalarOutputError)
        if arrays is not None:
            body, value = _scalar_output(parsed, body, namer, arrays)
        if options.kind == "value_and_grad" and options.mode == "reverse" and isinstance(value, ast.Name):
            kept = namer.fresh("value")  # the backward sweep rewinds loop variables: keep the result
            if arrays is not None:
                arrays.kinds[kept] = arrays.kind(value)
            body = body[:-1] + [ir.assign(kept, value, body[-1].lineno), ast.Return(value=ir.name(kept))]
            value = ir.name(kept)
        if options.mode == "forward":
            _check_numbers(parsed, body, wrt, arrays)
            directions = {None: {wrt[0]: one}} if len(wrt) == 1 else {p: {p: one} for p in wrt}
            stmts, tangents = forward(parsed, body, namer, directions, arrays)
            gradients = [tangents[label][0] for label in directions]
        else:
            stmts, gradients = reverse(parsed, body, namer, wrt, [one], arrays)
        result = gradients[0] if options.single else _tuple(gradients)
        return stmts, (_tuple([value, result]) if options.kind == "value_and_grad" else result), []
    if options.kind == "jvp":
        seeds = {p: namer.fresh("d" + p) for p in wrt}
        for p, seed in seeds.items() if arrays is not None else ():  # a tangent has its primal's shape
            arrays.kinds[seed] = arrays.kinds.get(p)
        stmts, tangents = forward(parsed, body, namer, {None: {p: ir.name(t) for p, t in seeds.items()}}, arrays)
        tangent = _tuple(tangents[None]) if isinstance(value, ast.Tuple) else tangents[None][0]
        return stmts, _tuple([value, tangent]), list(seeds.values())
    if options.kind == "vjp":
        cotangents = [namer.fresh("dout") for _ in outputs]
        stmts, gradients = reverse(parsed, body, namer, wrt, [ir.name(c) for c in cotangents], arrays)
        return stmts, _tuple(gradients), cotangents
    # "jacobian": one forward direction per parameter in wrt, columns flattened
    _check_numbers(parsed, body, wrt, arrays)
    stmts, tangents = forward(parsed, body, namer, {p: {p: one} for p in wrt}, arrays)
    return stmts, _tuple([t for p in wrt for t in tangents[p]]), []


def _scalar_output(parsed, body, namer, arrays):
    """(body, returned atom): an output the kinds show is an array is refused; one they cannot tell
    is checked at run time (`scalar_output`) before the backward sweep seeds it with 1.0."""
    value = body[-1].value
    kind = arrays.kind(value)
    if kind == SCALAR:
        return body, value
    if isinstance(kind, Array) and kind.ndim > 0:
        raise parsed.error(body[-1], "grad needs a scalar output, but the function returns an array; reduce it "
                                     "(np.sum) or use transpile.vjp or transpile.jvp (transpile.jacobian takes "
                                     "numbers until full array Jacobians come).", NonScalarOutputError)
    checked = namer.fresh("output")
    check = ir.assign(checked, ast.Call(func=ir.name("scalar_output"), args=[value], keywords=[]), body[-1].lineno)
    arrays.kinds[checked] = SCALAR
    return body[:-1] + [check, ast.Return(value=ir.name(checked), lineno=body[-1].lineno)], ir.name(checked)


def _argument_guard(entry, wrt, structured, params, forward, names=()):
    """`if x.__class__ is not float: ...`: arguments of other classes than the code was generated for
    (floats, ints too where not differentiated; lists, tuples and dicts for `structured` parameters)
    go to `guard.other_arguments`, which refuses ints in `wrt`, computes the gradient for NumPy
    arrays by array code, or lets the code go on.  The check costs ~10 ns a parameter; the import
    runs only when it fails.  `names`: those the body binds or reads."""
    # A structure's leaves are checked too (NumPy arrays or numbers inside go to other_arguments): one
    # call of runtime.numbers_only, a set of classes made in C for a flat list (where a name of the
    # function's hides it, the structure always goes to other_arguments, which checks it there).
    leaves = " or True" if "numbers_only" in names else " or not numbers_only({})"
    tests = [f"{p}.__class__ not in (list, tuple, dict){leaves.format(p)}" if p in structured and not (
             forward and p in wrt) else
             f"{p}.__class__ is not float" if p in wrt else f"{p}.__class__ not in (float, int)" for p in params]
    result, helper = (next(n + "_" * k for k in range(len(params) + 1) if n + "_" * k not in params)
                      for n in ("rerouted", "other_arguments"))  # (names no parameter has)
    imported = "other_arguments" + (f" as {helper}" if helper != "other_arguments" else "")
    return _unlocated(f"if {' or '.join(tests)}:\n"
                      f"    from transpile.guard import {imported}\n"
                      f"    if ({result} := {helper}({entry}, {tuple(wrt)!r}, locals(){', forward=True' * forward})) "
                      f"is not None:\n"
                      f"        return {result}")


def _integer_guard(function_name, wrt, structures=False):
    """`if x.__class__ is int: raise ...`: an int has no gradient (the check costs ~10 ns a parameter;
    the error's import runs only when it is raised, so the module imports nothing from transpile).
    With `structures` (forward mode: one pass per number), lists, tuples and dicts are refused too."""
    test = "{}.__class__ in (int, list, tuple, dict)" if structures else "{}.__class__ is int"
    factory = "number_argument" if structures else "integer_argument"
    return _unlocated(f"if {' or '.join(test.format(p) for p in wrt)}:\n"
                      f"    from transpile.errors import {factory}\n"
                      f"    raise {factory}({function_name!r}, {', '.join(f'{p}={p}' for p in wrt)})")


def _unlocated(text):
    """The statements of `text`, with no line of the user's file (they are not from it)."""
    stmts = ast.parse(text).body
    for node in ast.walk(ast.Module(body=stmts, type_ignores=[])):
        node.lineno = None
        for compared in node.comparators if isinstance(node, ast.Compare) else ():  # `float` in `x.__class__ is
            for name in ast.walk(compared):  # not float`: the builtin, whatever the user's variables are called
                name.builtin = True
    return stmts


def _shaped_gradients(ret, wrt, arrays, options, kinds, params):
    """A gradient the optimizer folded to a constant (`x - x` has none) keeps its array's shape,
    that of a 0-d array is one too (NumPy's reductions give numbers), one whose shape the `kinds`
    do not show is made the array's at run time (a uniform seed may have stayed a number), and an
    array that is an argument (`d(w @ x)/dw` is `x`) or another gradient is copied: a caller that
    updates its gradients in place must not change its data."""
    value = ret.value
    gradients = value.elts[1] if options.kind == "value_and_grad" else value
    atoms = gradients.elts if isinstance(gradients, ast.Tuple) and not options.single else [gradients]
    holder = gradients if isinstance(gradients, ast.Tuple) and not options.single else None
    returned = set()
    for index, (param, atom) in enumerate(zip(wrt, atoms)):
        shared = isinstance(atom, ast.Name) and (atom.id in params or atom.id in returned)
        returned.update([atom.id] if isinstance(atom, ast.Name) else [])
        if shared and arrays.is_array(param):
            full = ast.Call(func=ast.parse("np.array", mode="eval").body, keywords=[], args=[atom])
        elif isinstance(atom, ast.Constant) and arrays.is_array(param):
            full = ast.Call(func=ast.parse("np.full_like", mode="eval").body, keywords=[],
                            args=[ir.name(param), atom])
        elif arrays.is_array(param) and arrays.kinds[param].ndim == 0:
            full = ast.Call(func=ast.parse("np.asarray", mode="eval").body, keywords=[], args=[atom])
        elif arrays.is_array(param) and isinstance(atom, ast.Name) and not (
                isinstance(kinds.get(atom.id), Array) and kinds[atom.id].ndim == arrays.kinds[param].ndim):
            full = ast.Call(func=ir.name("unbroadcast"), keywords=[], args=[atom, ir.name(param)])
        else:
            continue
        if holder is not None:
            holder.elts[index] = full
        elif options.kind == "value_and_grad":
            value.elts[1] = full
        else:
            ret.value = full


def _shaped_tangents(ret, kinds):
    """A tangent the optimizer folded to a constant (zero: the output does not move) of an output
    that is, or may be, an array is an array of its shape too, as a gradient is (`_shaped_gradients`)."""
    values, tangents = ret.value.elts
    pairs = zip(values.elts, tangents.elts) if isinstance(values, ast.Tuple) else [(values, tangents)]
    shaped = []
    for out, tangent in pairs:
        if isinstance(out, ast.Name) and kinds.get(out.id) != SCALAR and isinstance(tangent, ast.Constant):
            tangent = ast.Call(func=ast.parse("np.full_like", mode="eval").body, args=[out, tangent], keywords=[])
        elif isinstance(out, ast.Name) and kinds.get(out.id) != SCALAR and isinstance(tangent, ast.Name) and (
                kinds.get(tangent.id) is None or kinds.get(tangent.id) != kinds.get(out.id)):
            # (zero on one path, folded to the number 0.0 there: shaped at run time)
            tangent = ast.Call(func=ir.name("unbroadcast"), args=[tangent, out], keywords=[])
        shaped.append(tangent)
    if isinstance(values, ast.Tuple):
        tangents.elts = shaped
    else:
        ret.value.elts[1] = shaped[0]


def _check_numbers(parsed, body, wrt, arrays=None):
    """Forward mode seeds each parameter in `wrt` with 1.0: refuse those holding structures or arrays."""
    indexed = sorted({n for s in ir.walk(body) for n in _containers_read(s)} & set(wrt))
    indexed += [p for p in wrt if arrays is not None and arrays.is_array(p)]
    if indexed:
        raise parsed.error(parsed.tree, f"'{indexed[0]}' holds a list, tuple, dict or array, and forward mode (used by "
                                        "jacobian, hessian and mode='forward') takes one pass per number in it; "
                                        "use mode='reverse', transpile.vjp or transpile.jvp.", WrtError)


def _check_structure_arithmetic(parsed, body, arrays=False):
    """`xs + ys` on lists concatenates and `xs * 2` repeats: neither is differentiated.

    A name holds a structure if it is built as a literal or appended to, or (in code for numbers,
    where nothing else can be indexed) if it is indexed, summed, measured or looped over; copies
    share that, either way.  Arithmetic reading a structure, or (in code for numbers) whose result
    is one, is refused.  (With `arrays`, what is indexed may be an array, which arithmetic is for.)"""
    built = {ir.target(s) for s in ir.assignments(body) if isinstance(s.value, (ast.List, ast.Tuple, ast.Dict))}
    for stmt in ir.walk(body):
        if not arrays:
            built.update(_containers_read(stmt))
        if ir.appended(stmt):
            built.add(ir.appended(stmt))
    copies = [(ir.target(s), s.value.id) for s in ir.assignments(body) if isinstance(s.value, ast.Name)]
    while True:  # (copies and loop merges pass structure-ness both ways)
        grown = {b for a, b in copies if a in built} | {a for a, b in copies if b in built}
        if grown <= built:
            break
        built |= grown
    for stmt in ir.assignments(body):
        if isinstance(stmt.value, (ast.BinOp, ast.UnaryOp)) and (
                set(ir.names_used(stmt.value)) & built or (not arrays and ir.target(stmt) in built)):
            raise (getattr(stmt, "source", None) or parsed).error(
                stmt, "arithmetic on a list, tuple or dict (concatenation, repetition) is not supported; build "
                      "the new list with append or a comprehension.")


def _check_element_writes(parsed, body, kinds):
    """`x[i] = v` is for NumPy arrays (lists are built with append or comprehensions)."""
    for stmt in ir.assignments(body):
        if isinstance(stmt.value, ast.Call) and ir.callee(stmt.value) is with_item:
            base = stmt.value.args[0]
            if not kinds or (isinstance(base, ast.Name) and kinds.get(base.id) == OTHER):
                raise (getattr(stmt, "source", None) or parsed).error(
                    stmt, "assigning into an element is supported for NumPy arrays; build a list with append or a "
                          "comprehension, a dict with a literal.")


def _containers_read(stmt):
    """Names `stmt` indexes, sums or measures: they hold lists, tuples or dicts."""
    value = getattr(stmt, "value", None)
    if isinstance(value, ast.Subscript):
        return ir.names_used(value.value)
    if isinstance(value, ast.Call) and ir.callee(value) in (sum, len):
        return ir.names_used(value)
    if isinstance(stmt, ast.For) and isinstance(stmt.iter, ast.Name):
        return [stmt.iter.id]
    return []


def _result_names(ret, wrt, options):
    """What each returned atom should be called if it ends up a temporary: `dx` for d/dx."""
    derivatives = ["d" + p for p in wrt]
    count = len(ir.returned_atoms(ret))
    if options.kind == "grad":
        return derivatives
    if options.kind == "value_and_grad":
        return [None] + derivatives
    if options.kind == "vjp":
        return derivatives
    if options.kind == "jvp":
        return [None] * (count // 2) + (["dout"] if count == 2 else [None] * (count // 2))
    return [None] * count


def _tuple(elements):
    return ast.Tuple(elts=list(elements), ctx=ast.Load())


def _signature(arguments, extra=()):
    """The parameters of the original, then `extra` (positional); no annotations; defaults only if literal."""
    arguments = copy.deepcopy(arguments)
    arguments.args += [ast.arg(arg=name) for name in extra]
    if extra:
        arguments.defaults = []
    for arg in arguments.posonlyargs + arguments.args + arguments.kwonlyargs:
        arg.annotation = None
    defaults = arguments.defaults + [d for d in arguments.kw_defaults if d is not None]
    if not all(_is_literal(d) for d in defaults):
        arguments.defaults = []
        arguments.kw_defaults = [None] * len(arguments.kwonlyargs)
    return arguments


def _is_literal(node):
    try:
        ast.literal_eval(node)
        return True
    except ValueError:
        return False
