"""NumPy's functions in the derivative table (one line each, as in `rules`).

Elementwise functions get partial derivatives, exactly like their `math`
counterparts; broadcasting is the sweeps' business (`shapes`).  Array
operations (reductions, `@`, reshapes) get adjoint templates over `dout`,
and say in which arguments they are linear: their tangent is the operation
applied to the tangents.  `KIND` functions give the rank of each result, so
the sweeps know statically where an adjoint must be summed.

To add an elementwise function::

    partials(np.cbrt, "x", "out / (3 * x)")
"""

import ast
import math
import operator
import re

import numpy as np

from . import array_runtime, rules
from .rules import array_rule, nondifferentiable, partials
from .shapes import OTHER, SCALAR, SOME_ARRAY, Array, broadcast


def _spell(obj, text):
    rules.SPELLING[obj] = text
    rules.CALLABLES[text] = obj


for _name in ("sin cos tan arcsin arccos arctan arctan2 sinh cosh tanh exp expm1 log log1p log2 log10 sqrt "
              "square abs absolute sign power reciprocal negative maximum minimum where clip sum mean prod max "
              "min matmul dot outer inner transpose reshape expand_dims squeeze atleast_1d atleast_2d atleast_3d "
              "zeros_like ones_like floor ceil round shape ndim size zeros ones full eye arange linspace var std "
              "cumsum trace swapaxes logaddexp geomspace logspace float64").split():
    _spell(getattr(np, _name), f"np.{_name}")
_spell(list, "list")  # the adjoint of a list turned into an array is a list again
for _name in ("norm", "det", "inv", "solve"):
    _spell(getattr(np.linalg, _name), f"np.linalg.{_name}")
for _name in array_runtime.__all__:
    _spell(getattr(array_runtime, _name), _name)
SCATTERED_READS = 8  # the most reads of one array whose adjoints one scatter_add call adds up
NUMPY_CONSTRUCTORS = {np.zeros, np.ones, np.zeros_like, np.ones_like, np.full, np.eye, np.arange, np.linspace,
                      np.geomspace, np.logspace}

# Elementwise: the partials of their `math` twins, read with `np.*` (one table, not two that drift).
MATH_TWINS = {np.sin: math.sin, np.cos: math.cos, np.tan: math.tan, np.arcsin: math.asin, np.arccos: math.acos,
              np.arctan: math.atan, np.arctan2: math.atan2, np.sinh: math.sinh, np.cosh: math.cosh,
              np.tanh: math.tanh, np.exp: math.exp, np.expm1: math.expm1, np.log: math.log, np.log1p: math.log1p,
              np.log2: math.log2, np.log10: math.log10, np.sqrt: math.sqrt}
for _func, _twin in MATH_TWINS.items():
    _rule = min((r for (f, _), r in rules.RULES.items() if f is _twin), key=lambda r: len(r.params))
    partials(_func, ", ".join(_rule.params),
             *[re.sub(r"\bmath\.", "np.", ast.unparse(p)) for p in _rule.partials])
partials(np.square, "x", "2 * x")
partials(np.logaddexp, "x, y", "np.exp(x - out)", "np.exp(y - out)")  # log(e^x + e^y), without overflow
partials(np.abs, "x", "np.sign(x)")  # 0 at the kink
partials(np.absolute, "x", "np.sign(x)")
partials(np.power, "x, y", "y * x ** (y - 1)", "out * np.log(np.where(x == 0, 1.0, x))")
partials(np.reciprocal, "x", "-(out * out)")
partials(np.negative, "x", "-1")
partials(np.maximum, "x, y", "(x > y) + 0.5 * (x == y)", "(y > x) + 0.5 * (x == y)")  # ties split evenly
partials(np.minimum, "x, y", "(x < y) + 0.5 * (x == y)", "(y < x) + 0.5 * (x == y)")
partials(np.where, "condition, x, y", None, "np.where(condition, 1.0, 0.0)", "np.where(condition, 0.0, 1.0)")
partials(np.clip, "x, low, high", "(low <= x) & (x <= high)", "x < low", "x > high")
nondifferentiable(np.sign, 1)
nondifferentiable(np.floor, 1)
nondifferentiable(np.ceil, 1)
nondifferentiable(np.round, 1, 2)
for _func in (np.zeros, np.ones, np.zeros_like, np.ones_like, np.eye):  # constant: shapes, or values never read
    nondifferentiable(_func, 1, 2, 3)
