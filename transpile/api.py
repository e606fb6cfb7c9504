"""The public functions: grad, value_and_grad, jvp, vjp, jacobian, hessian, source."""

import ast
import copy
import functools
import inspect
import types
import weakref

from numpy import ndarray as _ndarray

from . import guard, load, runtime
from .errors import NonScalarOutputError, TranspileError, WrtError
from .normalize import normalize
from .parse import parse
from .pipeline import TITLES, Options, generate
from .shapes import kind_of


def _parameters(func):
    code = func.__code__
    return list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])


def _resolve_wrt(func, wrt):
    """(positions, single): `wrt` as parameter positions; raises WrtError if one is unknown.

    Positions, not names, travel on: the code object spells a parameter
    `__y` of a method as `_C__y`, the source as `__y`.
    """
    single = not isinstance(wrt, (tuple, list))
    requested = [wrt] if single else list(wrt)
    params = _parameters(func)
    name = getattr(func, "__name__", "function")
    positions = []
    for w in requested:
        if isinstance(w, bool) or not isinstance(w, (int, str)):
            raise WrtError(f"wrt={w!r} for '{name}': give a parameter position or name, or a tuple of them.")
        if isinstance(w, int):
            if not -len(params) <= w < len(params):
                raise WrtError(f"wrt={w} for '{name}': it has {len(params)} parameters ({', '.join(params)}).")
            w = w % len(params)
        elif w not in params and _mangled(func, w) not in params:
            shown = ", ".join(_unmangled(func, p) for p in params)
            raise WrtError(f"wrt={w!r} for '{name}': no such parameter; it has ({shown}).")
        else:
            w = params.index(w if w in params else _mangled(func, w))
        positions.append(w)
    if not positions:
        raise WrtError(f"wrt=() for '{name}': name at least one parameter.")
    if len(set(positions)) != len(positions):
        raise WrtError(f"wrt={wrt!r} for '{name}': a parameter is named twice.")
    return tuple(positions), single


def _class_of(func):
    """The name of the class `func` is defined in (its `__y` parameters are `_C__y` in the code), or None."""
    parts = getattr(func, "__qualname__", "").split(".")
    return parts[-2].lstrip("_") or None if len(parts) > 1 and parts[-2] != "<locals>" else None


def _mangled(func, name):
    """`name` as the code of a method spells it: `__y` in class C is `_C__y` (Python's name mangling)."""
    owner = _class_of(func)
    return f"_{owner}{name}" if owner and name.startswith("__") and not name.endswith("__") else name


def _unmangled(func, name):
    """`name` as the source spells it (`_C__y` is `__y` in a method of C)."""
    owner = _class_of(func)
    return name[len(owner) + 1:] if owner and name.startswith(f"_{owner}__") else name


def _transform(func, kind, wrt, optimize=True, mode="reverse", kinds=None):
    """(loaded function, source); a repeated request is one dictionary look-up.

    For a function that uses NumPy and no `kinds`, the function is a `Specialized`
    dispatcher (and the source None): the code depends on the arguments' kinds.
    """
    if hasattr(func, "__wrapped__") and hasattr(func, "cache_info"):  # functools.cache: the function it wraps
        func = inspect.unwrap(func)
    if isinstance(func, Specialized) and kinds is not None:  # a NumPy derivative, differentiated again
        func = func.specialize(kinds[:func.count])
    elif isinstance(func, Specialized):
        return Specialized(func, kind, wrt, optimize, mode), None
    if kinds is None and uses_numpy(func):
        parse(func)  # what can be refused before seeing the arguments is refused now
        _resolve_wrt(func, wrt)
        return Specialized(func, kind, wrt, optimize, mode), None
    request = (kind, tuple(wrt) if isinstance(wrt, list) else wrt, optimize, mode, kinds)
    hit = load.lookup(func, request)
    if hit is not None:
        return hit
    code = getattr(func, "__code__", None)
    if not isinstance(func, types.FunctionType) or code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        parse(func)  # raises the located explanation
    if mode not in ("reverse", "forward"):
        raise TranspileError(f"mode={mode!r}: use 'reverse' or 'forward'.")
    if kind not in TITLES:
        raise TranspileError(f"kind={kind!r}: use one of {', '.join(TITLES)}.")
    positions, single = _resolve_wrt(func, wrt)
    options = Options(kind, positions, single, optimize, mode if kind in ("grad", "value_and_grad") else "reverse",
                      kinds)
    return load.get(func, options, generate, alias=request)


