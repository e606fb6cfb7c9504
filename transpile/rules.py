"""The derivative table: one line per primitive, shared by every mode.

Each entry stores the *partial derivatives* of a primitive with respect to each
of its arguments, written as Python expressions over the argument names and
`out` (the primitive's result).  Reverse mode accumulates `bx += partial * bout`,
forward mode sums `dout = sum(partial * dx)`; both are derived from this table,
so the two modes cannot drift apart.

To add a primitive::

    partials(math.cbrt, "x", "out / (3 * x)")

Write a negative partial as `-(...)`: the sweep then subtracts instead of
adding a negation.  A partial written as `None` means "constant in this argument" (the
gradient there is zero, e.g. the `condition` of `np.where`).  `nondifferentiable(...)`
declares whole functions whose gradient is zero everywhere it exists.  An array rule's `None`
adjoint is no such promise: unless the position is named in `constant` (read only for its
shape or dtype, or piecewise constant), a differentiated value reaching it is refused
(`partials.active_names`), so no derivative is dropped silently.
"""

import ast
import builtins
import math
import operator
from dataclasses import dataclass

from . import runtime
from .errors import TranspileError


@dataclass(frozen=True)
class Rule:
    """An elementwise rule has `partials`; an array operation (a reduction, `@`, a reshape) has
    `adjoints` (templates over the parameters, `out` and `dout`, one per parameter) instead and
    either `linear` (the positions it is linear in: its tangent is itself applied to the
    tangents) or a `tangent` template (over the parameters, `out` and `d_<param>`)."""

    func: object
    params: tuple  # argument names the templates use
    partials: tuple = None  # one ast.expr (or None for zero) per parameter
    adjoints: tuple = None
    linear: tuple = ()
    tangent: object = None
    kind: object = None  # (argument kinds, argument atoms) -> result kind, for array operations
    constant: tuple = ()  # positions whose zero derivative is the true one (shapes, dtypes, piecewise constant)

    @property
    def differentiable(self):
        return any(p is not None for p in (self.partials or self.adjoints or ()))

    @property
    def elementwise(self):
        return self.partials is not None


RULES = {}  # (callable, number of arguments) -> Rule
_generation = [0]  # bumped by every registration, so caches can tell the table changed
# How generated code spells each callable: math functions keep their module,
# builtins their bare name; operators are written as operators.
SPELLING = {}
for _name, _obj in vars(math).items():
    if callable(_obj):
        SPELLING[_obj] = f"math.{_name}"
for _obj in (abs, min, max, float, int, round, bool, pow):
    SPELLING[_obj] = _obj.__name__
# Builtins of lists, tuples and dicts: the normalizer rewrites zip, enumerate and dict(...) into
# loops, element reads and literals; the sweeps differentiate `sum` and know `len` is a count.
STRUCTURAL = {sum, len, zip, enumerate, dict, range, reversed, tuple}  # (and list: `numpy_rules`)
for _obj in STRUCTURAL:
    SPELLING[_obj] = _obj.__name__
# The helpers generated code calls on adjoints of structures (so it can be differentiated again):
# each is linear in the arguments at these positions, so its tangent is itself applied to theirs.
LINEAR_HELPERS = {runtime.zeros_like: (), runtime.add_into: (0, 1), runtime.add_at: (0, 2),
                  runtime.add_each: (0, 1), runtime.as_gradient: (0,)}
CHECKS = set()  # calls that check a value and return it: never moved, merged or dropped
for _obj in LINEAR_HELPERS:
    SPELLING[_obj] = _obj.__name__
SPELLING[runtime.dict_only] = "dict_only"
CALLABLES = {spelling: func for func, spelling in SPELLING.items()}  # the inverse
EXTERNALS = {}  # spelling -> user function with a registered rule; bound into generated modules



def _template(text, params, namespace=None):
    """Parse a partial: it may read the parameters, `out`, `math.*` and callables with rules.

    With a `namespace` (the registering module's globals), a called name means
    the object it names there, spelled as generated code calls it; without
    one, names must already be spellings (`abs`, registered functions).
    """
    if text is None:
        return None
    try:
        tree = ast.parse(str(text).strip(), mode="eval").body
    except SyntaxError as exc:
        raise TranspileError(f"derivative template {text!r} is not a Python expression: {exc.msg}") from None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Name) or node.id in params or node.id in ("math", "np", "out", "dout"):
            continue
        if namespace is not None:
            target = namespace.get(node.id, vars(builtins).get(node.id))
            if spelling(target) is not None and "." not in spelling(target):
                node.id = spelling(target)
                continue
        elif node.id in CALLABLES:
            continue
        raise TranspileError(f"derivative template {text!r} uses {node.id!r}, which is neither a parameter, "
                             "`out`, a math function nor a function with a registered rule")
    return tree


def spelling(value):
    """How generated code calls `value`, or None if it has no spelling (or is unhashable)."""
    try:
        return SPELLING.get(value)
    except TypeError:
        return None