nondifferentiable(np.arange, 1)  # 0, 1, ..., piecewise constant in the stop


partials(np.float64, "x", "1")


# Kinds of results (None: not known before run time).
def _constant(atom):
    return getattr(atom, "value", ...)  # ... for a name: unknown


def _reduced(kinds, args):
    x = kinds[0]
    axis, keepdims = _constant(args[1]), _constant(args[2])
    if x == SCALAR or (axis is None and keepdims is False):  # (over everything: one number, whatever x is)
        return SCALAR
    if not isinstance(x, Array) or axis is ... or keepdims is ...:
        return None
    if x == SOME_ARRAY:
        return SCALAR if axis is None and not keepdims else SOME_ARRAY
    if x.ndim == 0:  # (NumPy reduces a 0-d array over axis 0 or -1 to a number)
        return x if keepdims else SCALAR
    if keepdims:
        axes = range(x.ndim) if axis is None else [axis % x.ndim]
        return Array(x.ndim, x.ones | frozenset(axes), x.dtype, frozenset(p for p in x.maybe if p[0] not in axes))
    if axis is None:
        return SCALAR
    axis %= x.ndim
    return Array(x.ndim - 1, frozenset(a - (a > axis) for a in x.ones if a != axis), x.dtype,
                 frozenset((a - (a > axis), length) for a, length in x.maybe if a != axis))


def _matmul(kinds, args):
    a, b = kinds
    if not (isinstance(a, Array) and isinstance(b, Array)) or max(a.ndim, b.ndim) > 2 or min(a.ndim, b.ndim) < 1:
        return None
    dtype = np.result_type(a.dtype, b.dtype).char
    if a.ndim == 1 and b.ndim == 1:
        return SCALAR
    if a.ndim == 1:  # (the rows of a and the columns of b are the result's axes)
        return Array(1, frozenset({0} & {i - 1 for i in b.ones}), dtype, frozenset((0, n) for i, n in b.maybe if i == 1))
    if b.ndim == 1:
        return Array(1, frozenset({0} & a.ones), dtype, frozenset((0, n) for i, n in a.maybe if i == 0))
    return Array(2, frozenset(({0} & a.ones) | ({1} & b.ones)), dtype,
                 frozenset((i, n) for i, n in a.maybe if i == 0) | frozenset((i, n) for i, n in b.maybe if i == 1))


def _transposed(kinds, args):
    x = kinds[0]
    return Array(x.ndim, frozenset(x.ndim - 1 - a for a in x.ones), x.dtype,
                 frozenset((x.ndim - 1 - a, n) for a, n in x.maybe)) if isinstance(x, Array) else None


def _same(kinds, args):
    return kinds[0]


def _unknown(kinds, args):
    return SOME_ARRAY


# Adjoint templates by the operands' ranks where one expression reads best (X.T @ dz).
def dot_adjoints(kinds):
    """np.dot agrees with @ for vectors and matrices; its other forms are refused."""
    if not all(isinstance(k, Array) and 1 <= k.ndim <= 2 for k in kinds):
        raise ValueError("np.dot is supported for vectors and matrices; use * for scalars, @ for stacks")
    return matmul_adjoints(kinds)


def vector_adjoints(texts):
    def adjoints(kinds):
        if not all(isinstance(k, Array) and k.ndim in (1, -1) for k in kinds):
            raise ValueError("np.outer and np.inner are supported for 1-D arrays")
        return texts
    return adjoints


def matrix_adjoints(texts, matrix_b=None, what="np.linalg.det, inv and solve are"):
    """Rules written for one square matrix (not stacks): `matrix_b` gives other texts for a 2-D b."""
    def adjoints(kinds):
        if not isinstance(kinds[0], Array) or kinds[0].ndim not in (2, -1):
            raise ValueError(f"{what} supported for one 2-D matrix, not stacks")
        if matrix_b is None:
            return texts
        if kinds[1] == SOME_ARRAY:  # a vector or a matrix: asked at run time
            return (f"({matrix_b[0]}) if np.ndim(out) == 2 else ({texts[0]})", texts[1])
        if isinstance(kinds[1], Array) and kinds[1].ndim == 2:
            return matrix_b
        if not (isinstance(kinds[1], Array) and kinds[1].ndim == 1):
            raise ValueError("np.linalg.solve(a, b) is supported for a 1-D or 2-D b")
        return texts
    return adjoints