def uses_numpy(func, _seen=None):
    """Whether `func` (or a function it calls) reads NumPy: its code is then specialised to the
    kinds of its arguments (a float, or an array of some rank and dtype).  Remembered per function."""
    if _seen is None:
        try:
            code, found = _USES_NUMPY.data[weakref.ref(func)]  # (what its __getitem__ does, minus a call)
            if code is func.__code__:  # (autoreload replaces the code of a function in place)
                return found
        except (KeyError, TypeError):
            pass
    found = _uses_numpy(func, _seen)
    if _seen is None:
        try:
            _USES_NUMPY[func] = (func.__code__, found)
        except (TypeError, AttributeError):
            pass
    return found


_USES_NUMPY = weakref.WeakKeyDictionary()


def _uses_numpy(func, _seen=None):
    import numpy

    seen = set() if _seen is None else _seen
    code = getattr(func, "__code__", None)
    if code is None or code in seen:
        return False
    seen.add(code)
    scope = dict(getattr(func, "__globals__", {}))
    scope.update(zip(code.co_freevars, [c.cell_contents for c in func.__closure__ or () if _filled(c)]))
    pending = [code]
    while pending:
        current = pending.pop()
        pending.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
        if _array_syntax(current):
            return True
        for name in current.co_names + current.co_freevars:
            value = scope.get(name)
            if value is numpy or value is numpy.linalg or (callable(value) and (
                    type(value).__module__.startswith("numpy") or
                    str(getattr(value, "__module__", "")).startswith("numpy"))) or \
                    (isinstance(value, types.FunctionType) and uses_numpy(value, seen)):
                return True
    return False


def _array_syntax(code):
    """Whether `code` uses what only arrays have: `@`, slices, or an array attribute or method
    (`x.T`, `x.shape`, `x.sum()`): then it gets array arguments even if it never names NumPy."""
    import dis

    from .numpy_rules import ATTRIBUTES, METHODS
    from .pipeline import int_digits

    with int_digits():  # (dis spells every constant, an int of 5,000 digits too)
        instructions = list(dis.get_instructions(code))
    for op in instructions:
        if op.opname in ("BINARY_MATRIX_MULTIPLY", "BUILD_SLICE", "BINARY_SLICE") or (
                op.opname == "BINARY_OP" and op.argrepr.startswith("@")):
            return True
        if op.opname in ("LOAD_ATTR", "LOAD_METHOD") and op.argval in set(ATTRIBUTES) | set(METHODS) - {"append",
                                                                                                      "pop"}:
            return True
    return False


def _filled(cell):
    try:
        cell.cell_contents
        return True
    except ValueError:
        return False


class Specialized:
    """A derivative of a NumPy function: each call picks (or generates) the code for the kinds of
    its arguments (Python number, or array rank, size-1 axes and dtype); about 1 µs per call."""

    def __init__(self, func, kind, wrt, optimize, mode):
        self.func, self.kind, self.wrt, self.optimize, self.mode = func, kind, wrt, optimize, mode
        self.count = func.count if isinstance(func, Specialized) else func.__code__.co_argcount
        self.by_kinds, self.by_shapes = {}, {}
        functools.update_wrapper(self, func, updated=())  # (not func's __dict__: a Specialized has state)
        self.__code__, self.__defaults__ = func.__code__, func.__defaults__  # f's parameters (grad keeps them)

    def __reduce__(self):  # by reference to the function, as generated functions pickle: no code travels
        return Specialized, (self.func, self.kind, self.wrt, self.optimize, self.mode)

    def __call__(self, *args, **kwargs):
        if (kwargs or len(args) != self.count) and self.kind not in ("jvp", "vjp"):  # those take more
            bound = inspect.signature(self.func).bind(*args, **kwargs)
            bound.apply_defaults()
            args, kwargs = bound.args, bound.kwargs
        if len(args) == 1:  # (what the code depends on, cheaper to look up than the kinds it determines)
            a = args[0]
            key = (a.dtype, a.shape) if isinstance(a, _ndarray) else a.__class__
        else:
            key = tuple([(a.dtype, a.shape) if isinstance(a, _ndarray) else a.__class__ for a in args])
        generated = self.by_shapes.get(key)
        if generated is None:
            if len(self.by_shapes) > 1000:
                self.by_shapes.clear()
            generated = self.by_shapes[key] = self.specialize(tuple(map(kind_of, args)), args)
        return generated(*args, **kwargs) if kwargs else generated(*args)

    def specialize(self, kinds, args=None):
        """The generated function for arguments of `kinds`."""
        generated = self.by_kinds.get(kinds)
        if generated is None:
            if args is not None:
                self.check(args)
            generated = self.by_kinds[kinds] = _transform(self.func, self.kind, self.wrt, self.optimize, self.mode,
                                                          kinds)[0]
        return generated

    def source(self, *args):
        """The generated source for arguments like `args`."""
        return _transform(self.func, self.kind, self.wrt, self.optimize, self.mode, tuple(map(kind_of, args)))[1]

    def check(self, args):
        if not isinstance(self.func, Specialized):
            _check_float_arrays(self.func, self.kind, _resolve_wrt(self.func, self.wrt)[0], args)


