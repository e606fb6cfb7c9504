"""Deterministic, readable names for everything the transpiler invents.

Temporaries are named after the expression they hold (`sin_x`, `x_times_y`),
adjoints and tangents after their variable (`dx`), new versions of a
rebound variable after the variable (`x_1`).  A counter suffix is the last
resort; nothing is random, so the same input always gives the same code.
"""

import ast
import builtins
import keyword
import operator

from . import array_runtime, ir, rules, runtime

MAX_LENGTH = 20
# Never shadow what generated code calls: builtins (`pow`, `min`), module roots, structure helpers.
RESERVED = frozenset(dir(builtins)) | {"math", "np", "numpy"} | set(runtime.__all__) | set(array_runtime.__all__)
_WORDS = {
    operator.add: "plus", operator.sub: "minus", operator.mul: "times",
    operator.truediv: "over", operator.pow: "pow", operator.mod: "mod",
    operator.floordiv: "div", operator.lt: "lt", operator.le: "le",
    operator.gt: "gt", operator.ge: "ge", operator.eq: "eq", operator.ne: "ne",
}
_PREFIXES = {operator.neg: "neg", operator.pos: "pos", operator.not_: "not"}
_SHORT = {operator.add: "total", operator.sub: "diff", operator.mul: "prod", operator.truediv: "ratio",
          operator.pow: "power", operator.neg: "neg"}  # when the descriptive name is too long


def _atom_word(node):
    if isinstance(node, ast.Name):
        return node.id
    value = node.value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("-", "m").replace(".", "_")
    return text if text.isidentifier() or text.replace("_", "").isalnum() else "c"


def describe(rhs):
    """A name suggestion for a normalized right-hand side."""
    if isinstance(rhs, ast.Subscript) and not ir.is_atom(rhs.slice):
        return f"{_atom_word(rhs.value)}_part" if isinstance(rhs.value, ast.Name) else "part"
    if isinstance(rhs, ast.Subscript):  # params["w"]: params_w; xs[i]: xs_i; xs[-1]: xs_m1
        index = rhs.slice
        word = index.value if isinstance(index, ast.Constant) and isinstance(index.value, str) else _atom_word(index)
        text = f"{_atom_word(rhs.value)}_{word}"
        return text if text.isidentifier() and len(text) <= MAX_LENGTH and text not in RESERVED else "element"
    func, args = ir.operation(rhs)
    if func is operator.mul and isinstance(args[0], ast.Constant):
        args = args[::-1]  # `t_times_2`: a name may not start with the digit
    words = [_atom_word(a) for a in args]
    if func in _WORDS and len(words) == 2:
        if func is operator.pow and words[1] == "2":
            text = f"{words[0]}_squared"
        else:
            text = f"{words[0]}_{_WORDS[func]}_{words[1]}"
    elif func in _PREFIXES:
        text = f"{_PREFIXES[func]}_{words[0]}"
    elif isinstance(rhs, ast.Call):
        text = "_".join([ast.unparse(rhs.func).rsplit(".", 1)[-1]] + words)
    else:
        text = "t"
    if len(text) > MAX_LENGTH or not text.isidentifier():
        text = _SHORT.get(func) or (text.split("_")[0] if isinstance(rhs, ast.Call) else "t")
    if text in RESERVED or keyword.iskeyword(text):
        text += "_value"
    if text[0].isdigit():
        text = "c" + text
    return text


def derivative_name(var, namer, direction=None):
    """`dx` for the user's `x`, `d_sin_x` for a temporary (not `dsin_x`, read as d(sin) * x);
    `dx_dy` for the derivative along a named direction."""
    base = ("d_" if var in namer.temporaries else "d") + var
    return base if direction is None else f"{base}_d{direction}"


class Namer:
    """Hands out names that collide neither with each other nor with `taken`."""

    def __init__(self, taken=()):
        self.used = set(taken)
        self.temporaries = set()  # names the user never wrote
        self.base_of = {}  # name -> the base it was derived from
        self.described = set()  # temporaries named after their expression
        self.counters = {}  # base -> the last counter tried (so n names of one base cost O(n), not O(n^2))

    def fresh(self, base, temporary=False):
        base = base if base.isidentifier() and not keyword.iskeyword(base) else "t"
        candidate, counter = base, self.counters.get(base, 0)
        while candidate in self.used or keyword.iskeyword(candidate) or candidate in RESERVED \
                or candidate in rules.EXTERNALS:
            counter += 1
            candidate = f"{base}_{counter}"
        self.counters[base] = counter
        self.used.add(candidate)
        self.base_of[candidate] = base
        if temporary:
            self.temporaries.add(candidate)
        return candidate

    def temporary(self, rhs):
        name = self.fresh(describe(rhs), temporary=True)
        self.described.add(name)
        return name