def matmul_adjoints(kinds):
    a, b = kinds
    if isinstance(a, Array) and isinstance(b, Array):
        if a.ndim == 2 and b.ndim == 2:
            return "dout @ np.transpose(b)", "np.transpose(a) @ dout"
        if a.ndim == 2 and b.ndim == 1:
            return "np.outer(dout, b)", "np.transpose(a) @ dout"
        if a.ndim == 1 and b.ndim == 2:
            return "b @ dout", "np.outer(a, dout)"
        if a.ndim == 1 and b.ndim == 1:
            return "dout * b", "dout * a"
    return "matmul_adjoint_a(dout, a, b)", "matmul_adjoint_b(dout, a, b)"


ADJOINTS_BY_KIND = {}  # func -> (kinds -> adjoint template texts), consulted before Rule.adjoints
for _func in (np.matmul, np.dot, operator.matmul):
    array_rule(_func, "a, b", ("dout @ np.transpose(b)", "np.transpose(a) @ dout"), linear=(0, 1), kind=_matmul)
    ADJOINTS_BY_KIND[_func] = dot_adjoints if _func is np.dot else matmul_adjoints
array_rule(np.sum, "x, axis, keepdims", ("expand_to(dout, x, axis, keepdims)", None, None), linear=(0,),
           kind=_reduced)
array_rule(np.mean, "x, axis, keepdims", ("expand_to(dout, x, axis, keepdims) * (np.size(dout) / np.size(x))",
                                          None, None), linear=(0,), kind=_reduced)
array_rule(np.prod, "x, axis, keepdims", ("expand_to(dout, x, axis, keepdims) * product_of_others(x, axis)", None,
                                          None),
           tangent="np.sum(d_x * product_of_others(x, axis), axis=axis, keepdims=keepdims)", kind=_reduced)
for _func in (np.max, np.min):
    array_rule(_func, "x, axis, keepdims", ("expand_to(dout, x, axis, keepdims) * extreme_weights(x, out, axis, "
                                            "keepdims)", None, None),
               tangent="np.sum(d_x * extreme_weights(x, out, axis, keepdims), axis=axis, keepdims=keepdims)",
               kind=_reduced)
_CENTRED = "(x - np.mean(x, axis=axis, keepdims=True))"  # what the variance squares
array_rule(np.var, "x, axis, keepdims", (f"expand_to(dout, x, axis, keepdims) * {_CENTRED} * "
                                         "(2.0 * np.size(out) / np.size(x))", None, None),
           tangent=f"np.sum(d_x * {_CENTRED}, axis=axis, keepdims=keepdims) * (2.0 * np.size(out) / np.size(x))",
           kind=_reduced)
array_rule(np.std, "x, axis, keepdims", (f"expand_to(dout * inverse_or_zero(out), x, axis, keepdims) * {_CENTRED} "
                                         "* (np.size(out) / np.size(x))", None, None),
           tangent=f"np.sum(d_x * {_CENTRED}, axis=axis, keepdims=keepdims) * (np.size(out) / np.size(x)) * "
                   "inverse_or_zero(out)", kind=_reduced)
partials(array_runtime.inverse_or_zero, "s", "-(out * out)")


def _cumulative(kinds, args):
    x = kinds[0]
    if _constant(args[1]) is None or x == SCALAR or (isinstance(x, Array) and x.ndim == 0):
        # over the flattened array (a number's: along any axis): of length 1 where every axis is
        if x == SCALAR:
            return Array(1, frozenset({0}))
        if not isinstance(x, Array) or x == SOME_ARRAY:
            return SOME_ARRAY if x == SOME_ARRAY else None
        if len(x.ones) == x.ndim:
            return Array(1, frozenset({0}), x.dtype)
        return Array(1, frozenset(), x.dtype, frozenset({(0, None)}) if len(x.ones) + len(x.maybe) == x.ndim
                     else frozenset())
    return x if isinstance(x, Array) else None