def _check_float_arrays(func, kind, positions, args):
    """Integer arrays have no gradient (as ints have none)."""
    for position in positions if kind in ("grad", "value_and_grad") else ():
        value = args[position] if position < len(args) else None
        if isinstance(value, _ndarray) and value.dtype.kind not in "fc":
            raise WrtError(f"cannot differentiate '{func.__name__}' with respect to "
                           f"'{_parameters(func)[position]}': it is an array of {value.dtype}, which has "
                           "no gradient; pass a float array (x.astype(float)).")


def for_arrays(func, options, arguments):
    """The derivative `options` asks for of `func`, called with `arguments` (parameter name -> value)
    that hold NumPy arrays, by code specialised to their kinds (see `guard`)."""
    params, positional = _parameters(func), func.__code__.co_argcount
    args = [arguments[p] for p in params[:positional]]
    _check_float_arrays(func, options.kind, options.wrt, args)
    generated = _for_kinds(func, options, tuple(map(kind_of, args)))
    return generated(*args, **{p: arguments[p] for p in params[positional:]})


def _for_kinds(func, options, kinds):
    """The function generated for `func` as `options` asked, but specialised to `kinds`."""
    wrt = options.wrt[0] if options.single else options.wrt
    return _transform(func, options.kind, wrt, options.optimize, options.mode, kinds)[0]


def grad(func=None, wrt=0, *, optimize=True, mode="reverse"):
    """The gradient of scalar-valued `func` with respect to `wrt`.

    `wrt` is a parameter position or name (one gradient back) or a tuple of
    them (a tuple back).  Returns a plain Python function with `func`'s
    parameters.  Usable as `@grad` or `@grad(wrt=...)`.  `mode="forward"`
    computes it with tangents instead of adjoints (one direction per `wrt`
    entry).  Raises TranspileError for unsupported code or a non-scalar output.
    """
    if func is None:
        return lambda f: grad(f, wrt, optimize=optimize, mode=mode)
    return _transform(func, "grad", wrt, optimize, mode)[0]


def value_and_grad(func=None, wrt=0, *, optimize=True, mode="reverse"):
    """Like `grad`, but the function returns `(func(...), gradient)` from one sweep."""
    if func is None:
        return lambda f: value_and_grad(f, wrt, optimize=optimize, mode=mode)
    return _transform(func, "value_and_grad", wrt, optimize, mode)[0]


def jvp(func, primals, tangents):
    """`(func(*primals), directional derivative along tangents)`, by forward mode.

    `primals` and `tangents` are tuples of the same length (a tangent of None is
    zero: for an int, a mask, data); the derivative has the structure of func's
    output (a float, or a tuple of floats).
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TranspileError("jvp: primals and tangents are tuples, e.g. jvp(f, (x, y), (1.0, 0.0)).")
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise TranspileError(f"jvp: {len(primals)} primals but {len(tangents)} tangents; give one tangent each.")
    primals, count = _all_positional(func, primals, "jvp")
    tangents = tuple(runtime.zeros_like(p) if t is None else t for p, t in zip(primals, tangents))  # None: zero
    func, kinds = _array_code(func, primals)
    generated = _transform(func, "jvp", tuple(range(count)), kinds=kinds)[0]
    return generated(*primals, *tangents, *([0.0] * (count - len(tangents))))


def _array_code(func, primals):
    """(function, kinds) to differentiate `func` at `primals`: with NumPy arrays among them the code
    is specialised to their kinds (None: no arrays, or a dispatcher picks), and a derivative that
    was generated for numbers and lists is replaced by its twin generated for those kinds."""
    if isinstance(func, Specialized) or not any(map(guard.holds_array, primals)):  # (inside structures too)
        return func, None
    kinds = tuple(map(kind_of, primals))
    origin = guard.ORIGINS.get(func)
    original = origin and origin[0]()
    if original is not None and origin[1].kinds is None:
        func = _for_kinds(original, origin[1], kinds)
    return func, kinds


def _all_positional(func, primals, who):
    """`primals` completed with func's defaults, and the number of positional parameters."""
    code = getattr(func, "__code__", None)
    if code is None:
        parse(func)  # raises the explanation
    count = code.co_argcount
    if len(primals) > count:
        raise TranspileError(f"{who}: '{func.__name__}' takes {count} positional parameters, "
                             f"got {len(primals)} primals.")
    missing = count - len(primals)
    defaults = func.__defaults__ or ()
    if missing > len(defaults):
        raise TranspileError(f"{who}: '{func.__name__}' needs {count - len(defaults)} primals at least.")
    return primals + tuple(defaults[len(defaults) - missing:]) if missing else primals, count


