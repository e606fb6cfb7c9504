"""The public functions: grad, value_and_grad, source."""

import inspect
import types

from . import load
from .errors import WrtError
from .parse import parse
from .pipeline import Options, generate


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
    names = []
    for w in requested:
        if isinstance(w, bool) or not isinstance(w, (int, str)):
            raise WrtError(f"wrt={w!r} for '{name}': give a parameter position or name, or a tuple of them.")
        if isinstance(w, int):
            if not -len(params) <= w < len(params):
                raise WrtError(f"wrt={w} for '{name}': it has {len(params)} parameters ({', '.join(params)}).")
            w = w % len(params)
        elif w not in params:
            raise WrtError(f"wrt={w!r} for '{name}': no such parameter; it has ({', '.join(params)}).")
        else:
            w = params.index(w)
        names.append(w)
    if not names:
        raise WrtError(f"wrt=() for '{name}': name at least one parameter.")
    if len(set(names)) != len(names):
        raise WrtError(f"wrt={wrt!r} for '{name}': a parameter is named twice.")
    return tuple(names), single


def _transform(func, kind, wrt, optimize):
    """(loaded function, source); a repeated request is one dictionary look-up."""
    request = (kind, tuple(wrt) if isinstance(wrt, list) else wrt, optimize)
    hit = load.lookup(func, request)
    if hit is not None:
        return hit
    code = getattr(func, "__code__", None)
    if not isinstance(func, types.FunctionType) or code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        parse(func)  # raises the located explanation
    positions, single = _resolve_wrt(func, wrt)
    return load.get(func, Options(kind, positions, single, optimize), generate, alias=request)


def grad(func=None, wrt=0, *, optimize=True):
    """The gradient of scalar-valued `func` with respect to `wrt`.

    `wrt` is a parameter position or name (one gradient back) or a tuple of
    them (a tuple back).  Returns a plain Python function with `func`'s
    parameters.  Usable as `@grad` or `@grad(wrt=...)`.  Raises
    TranspileError for unsupported code or a non-scalar output.
    """
    if func is None:
        return lambda f: grad(f, wrt, optimize=optimize)
    return _transform(func, "grad", wrt, optimize)[0]


def value_and_grad(func=None, wrt=0, *, optimize=True):
    """Like `grad`, but the function returns `(func(...), gradient)` from one sweep."""
    if func is None:
        return lambda f: value_and_grad(f, wrt, optimize=optimize)
    return _transform(func, "value_and_grad", wrt, optimize)[0]


def source(func, wrt=0, mode="reverse", *, kind="grad", optimize=True):
    """The generated module source for `grad(func, wrt)`, exactly as it is compiled."""
    if mode != "reverse":
        from .errors import TranspileError

        raise TranspileError(f"mode={mode!r}: this version generates reverse mode only.")
    return _transform(func, kind, wrt, optimize)[1]