array_rule(np.cumsum, "x, axis", ("reversed_cumsum(dout, x, axis)", None), linear=(0,), kind=_cumulative)
array_rule(array_runtime.reversed_cumsum, "g, x, axis", ("np.reshape(np.cumsum(dout, axis), np.shape(g))", None, None),
           linear=(0,), kind=lambda kinds, args: kinds[1], constant=("x",))
array_rule(np.trace, "a, offset", ("dout * identity_like(a)", None), linear=(0,),
           kind=lambda kinds, args: SCALAR if isinstance(kinds[0], Array) and kinds[0].ndim == 2 else None)
nondifferentiable(array_runtime.identity_like, 1)
array_rule(np.transpose, "x", ("np.transpose(dout)",), linear=(0,), kind=_transposed)
array_rule(np.transpose, "x, axes", ("np.transpose(dout, inverse_permutation(axes))", None), linear=(0,),
           kind=_unknown)
array_rule(np.swapaxes, "x, a, b", ("np.swapaxes(dout, a, b)", None, None), linear=(0,), kind=_unknown)
nondifferentiable(array_runtime.inverse_permutation, 1)
array_rule(np.reshape, "x, shape", ("np.reshape(dout, np.shape(x))", None), linear=(0,), kind=_unknown)
array_rule(np.expand_dims, "x, axis", ("np.squeeze(dout, axis)", None), linear=(0,), kind=_unknown)
array_rule(np.squeeze, "x, axis", ("np.reshape(dout, np.shape(x))", None), linear=(0,), kind=_unknown)
for _func in (np.atleast_1d, np.atleast_2d, np.atleast_3d):
    array_rule(_func, "x", ("np.reshape(dout, np.shape(x))",), linear=(0,), kind=_unknown)
array_rule(np.outer, "a, b", ("dout @ b", "a @ dout"), linear=(0, 1), kind=_unknown)
array_rule(np.inner, "a, b", ("dout * b", "dout * a"), linear=(0, 1), kind=lambda kinds, args: None)
array_rule(np.linalg.norm, "x, ord, axis, keepdims", ("expand_to(dout * inverse_or_zero(out), x, axis, keepdims) * x",
                                                     None, None, None),
           tangent="np.sum(x * d_x, axis=axis, keepdims=keepdims) * inverse_or_zero(out)",
           kind=lambda kinds, args: _reduced([kinds[0]], [args[0], args[2], args[3]]))  # (the 2-norm: ord=None)
array_rule(np.linalg.det, "a", ("dout * out * np.transpose(np.linalg.inv(a))",),
           tangent="out * np.trace(np.linalg.solve(a, d_a))", kind=lambda k, a: SCALAR)
array_rule(np.linalg.inv, "a", ("-(np.transpose(out) @ dout @ np.transpose(out))",), tangent="-(out @ d_a @ out)",
           kind=_same)
array_rule(np.linalg.solve, "a, b", ("-np.outer(np.linalg.solve(np.transpose(a), dout), out)",
                                     "np.linalg.solve(np.transpose(a), dout)"),
           tangent="np.linalg.solve(a, d_b - d_a @ out)", kind=_unknown)
ADJOINTS_BY_KIND[np.outer] = vector_adjoints(("dout @ b", "a @ dout"))
ADJOINTS_BY_KIND[np.inner] = vector_adjoints(("dout * b", "dout * a"))
ADJOINTS_BY_KIND[np.linalg.det] = matrix_adjoints(("dout * out * np.transpose(np.linalg.inv(a))",))
ADJOINTS_BY_KIND[np.trace] = matrix_adjoints(("dout * identity_like(a)", None), what="np.trace is")
ADJOINTS_BY_KIND[np.linalg.inv] = matrix_adjoints(("-(np.transpose(out) @ dout @ np.transpose(out))",))
ADJOINTS_BY_KIND[np.linalg.solve] = matrix_adjoints(
    ("-np.outer(np.linalg.solve(np.transpose(a), dout), out)", "np.linalg.solve(np.transpose(a), dout)"),
    matrix_b=("-(np.linalg.solve(np.transpose(a), dout) @ np.transpose(out))", "np.linalg.solve(np.transpose(a), dout)"))