def vjp(func, *primals):
    """`(func(*primals), pullback)`; `pullback(cotangent)` returns one adjoint per primal.

    The cotangent has the structure of func's output (a float, or a tuple).
    """
    given = len(primals)
    primals, count = _all_positional(func, tuple(primals), "vjp")
    func, kinds = _array_code(func, primals)
    generated = _transform(func, "vjp", tuple(range(count)), kinds=kinds)[0]
    value = func(*copy.deepcopy(primals))  # f may write into its arrays; the caller's stay as they are

    def pullback(cotangent):
        if isinstance(value, tuple):
            if not isinstance(cotangent, (tuple, list)) or len(cotangent) != len(value):
                raise TranspileError(f"pullback: the output is a tuple of {len(value)}; give a cotangent "
                                     "tuple of that length.")
            cotangents = tuple(cotangent)
        else:
            cotangents = (cotangent,)
        return generated(*primals, *cotangents)[:given]

    return value, pullback


def jacobian(func, wrt=0, mode="reverse"):
    """A function returning the Jacobian of `func` with respect to `wrt`.

    For each `wrt` entry an array of shape `out.shape` (func returns a float:
    `()`; a tuple or list of m floats: `(m,)`); a tuple of them if `wrt` is a tuple.
    `mode="reverse"` takes one pullback per output, `"forward"` one tangent
    sweep for all inputs together, `"auto"` whichever has fewer passes.
    Arrays (as a `wrt` argument or in the output) are refused when called, with
    a NonScalarOutputError or WrtError pointing to `vjp`, `jvp` and `grad`.
    """
    if mode not in ("reverse", "forward", "auto"):
        raise TranspileError(f"mode={mode!r}: use 'reverse', 'forward' or 'auto'.")
    single = not isinstance(wrt, (tuple, list))
    wrt = (wrt,) if single else tuple(wrt)
    from .pipeline import int_digits

    with int_digits():
        returned = normalize(parse(func))[0][-1].value  # what every path returns, after branches merge
    spread = isinstance(returned, ast.Tuple)  # the pullback then takes one cotangent per output
    outputs = len(returned.elts) if isinstance(returned, (ast.Tuple, ast.List)) else 1
    if mode == "forward" or (mode == "auto" and len(wrt) <= outputs):
        columns = _transform(func, "jacobian", wrt)[0]

        def flat(args, kwargs):
            entries = list(columns(*args, **kwargs))  # per wrt entry, the tangent of each output
            shapes = {_numbers_out(func, tuple(entries) if spread else entry) for entry in entries}
            return entries, (outputs,) if spread else shapes.pop()
    else:
        pullback = _transform(func, "vjp", wrt)[0]

        def flat(args, kwargs):  # row i of the pullbacks is column-major in wrt: transpose
            value = func(*copy.deepcopy(args), **kwargs)  # (its structure: how to seed the pullbacks)
            shape = _numbers_out(func, value)
            count = shape[0] if shape else 1
            seeds = [[1.0 if i == j else 0.0 for j in range(count)] for i in range(count)]
            rows = [pullback(*args, *seed, **kwargs) if spread else
                    pullback(*args, type(value)(seed) if shape else seed[0], **kwargs) for seed in seeds]
            return [rows[i][k] for k in range(len(wrt)) for i in range(count)], shape
    positional = func.__code__.co_argcount

    def jacobian_of(*args, **kwargs):
        import numpy

        _numbers_only(func, args, wrt, "jacobian")
        if kwargs or len(args) != positional:  # the generated code takes every positional parameter
            bound = inspect.signature(func).bind(*args, **kwargs)
            bound.apply_defaults()
            args, kwargs = bound.args, bound.kwargs
        entries, shape = flat(args, kwargs)
        blocks = numpy.array(entries, dtype=float).reshape((len(wrt),) + shape)
        return blocks[0] if single else tuple(blocks)

    return jacobian_of