def _parameters(params):
    names = tuple(p.strip() for p in str(params).split(","))
    if not all(n.isidentifier() and n not in ("out", "math") for n in names):
        raise TranspileError(f"parameters {params!r}: give names separated by commas, e.g. \"x, y\" "
                             "(not 'out' or 'math')")
    return names


def partials(func, params, *derivatives, namespace=None):
    """Register the partial derivatives of `func` called with `params` (one line of the table)."""
    names = _parameters(params)
    if len(names) != len(derivatives):
        raise TranspileError(f"rule for {func!r}: {len(names)} parameters but {len(derivatives)} partials")
    RULES[func, len(names)] = Rule(func, names, tuple(_template(d, names, namespace) for d in derivatives),
                                   constant=tuple(i for i, d in enumerate(derivatives) if d is None))
    _generation[0] += 1


# Parameters that hold ints, bools or index tuples (axes, shapes, counts, indices): their derivative is
# truly zero, even where the value is one of the differentiated arguments (`jvp` takes every argument,
# integer indices too).  An array rule's parameter of these names is constant.
COUNT_PARAMETERS = frozenset({"axis", "keepdims", "shape", "index", "offset", "ord", "axes", "source",
                              "destination", "spec", "num"} | {f"i{n}" for n in range(16)})


def array_rule(func, params, adjoints, linear=(), tangent=None, kind=None, constant=()):
    """Register an array operation: `adjoints` (one template per parameter over the parameters,
    `out` and `dout`, None where there is no gradient); the tangent is the operation applied to
    the tangents of the `linear` positions, or the `tangent` template (over `d_<param>` too).
    `constant` names the parameters with no adjoint whose zero derivative is the true one (read
    for their shape or dtype only; those in COUNT_PARAMETERS are so anyway); a differentiated value
    reaching any other parameter without an adjoint is refused rather than dropped."""
    names = _parameters(params)
    tangent_names = names + tuple("d_" + n for n in names)
    if tangent is None and any(a is not None and i not in linear for i, a in enumerate(adjoints)):
        raise TranspileError(f"rule for {func!r}: a parameter with an adjoint is neither linear nor in a tangent "
                             "template, so forward mode would drop its tangent")
    RULES[func, len(names)] = Rule(func, names, adjoints=tuple(_template(a, names) for a in adjoints),
                                   linear=tuple(linear), tangent=_template(tangent, tangent_names), kind=kind,
                                   constant=tuple(i for i, n in enumerate(names)
                                                  if n in constant or (n in COUNT_PARAMETERS and adjoints[i] is None)))
    _generation[0] += 1


def defpartials(func, params=None, *derivatives):
    """Give a function of your own a derivative rule: transpile then calls it instead of reading it.

    `params` names its positional parameters ("x, y"); each derivative is a
    Python expression over them, `out` (the function's result), `math.*` and
    functions with rules (looked up where `func` is defined).  `None` means
    zero.  The function must take and return numbers.  Also a decorator:
    `@defpartials("x", "out * (1 - out)")`.  Generated code calls the
    function by name; the loader binds that name.  Raises TranspileError.
    """
    if isinstance(func, str):  # decorator form: defpartials("x", "...")
        return lambda f: defpartials(f, func, *((params,) + derivatives if params is not None else derivatives))
    import inspect
    import types

    if not isinstance(func, types.FunctionType) or not func.__name__.isidentifier():
        raise TranspileError(f"defpartials: {func!r} is not a function defined with def; rules are for those.")
    names = _parameters(params)
    positional = [p.name for p in inspect.signature(func).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(names) != len(positional):
        raise TranspileError(f"defpartials: {func.__name__} takes {len(positional)} positional parameters "
                             f"({', '.join(positional)}), the rule names {len(names)}.")
    new = func not in SPELLING
    if new:
        name, count = func.__name__, 1
        while name in CALLABLES or name in dir(builtins) or name == "math":
            count += 1
            name = f"{func.__name__}_{count}"
        SPELLING[func] = name
        CALLABLES[name] = EXTERNALS[name] = func
    try:
        partials(func, params, *derivatives, namespace=func.__globals__)
    except TranspileError:  # leave no half-registered function behind
        if new:
            del CALLABLES[SPELLING[func]], EXTERNALS[SPELLING[func]], SPELLING[func]
        raise
    return func


def nondifferentiable(func, *arities):
    """Declare `func` piecewise constant: its gradient is zero where it exists."""
    for arity in arities:
        names = tuple(f"x{i}" for i in range(arity))
        RULES[func, arity] = Rule(func, names, (None,) * arity, constant=tuple(range(arity)))
    _generation[0] += 1


TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)