# Constructors whose values depend on their arguments (their shapes and counts are constants).
def _spaced(kinds, args):
    """linspace and its kin: a vector, unless start or stop is an array (or the count may be 1)."""
    num = _constant(args[2])
    plain = kinds[0] == SCALAR and kinds[1] == SCALAR and type(num) is int and num != 1
    return Array(1) if plain else SOME_ARRAY


_FROM_START, _TO_STOP = "np.linspace(1.0, 0.0, num)", "np.linspace(0.0, 1.0, num)"  # weights of start, stop
array_rule(np.linspace, "start, stop, num", (f"unbroadcast({_FROM_START} @ dout, start)",
                                             f"unbroadcast({_TO_STOP} @ dout, stop)", None),
           tangent="np.linspace(d_start, d_stop, num)", kind=_spaced)
array_rule(np.geomspace, "start, stop, num", (f"unbroadcast({_FROM_START} @ (dout * out), start) / start",
                                              f"unbroadcast({_TO_STOP} @ (dout * out), stop) / stop", None),
           tangent="out * np.linspace(d_start / start, d_stop / stop, num)", kind=_spaced)
_LOG_10 = repr(math.log(10.0))  # logspace is 10 ** linspace
array_rule(np.logspace, "start, stop, num", (f"unbroadcast({_FROM_START} @ (dout * out), start) * {_LOG_10}",
                                             f"unbroadcast({_TO_STOP} @ (dout * out), stop) * {_LOG_10}", None),
           tangent=f"out * np.linspace(d_start, d_stop, num) * {_LOG_10}", kind=_spaced)
array_rule(np.full, "shape, value", (None, "unbroadcast(dout, value)"), linear=(1,), kind=_unknown)
array_rule(np.arange, "start, stop", ("np.sum(dout)", None), tangent="np.full_like(out, d_start)", kind=_unknown,
           constant=("stop",))  # (the stop only decides the length)
array_rule(np.arange, "start, stop, step", ("np.sum(dout)", None, "np.arange(np.size(out)) @ dout"),
           tangent="d_start + d_step * np.arange(np.size(out))", kind=_unknown, constant=("stop",))


def _spaced_adjoints(func):
    def adjoints(kinds):  # (the weights @ dout contract the first axis of a 1-D or 2-D dout only)
        if any(isinstance(k, Array) and k.ndim not in (0, 1) for k in kinds[:2]):
            raise ValueError(f"{rules.SPELLING[func]} is differentiated for numbers or vectors as start and stop")
        return [None if a is None else ast.unparse(a) for a in rules.RULES[func, 3].adjoints]
    return adjoints


for _func in (np.linspace, np.geomspace, np.logspace):
    ADJOINTS_BY_KIND[_func] = _spaced_adjoints(_func)


# Arrays made from lists of numbers or arrays: the adjoint of the list is read element by element,
# which an array (or a list of arrays) serves as well.
for _name in ("array", "stack", "concatenate", "moveaxis", "split"):
    _spell(getattr(np, _name), f"np.{_name}")
array_rule(np.array, "x", ("list(dout)",), linear=(0,), kind=_unknown)
_spell(np.copy, "np.copy")  # a private copy to write into (`aliasing` refuses writes into shared arrays)
array_rule(np.copy, "x", ("dout",), linear=(0,), kind=lambda kinds, args: kinds[0])


def _array_adjoints(kinds):
    """The adjoint of np.array(x) (or np.asarray) mirrors x: a list for a list or tuple, an array for an array or
    a number, asked at run time where x's kind was not known."""
    x = kinds[0]
    return ("dout",) if isinstance(x, Array) or x == SCALAR else ("list(dout)",) if x == OTHER else \
        ("as_mirror(dout, x)",)


ADJOINTS_BY_KIND[np.array] = _array_adjoints
array_rule(np.stack, "x, axis", ("list(np.moveaxis(dout, axis, 0))", None), linear=(0,), kind=_unknown)
array_rule(np.concatenate, "x, axis", ("split_like(dout, x, axis)", None), linear=(0,), kind=_unknown)

# np.einsum("ij,jk->ik", a, b), two operands, explicit output: each adjoint is an einsum too.
_spell(np.einsum, "np.einsum")