def _numbers_out(func, value):
    """The Jacobian block's shape for an output `value`: () for a number, (m,) for a tuple or list
    of m numbers.  Anything else (arrays) is refused: full array Jacobians are not supported yet."""
    import numbers

    def number(v):
        return isinstance(v, numbers.Number) or (isinstance(v, _ndarray) and v.ndim == 0)

    if number(value):
        return ()
    if isinstance(value, (tuple, list)) and all(number(v) for v in value):
        return (len(value),)
    what = f"an array of shape {value.shape}" if isinstance(value, _ndarray) else \
        f"a {type(value).__name__} holding arrays or structures" if isinstance(value, (tuple, list, dict)) else \
        f"a {type(value).__name__}"
    raise NonScalarOutputError(
        f"jacobian of '{func.__name__}' ({_where(func)}): its output (or the output's derivative) is {what}, and "
        "jacobian takes functions returning a number or a tuple or list of numbers (full array Jacobians are not "
        "supported yet); use transpile.vjp (one pullback per output row), transpile.jvp (one column per "
        "tangent), or transpile.grad of a scalar reduction.")


def _where(func):
    import os

    code = func.__code__
    return f"{os.path.basename(code.co_filename)}, line {code.co_firstlineno}"


def _numbers_only(func, args, wrt, who):
    """jacobian and hessian take one forward pass per number: refuse structured and array arguments."""
    params = _parameters(func)
    for position in _resolve_wrt(func, tuple(wrt))[0]:
        if position < len(args) and isinstance(args[position], (list, tuple, dict)):
            raise WrtError(f"{who} of '{func.__name__}' with respect to '{params[position]}', a "
                           f"{type(args[position]).__name__}: {who} takes numbers (or arrays); use grad or vjp.")
        if position < len(args) and isinstance(args[position], _ndarray) and args[position].ndim > 0:
            raise WrtError(f"{who} of '{func.__name__}' ({_where(func)}) with respect to '{params[position]}', an "
                           f"array of shape {args[position].shape}: full array Jacobians and Hessians are not "
                           "supported yet; use transpile.vjp (one pullback per output) or transpile.jvp (one "
                           "column per tangent direction), or transpile.grad for a scalar output.")


def hessian(func, wrt=0):
    """A function returning the Hessian of scalar `func` (forward mode over the reverse gradient).

    A float for one `wrt` entry; an (n, n) array for a tuple of n entries.  All
    n directions travel through one generated function.
    """
    single = not isinstance(wrt, (tuple, list))
    count = 1 if single else len(wrt)
    gradient = grad(func, wrt)
    columns = functools.cache(lambda: _transform(gradient, "jacobian", (wrt,) if single else tuple(wrt))[0])

    def hessian_of(*args, **kwargs):
        import numpy

        _numbers_only(func, args, (wrt,) if single else wrt, "hessian")
        if not isinstance(gradient, Specialized) and any(map(guard.holds_array, (*args, *kwargs.values()))):
            # NumPy arrays (in data, say) reach a gradient generated for numbers: differentiate its twin
            # generated for their kinds, as jvp does (the code for numbers would treat them as numbers)
            bound = inspect.signature(func).bind(*args, **kwargs)
            bound.apply_defaults()
            args, kwargs = bound.args, bound.kwargs
            twin, kinds = _array_code(gradient, args)
            flat = _transform(twin, "jacobian", (wrt,) if single else tuple(wrt), kinds=kinds)[0](*args, **kwargs)
        else:
            flat = columns()(*args, **kwargs)
        return flat[0] if single else numpy.array(flat, dtype=float).reshape(count, count).T

    return hessian_of


def source(func, wrt=0, mode="reverse", *, kind="grad", optimize=True, args=None):
    """The generated module source for `grad(func, wrt)` (or `kind`), exactly as it is compiled.

    Code for a NumPy function depends on the kinds of the arguments: pass example `args`.
    """
    loaded, text = _transform(func, kind, wrt, optimize, mode)
    if text is None:
        if args is None:
            raise TranspileError(f"'{func.__name__}' uses NumPy, so its derivative is specialised to its "
                                 "arguments: pass example arguments, source(f, wrt, args=(x, y)).")
        text = loaded.source(*args)
    return text