# Operators (the normalizer maps `a + b` to operator.add and so on).
partials(operator.add, "x, y", "1", "1")
partials(operator.sub, "x, y", "1", "-1")
partials(operator.mul, "x, y", "y", "x")
partials(operator.truediv, "x, y", "1 / y", "-(out / y)")
# d(x ** y)/dy at x = 0 is 0 (for y > 0, as JAX has it), not 0 * log(0)
partials(operator.pow, "x, y", "y * x ** (y - 1)", "out * math.log(x if x else 1.0)")
partials(operator.mod, "x, y", "1", "-((x - out) / y)")  # x % y == x - floor(x / y) * y
partials(operator.neg, "x", "-1")
partials(operator.pos, "x", "1")
# Builtins.
partials(abs, "x", "(x > 0) - (x < 0)")  # sign(x): 0 at the kink, like NumPy's sign
partials(max, "x, y", "(x > y) + 0.5 * (x == y)", "(y > x) + 0.5 * (x == y)")  # ties split evenly
partials(min, "x, y", "(x < y) + 0.5 * (x == y)", "(y < x) + 0.5 * (x == y)")
partials(float, "x", "1")
partials(pow, "x, y", "y * x ** (y - 1)", "out * math.log(x if x else 1.0)")
# math.
partials(math.sin, "x", "math.cos(x)")
partials(math.cos, "x", "-math.sin(x)")
partials(math.tan, "x", "1 + out * out")
partials(math.asin, "x", "1 / math.sqrt(1 - x * x)")
partials(math.acos, "x", "-(1 / math.sqrt(1 - x * x))")
partials(math.atan, "x", "1 / (1 + x * x)")
partials(math.atan2, "y, x", "x / (x * x + y * y)", "-(y / (x * x + y * y))")
partials(math.sinh, "x", "math.cosh(x)")
partials(math.cosh, "x", "math.sinh(x)")
partials(math.tanh, "x", "1 - out * out")
partials(math.asinh, "x", "1 / math.sqrt(x * x + 1)")
partials(math.acosh, "x", "1 / math.sqrt(x * x - 1)")
partials(math.atanh, "x", "1 / (1 - x * x)")
partials(math.exp, "x", "out")
partials(math.expm1, "x", "out + 1")
partials(math.log, "x", "1 / x")
partials(math.log, "x, base", "1 / (x * math.log(base))", "-(out / (base * math.log(base)))")
partials(math.log1p, "x", "1 / (1 + x)")
partials(math.log2, "x", "1 / (x * math.log(2))")
partials(math.log10, "x", "1 / (x * math.log(10))")
partials(math.sqrt, "x", "0.5 / out")
partials(math.pow, "x, y", "y * math.pow(x, y - 1)", "out * math.log(x if x else 1.0)")
partials(math.hypot, "x, y", "x / out", "y / out")
partials(math.erf, "x", f"{TWO_OVER_SQRT_PI!r} * math.exp(-x * x)")
partials(math.erfc, "x", f"-({TWO_OVER_SQRT_PI!r} * math.exp(-x * x))")
partials(math.fabs, "x", "(x > 0) - (x < 0)")
partials(math.copysign, "x, y", "math.copysign(1.0, x) * math.copysign(1.0, y)", None)
partials(math.degrees, "x", repr(180 / math.pi))
partials(math.radians, "x", repr(math.pi / 180))
if hasattr(math, "cbrt"):  # Python 3.11+
    partials(math.cbrt, "x", "out / (3.0 * x)")
    partials(math.exp2, "x", "out * math.log(2.0)")
# Piecewise constant: zero gradient, declared rather than skipped.
nondifferentiable(math.floor, 1)
nondifferentiable(math.ceil, 1)
nondifferentiable(math.trunc, 1)
nondifferentiable(round, 1, 2)
nondifferentiable(int, 1)
nondifferentiable(bool, 1)
for _compare in (operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne):
    nondifferentiable(_compare, 2)
nondifferentiable(operator.not_, 1)
nondifferentiable(operator.floordiv, 2)
nondifferentiable(runtime.dict_only, 1)  # (a check: its value is True)
CHECKS.add(runtime.dict_only)

# Module constants a function may read (`math.pi`, `from math import e`).
CONSTANTS = {f"math.{n}": v for n, v in vars(math).items() if isinstance(v, float)}


def fingerprint():
    """A digest of the whole table (rules registered at run time included)."""
    if _fingerprint_cache.get("generation") != _generation[0]:
        import hashlib

        text = "\n".join(sorted(f"{SPELLING.get(r.func, getattr(r.func, '__qualname__', r.func))}/{arity}: "
                                + ", ".join("-" if p is None else ast.unparse(p)
                                            for p in (r.partials or r.adjoints)) + f" {r.linear}"
                                + ("" if r.tangent is None else ast.unparse(r.tangent))
                                for (_, arity), r in RULES.items()))
        _fingerprint_cache.update(generation=_generation[0], digest=hashlib.sha256(text.encode()).hexdigest())
    return _fingerprint_cache["digest"]


_fingerprint_cache = {}


def generation():
    """A number that changes whenever a rule is registered."""
    return _generation[0]


def rule_for(func, arity):
    """The Rule for `func` called with `arity` arguments, or None."""
    try:
        return RULES.get((func, arity))
    except TypeError:  # unhashable callable
        return None


def has_rule(func):
    try:
        return any(f is func for f, _ in RULES)
    except TypeError:
        return False


from . import numpy_rules  # noqa: E402,F401  (registers NumPy's functions in the same table)