def einsum_adjoints(kinds, args):
    spec = getattr(args[0], "value", None)
    if not isinstance(spec, str) or "->" not in spec or spec.count(",") != 1 or "." in spec:
        return None
    inputs, output = spec.replace(" ", "").split("->")
    left, right = inputs.split(",")
    if any(len(set(part)) != len(part) for part in (left, right, output)):
        return None  # a repeated index (a trace or diagonal)
    if not set(left) <= set(right + output) or not set(right) <= set(left + output):
        return None  # an index summed away from one operand alone: not supported
    return (None, f"np.einsum({output + ',' + right + '->' + left!r}, dout, b)",
            f"np.einsum({left + ',' + output + '->' + right!r}, a, dout)")


array_rule(np.einsum, "spec, a, b", (None, "dout", "dout"), linear=(1, 2), kind=_unknown)  # (by the spec)


def extreme_adjoints(kinds, args):
    """Over all axes the max is one number: its adjoint needs no spreading before the weights."""
    if _constant(args[1]) is None and _constant(args[2]) is False:
        return "dout * extreme_weights(x, out, axis, keepdims)", None, None
    return "expand_to(dout, x, axis, keepdims) * extreme_weights(x, out, axis, keepdims)", None, None


ADJOINTS_BY_ARGS = {np.einsum: einsum_adjoints, np.max: extreme_adjoints, np.min: extreme_adjoints}

# Writing into an array (`h[t + 1] = v`) is a new array with that element replaced.
array_rule(array_runtime.with_item, "x, index, value",
           ("with_item(dout, index, 0.0)", None, "unbroadcast(dout[index], value)"),
           tangent="with_item(d_x + np.zeros_like(x), index, d_value)", kind=lambda kinds, args: kinds[0])
_spell(slice, "slice")

# The helpers of generated code, so that it can be differentiated again (second order).
_spell(np.full_like, "np.full_like")
_spell(np.asarray, "np.asarray")
array_rule(np.asarray, "x", ("dout",), linear=(0,), kind=lambda kinds, args: kinds[0] if isinstance(kinds[0], Array)
           else Array(0))
ADJOINTS_BY_KIND[np.asarray] = _array_adjoints
array_rule(array_runtime.as_mirror, "dout, x", ("np.array(dout)", None), linear=(0,), kind=_unknown, constant=("x",))
array_rule(np.full_like, "x, value", (None, "np.sum(dout)"), linear=(1,), kind=lambda kinds, args: kinds[0],
           constant=("x",))


_FILLED = "(np.full_like(x, 0.5) == 0.5)"  # 1 where x's dtype keeps the value, 0 where it truncates it


def _fill_known(kinds):
    """Whether np.full_like(x, value) surely keeps the value (a float x), refusing an x it surely truncates
    (an int array: piecewise constant in value); None where x's dtype is known only at run time."""
    x = kinds[0]
    if isinstance(x, Array) and x != SOME_ARRAY and np.dtype(x.dtype).kind not in "fc":
        raise ValueError("np.full_like(x, value) of an integer array x truncates the value, so it has no "
                         "derivative in it; use np.full(np.shape(x), value) for floats")
    return x == SCALAR or (isinstance(x, Array) and x != SOME_ARRAY) or None


def _fill_adjoints(kinds):
    spread = "dout" if _fill_known(kinds) else f"dout * {_FILLED}"
    return None, f"np.sum({spread})" if kinds[1] == SCALAR else f"unbroadcast({spread}, value)"


ADJOINTS_BY_KIND[np.full_like] = _fill_adjoints
# func -> (kinds -> a tangent template for those kinds, or None for the rule's; ValueError where none is right)
TANGENTS_BY_KIND = {np.full_like: lambda kinds: None if _fill_known(kinds) else f"np.full_like(x, d_value) * {_FILLED}"}
array_rule(list, "x", ("np.array(dout)",), linear=(0,), kind=lambda kinds, args: OTHER)
array_rule(tuple, "x", ("np.array(dout)",), linear=(0,), kind=lambda kinds, args: OTHER)  # (of an array: its rows)
_spell(np.broadcast_to, "np.broadcast_to")
array_rule(np.broadcast_to, "x, shape", ("unbroadcast(dout, x)", None), linear=(0,), kind=_unknown)
array_rule(array_runtime.expand_to, "dout, x, axis, keepdims",
           ("np.sum(dout, axis=axis, keepdims=keepdims)", None, None, None), linear=(0,),
           kind=lambda kinds, args: kinds[1], constant=("x",))
array_rule(array_runtime.unbroadcast, "term, x", ("np.broadcast_to(dout, np.shape(term))", None), linear=(0,),
           kind=lambda kinds, args: kinds[1], constant=("x",))
for _reads in range(1, SCATTERED_READS + 1):  # scatter_add(d0, x, i0, d1, i1, ...): one term per read of x
    _later = [f"d{n}, i{n}" for n in range(1, _reads)]
    array_rule(array_runtime.scatter_add, ", ".join(["d0, x, i0"] + _later),
               ("dout[i0]", None, None) + sum(((f"dout[i{n}]", None) for n in range(1, _reads)), ()),
               tangent=f"scatter_add({', '.join(['d_d0, x, i0'] + ['d_' + p for p in _later])})",
               kind=lambda kinds, args: kinds[1], constant=("x",))
array_rule(array_runtime.split_like, "whole, parts, axis", ("join_like(dout, parts, axis)", None, None), linear=(0,),
           kind=lambda kinds, args: OTHER, constant=("parts",))
array_rule(array_runtime.join_like, "pieces, parts, axis", ("split_like(dout, parts, axis)", None, None), linear=(0,),
           kind=_unknown, constant=("parts",))
array_rule(np.moveaxis, "x, source, destination", ("np.moveaxis(dout, destination, source)", None, None), linear=(0,),
           kind=_unknown)
nondifferentiable(array_runtime.extreme_weights, 4)
# The adjoints of `@` where the ranks are not known before run time: bilinear in dout and the other
# operand (their tangent, for Hessian-vector products); reverse mode over them is refused.
array_rule(array_runtime.matmul_adjoint_a, "g, a, b", ("dout", None, "dout"), linear=(0, 2),  # (placeholders:
           kind=lambda kinds, args: kinds[1], constant=("a",))                                 # never used)
array_rule(array_runtime.matmul_adjoint_b, "g, a, b", ("dout", "dout", None), linear=(0, 1),
           kind=lambda kinds, args: kinds[2], constant=("b",))


def _no_reverse_over(kinds):
    raise ValueError("reverse mode over the gradient of `@` of operands whose ranks were not known is not "
                     "supported; use transpile.jvp(transpile.grad(f), ...) for Hessian-vector products")


ADJOINTS_BY_KIND[array_runtime.matmul_adjoint_a] = ADJOINTS_BY_KIND[array_runtime.matmul_adjoint_b] = _no_reverse_over
array_rule(array_runtime.as_dtype_of, "value, x", ("as_dtype_of(dout, value)", None), linear=(0,),
           kind=lambda kinds, args: kinds[1], constant=("x",))
nondifferentiable(slice, 3)  # (its kind is OTHER: `result_kind`)
array_rule(array_runtime.scalar_output, "x", ("dout",), linear=(0,), kind=lambda kinds, args: SCALAR)
rules.CHECKS.add(array_runtime.scalar_output)

# Arguments after the first that NumPy calls usually take by keyword, with their defaults: the
# normalizer passes them by position so every call in the normalized body is `f(ATOM, ...)`.
SIGNATURES = {np.sum: ("axis", "keepdims"), np.mean: ("axis", "keepdims"), np.prod: ("axis", "keepdims"),
              np.max: ("axis", "keepdims"), np.min: ("axis", "keepdims"), np.var: ("axis", "keepdims"),
              np.std: ("axis", "keepdims"), np.cumsum: ("axis",), np.linalg.norm: ("ord", "axis", "keepdims"),
              np.trace: ("offset",),
              np.expand_dims: ("axis",),
              np.squeeze: ("axis",), np.reshape: ("shape",), np.stack: ("axis",), np.concatenate: ("axis",),
              np.linspace: ("stop", "num"), np.geomspace: ("stop", "num"), np.logspace: ("stop", "num")}
DEFAULTS = {"axis": None, "keepdims": False, "ord": None, "offset": 0, (np.stack, "axis"): 0,
            (np.concatenate, "axis"): 0, "num": 50}
# Arguments whose other values have no rule: (values allowed, what to say otherwise).
ONLY = {(np.linalg.norm, "ord"): ((None,), "np.linalg.norm is differentiated for ord=None (the 2-norm of a vector, "
                                          "Frobenius of a matrix); leave out ord, or write the norm out."),
        (np.trace, "offset"): ((0,), "np.trace is differentiated for the main diagonal (offset 0); sum the other "
                                     "diagonal's elements instead.")}
REDUCTIONS = {np.sum, np.mean, np.prod, np.max, np.min, np.var, np.std}  # (x, axis, keepdims), keepdims by keyword only
# Attributes of arrays, as the functions that compute them.
ATTRIBUTES = {"T": np.transpose, "shape": np.shape, "ndim": np.ndim, "size": np.size}
COUNTS = {np.shape, np.ndim, np.size}  # like len: no derivative, and no rule needed
# Methods of arrays, as the functions they call.
METHODS = {"sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.max, "min": np.min, "var": np.var,
           "std": np.std, "cumsum": np.cumsum, "trace": np.trace, "reshape": np.reshape,
           "transpose": np.transpose, "dot": np.dot, "squeeze": np.squeeze, "copy": np.copy}


def result_kind(func, kinds, args):
    """The kind `func` returns for arguments of `kinds` (elementwise: broadcasting)."""
    rule = rules.rule_for(func, len(args))
    if rule is not None and rule.kind is not None:
        return rule.kind(kinds, args)
    if func is rules.CALLABLES.get("len") or func in (len, int, round, bool, np.size, np.ndim):
        return SCALAR
    if func in (tuple, dict):  # (list: its rule)
        return OTHER
    if func is np.shape or func is slice:
        return OTHER  # a tuple of ints (its elements are numbers: `shapes.infer`), a slice
    if func is sum:  # of a list, or of an array along its first axis
        x = kinds[0] if kinds else None
        return (SCALAR if x.ndim == 1 else Array(x.ndim - 1, frozenset(a - 1 for a in x.ones if a), x.dtype,
                                                 frozenset((a - 1, n) for a, n in x.maybe if a))) \
            if isinstance(x, Array) and x.ndim >= 1 else None
    if func in (np.zeros_like, np.ones_like) and len(kinds) == 1 and isinstance(kinds[0], Array):
        return kinds[0]
    if func in NUMPY_CONSTRUCTORS:
        return SOME_ARRAY
    if func is array_runtime.extreme_weights:  # (1 or 0 where x is, or is not, extreme: x's kind)
        return kinds[0] if isinstance(kinds[0], Array) else None
    kind = broadcast(kinds)
    dtype = _elementwise_dtype(func, kinds, args) if isinstance(kind, Array) and kind != SOME_ARRAY else None
    return Array(kind.ndim, kind.ones, dtype, kind.maybe) if dtype else kind


def _elementwise_dtype(func, kinds, args):
    """The dtype NumPy gives `func` (a ufunc or an operator) of operands of `kinds`, found by
    applying it to one-element samples: a comparison gives bools, `mask + mask` too, and an int
    array times a float constant floats.  None where it cannot tell."""
    if not (isinstance(func, np.ufunc) or getattr(func, "__module__", None) in ("_operator", "operator")):
        return None
    samples = []
    for kind, arg in zip(kinds, args):
        if isinstance(kind, Array):
            samples.append(np.ones(1, dtype=kind.dtype))
        elif isinstance(arg, ast.Constant) and isinstance(arg.value, (int, float, np.number)):
            samples.append(arg.value)
        elif kind == SCALAR:
            samples.append(1.0)  # (a number in differentiated code is a float)
        else:
            return None
    try:
        with np.errstate(all="ignore"):
            return np.asarray(func(*samples)).dtype.char
    except Exception:  # (bool - bool, say: the code raises what NumPy raises)
        return None

# Every callable this module gave a rule (the scalar rule tests leave these to tests/test_numpy.py).
NUMPY_FUNCTIONS = {func for func, _ in rules.RULES if rules.SPELLING.get(func, "").startswith("np.")} | {
    operator.matmul, list, tuple, slice} | {getattr(array_runtime, name) for name in array_runtime.__all__}
