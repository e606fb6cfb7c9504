"""A differential fuzzer over the whole supported language: one program generator, its oracles.

`make(family, seed)` draws one `Program` (a module's source whose entry is `f`, and the
arguments to call it with) from `random.Random(seed)`, so a program is named by its family and
seed alone. `check(program, directory)` writes it to a file (transpile reads source through
`inspect`), runs every oracle and returns a `Result`:

* **value**: the value `value_and_grad` and `jvp` return is bit-equal to `f(...)`: same type,
  dtype and shape, signed zeros and NaNs included;
* **modes**: `grad` agrees with `value_and_grad`'s gradient, with `optimize=False`, and (along a
  random direction) with `jvp`; gradients have their argument's structure and dtype;
* **differences**: the directional derivative agrees with Richardson-extrapolated central
  differences; a point where two step sizes disagree (a branch boundary, a kink of abs/max,
  a jump of floor) or the value is huge is skipped, not failed;
* **second order**: Hessian-vector products `jvp(grad(f))` agree with Richardson differences of
  the gradient; `tp.hessian` (numbers only) is symmetric and agrees with them;
* **determinism** (batched, `determinism(programs)`): the generated sources are byte-identical
  under two `PYTHONHASHSEED`s, one subprocess per seed for many programs.

A deliberate `TranspileError` is a refusal, counted apart (`status == "refused"`); families
whose programs write into views may be refused (`Program.may_refuse`); a wrong number never
passes. Any other exception is a finding (`status == "raw"`).

tests/test_fuzz.py runs a fixed sample of every family; bench/fuzz.py is the soak.
"""

import copy
import hashlib
import json
import math
import os
import random
import re
import struct
import subprocess
import sys
from dataclasses import dataclass, field

import numpy as np

from .test_properties import Generator as StraightLine

FAMILIES = ("scalar", "branches", "loops", "structures", "helpers", "numpy", "carried", "views", "shapes", "ieee")
LIMIT = 1e6  # values or derivatives beyond this make the differences too inexact to compare


@dataclass
class Program:
    family: str
    seed: int
    source: str  # a module; the function under test is `f`
    args: tuple  # the arguments; copied for every call (f may write into its arrays)
    wrt: tuple  # the positions differentiated (floats, arrays, lists, tuples, dicts)
    aliases: tuple = ()  # (position, other position, index source): args[position] = args[other][index]
    may_refuse: bool = False  # a TranspileError is an accepted answer (writes into views and aliases)
    value_only: bool = False  # aliased arguments: only the value oracle has a meaning
    hessian: bool = False  # every wrt argument is a float: tp.hessian applies

    def make_args(self):
        args = list(copy.deepcopy(self.args))
        for position, other, index in self.aliases:
            args[position] = eval(f"args[{other}]{index}", {"args": args})  # noqa: S307 - our own index text
        return tuple(args)

    def reproduction(self):
        """The program and its arguments as a script that runs the failing call."""
        args = ", ".join(_literal(a) for a in self.args)
        lines = [f"# family {self.family}, seed {self.seed}: python bench/fuzz.py --family {self.family} "
                 f"--replay {self.seed}", self.source, "",
                 "if __name__ == '__main__':", "    import numpy as np", "    import transpile as tp",
                 f"    args = [{args}]"]
        for position, other, index in self.aliases:
            lines.append(f"    args[{position}] = args[{other}]{index}")
        lines += ["    print(f(*args))", f"    print(tp.value_and_grad(f, wrt={self.wrt!r})(*args))"]
        return "\n".join(lines) + "\n"


def _literal(value):
    if isinstance(value, np.ndarray):
        return f"np.array({value.tolist()!r}, dtype=np.{value.dtype})"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_literal(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"float('{value}')"
    return repr(value)


# --- the generator -------------------------------------------------------------------------------

class Draw:
    """Choices from one seeded RNG (never from a set or dict order: a program is its seed)."""

    def __init__(self, seed):
        self.rng = random.Random(seed)

    def choose(self, seq):
        return self.rng.choice(list(seq))

    def integer(self, lo, hi):
        return self.rng.randint(lo, hi)

    def chance(self, p):
        return self.rng.random() < p

    def uniform(self, lo, hi):
        return self.rng.uniform(lo, hi)

    def array(self, shape, lo=0.2, hi=1.2):
        return np.array([self.uniform(lo, hi) for _ in range(int(np.prod(shape)))]).reshape(shape)


# Smooth templates over two scalars, bounded growth (the values of loops stay moderate).
SMOOTH = ["{a} * {b}", "{a} + 0.5 * {b}", "{a} - {b}", "math.sin({a}) * {b}", "math.tanh({a} - {b})",
          "{a} / (1.0 + {b} * {b})", "0.9 * {a} + 0.1 * math.cos({b})", "math.exp(-{a} * {a}) * {b}",
          "math.sqrt(1.0 + {a} * {a}) - 0.5 * {b}", "math.atan2({a}, 1.5 + {b} * {b})", "{a} ** 2 - 0.3 * {b}",
          "math.log(1.0 + {a} * {a}) * {b}", "max({a}, {b}) * 0.8", "abs({a} - {b})", "min({a}, 0.5 * {b})"]
CONDITIONS = ["{a} > {b}", "{a} > 0.4", "{a} < 0.7", "{a} >= {b} * 0.5", "{a} > 0.3 and {b} < 0.9",
              "{a} < 0.2 or {b} > 0.6", "0.1 < {a} < 0.8", "not {a} > 0.5"]


class Scalars:
    """Statements over float variables: assignments, branches, loops, jumps, nested to `depth`."""

    def __init__(self, draw, variables, loops=True, calls=()):
        self.d, self.variables, self.loops, self.calls = draw, list(variables), loops, list(calls)
        self.counter = 0

    def expression(self, extra=()):
        pool = self.variables + list(extra)
        if self.calls and self.d.chance(0.3):
            call = self.d.choose(self.calls)
            return call.format(a=self.d.choose(pool), b=self.d.choose(pool))
        return self.d.choose(SMOOTH).format(a=self.d.choose(pool), b=self.d.choose(pool))

    def condition(self):
        return self.d.choose(CONDITIONS).format(a=self.d.choose(self.variables), b=self.d.choose(self.variables))

    def block(self, depth, pad, in_loop=False, ints=(), count=None, kinds=None):
        """Statements at nesting `depth`; in_loop: True (jumps allowed), "reversed" (no jumps:
        a jump out of a reversed loop is a documented refusal) or False."""
        lines = []
        for _ in range(self.d.integer(1, 3 if depth == 0 else 2) if count is None else count):
            choices = kinds or (["assign", "assign", "aug", "ifexp"] + (["if"] if depth < 2 else [])
                                + (["for", "while", "nest3", "siblings"] if self.loops and depth < 1 else [])
                                + (["for", "while"] if self.loops and depth == 1 else [])
                                + (["jump"] if in_loop is True else []))
            lines += self.statement(self.d.choose(choices), depth, pad, in_loop, ints)
        return lines

    def statement(self, kind, depth, pad, in_loop, ints):
        d = self.d
        target = d.choose(self.variables)
        ints = list(ints)
        if kind == "assign":
            use = [f"{i} * 0.1" for i in ints]
            return [f"{pad}{target} = {self.expression(use)}"]
        if kind == "aug":
            return [f"{pad}{target} {d.choose(['+=', '-=', '*='])} {d.choose(['0.5', '0.9'])} * {self.expression()}"]
        if kind == "ifexp":
            return [f"{pad}{target} = {self.expression()} if {self.condition()} else {self.expression()}"]
        if kind == "if":
            lines = [f"{pad}if {self.condition()}:", *self.block(depth + 1, pad + "    ", in_loop, ints)]
            if d.chance(0.3):
                lines += [f"{pad}elif {self.condition()}:", *self.block(depth + 1, pad + "    ", in_loop, ints)]
            if d.chance(0.7):
                lines += [f"{pad}else:", *self.block(depth + 1, pad + "    ", in_loop, ints)]
            if not in_loop and d.chance(0.15):  # an early return from one path
                lines[1:1] = [f"{pad}    if {self.condition()}:", f"{pad}        return {self.expression()}"]
            return lines
        self.counter += 1
        name = f"i{self.counter}"
        bound = d.choose(["n", "n", "2", "n + 1", "3"])
        if kind == "for":
            backwards = d.chance(0.25)
            header = f"for {name} in reversed(range({bound})):" if backwards else \
                d.choose([f"for {name} in range({bound}):", f"for {name} in range(1, {bound}):"])
            return [f"{pad}{header}",
                    *self.block(depth + 1, pad + "    ", "reversed" if backwards or in_loop == "reversed" else True,
                                ints + [name])]
        if kind == "while":
            inner = "reversed" if in_loop == "reversed" else True
            if d.chance(0.5):
                return [f"{pad}{name} = 0", f"{pad}while {name} < {bound}:", f"{pad}    {name} = {name} + 1",
                        *self.block(depth + 1, pad + "    ", inner, ints + [name])]
            # data-dependent, with a cap on the passes
            v = d.choose(self.variables)
            return [f"{pad}{name} = 0", f"{pad}while {v} < 2.0 and {name} < 4:", f"{pad}    {name} = {name} + 1",
                    f"{pad}    {v} = {v} + 0.3 + 0.1 * {self.expression()} ** 2",
                    *self.block(depth + 1, pad + "    ", inner, ints + [name])]
        if kind == "nest3":  # three levels, each with its own work
            names = [name, name + "j", name + "k"]
            lines, inner = [], pad
            for level, loop_name in enumerate(names):
                lines.append(f"{inner}for {loop_name} in range({d.choose(['n', '2'])}):")
                inner += "    "
                lines += self.block(depth + 3, inner, True, ints + names[:level + 1], count=1, kinds=["assign", "aug"])
            return lines
        if kind == "siblings":  # two loops inside one loop
            return [f"{pad}for {name} in range({bound}):",
                    *self.block(depth + 3, pad + "    ", True, ints + [name], count=1, kinds=["assign"]),
                    f"{pad}    for {name}a in range({d.choose(['n', '2'])}):",
                    *self.block(depth + 3, pad + "        ", True, ints + [name, name + "a"], count=1,
                                kinds=["assign", "aug"]),
                    f"{pad}    for {name}b in range({d.choose(['n', '2'])}):",
                    *self.block(depth + 3, pad + "        ", True, ints + [name, name + "b"], count=1,
                                kinds=["assign", "ifexp"])]
        if kind == "jump":
            jump = d.choose(["break", "continue", "return"])
            return [f"{pad}if {self.condition()}:",
                    f"{pad}    {jump} {self.expression() if jump == 'return' else ''}".rstrip()]
        raise ValueError(kind)


def _scalar_program(family, seed, d):
    program = StraightLine(d.choose, d.integer).program()
    source = program.source
    args = tuple(d.uniform(-2.0, 2.0) for _ in program.params)
    return Program(family, seed, source, args, tuple(range(len(args))), hessian=True)


def _branches(family, seed, d):
    gen = Scalars(d, ["x", "y", "z"], loops=False)
    body = ["    z = 0.25 * x"] + gen.block(0, "    ", count=d.integer(2, 4))
    if d.chance(0.3):
        body += ["    if flag:", f"        x = {gen.expression()}"]
    body.append(f"    return {gen.expression()}")
    source = "import math\n\n\ndef f(x, y, flag):\n" + "\n".join(body) + "\n"
    args = (d.uniform(0.05, 1.0), d.uniform(0.05, 1.0), d.choose([True, False, 0, 1]))
    return Program(family, seed, source, args, (0, 1), hessian=True)


def _loops(family, seed, d):
    gen = Scalars(d, ["x", "y", "z"])
    first = d.choose(["nest3", "siblings", "for", "while"])
    body = ["    z = 0.25"] + gen.statement(first, 0, "    ", False, ()) + gen.block(0, "    ", count=d.integer(0, 2))
    body.append(f"    return {gen.expression()}")
    source = "import math\n\n\ndef f(x, y, n):\n" + "\n".join(body) + "\n"
    args = (d.uniform(0.1, 1.0), d.uniform(0.1, 1.0), d.integer(0, 3))
    return Program(family, seed, source, args, (0, 1), hessian=True)


STRUCTURE_STATEMENTS = [
    "w = {e}", "z = xs[{i}] * d['a'] + t[{j}] * {e}", "ys.append({e})", "p = (w, xs[{i}])\n    w = p[0] * p[1] + 0.1",
    "q = {{'u': w, 'v': z}}\n    z = q['u'] + q['v'] * 0.5", "q = dict(u=w, v={e})\n    z = q['v'] - 0.5 * q['u']",
    "q = dict({{'u': {e}}})\n    z = q['u'] * 0.7", "pair = list((w, z))\n    w = pair[0] * pair[1]",
    "z = sum([v * {e} for v in xs])", "z = sum(v * v for v in xs) * 0.3",
    "a, b = t\n    w = a * w + b", "for v in xs:\n        w = 0.8 * w + 0.2 * math.sin(v * z)",
    "for v, u in zip(xs, t):\n        z = z + v * u", "for k, v in enumerate(xs):\n        ys.append(v * k * {e})",
    "for v in xs:\n        if v > 0.5:\n            ys.append(v * w)\n        else:\n            z = z + v",
    "nested = [[w, z], [xs[0], d['b']]]\n    z = nested[1][0] * nested[0][1] + nested[{j}][1]",
    "z = z + len(ys) * 0.1 * ys[-1]", "w = max(xs) * 0.5 + w" if False else "w = w + 0.5 * d['b'] * xs[-1]",
]


def _structures(family, seed, d):
    names = ["w", "z", "xs[0]", "xs[-1]", "d['a']", "d['b']", "t[0]", "t[1]"]
    lines = []
    for _ in range(d.integer(2, 6)):
        expression = d.choose(SMOOTH).format(a=d.choose(names), b=d.choose(names))
        lines.append("    " + d.choose(STRUCTURE_STATEMENTS).format(e=expression, i=d.integer(0, 2),
                                                                        j=d.integer(0, 1)))
    tail = d.choose(["w + z", "w * z + sum(ys) * 0.5", "sum(ys) * ys[-1] + w", "ys[0] * z + d['a']"])
    source = ("import math\n\n\ndef f(xs, d, t, w):\n    z = 0.25\n    ys = [w]\n" + "\n".join(lines)
              + f"\n    return {tail}\n")
    args = ([d.uniform(0.1, 1.0) for _ in range(3)], {"a": d.uniform(0.1, 1.0), "b": d.uniform(0.1, 1.0)},
            (d.uniform(0.1, 1.0), d.uniform(0.1, 1.0)), d.uniform(0.1, 1.0))
    return Program(family, seed, source, args, (0, 1, 2, 3))


HELPERS = '''

def h0(a, b):
    return {e0}


def h1(a, b=0.5):
    if a > b:
        return a * b + {e1}
    return a - b


def h2(a, n):
    s = a
    for i in range(n):
        s = 0.9 * s + 0.1 * math.sin(s * a)
    return s


def h3(a, b):
    return h0(a, b) * b + h1(b)
'''


def _helpers(family, seed, d):
    def smooth():
        return d.choose(SMOOTH).format(a=d.choose("ab"), b=d.choose("ab"))

    calls = ["h0({a}, {b})", "h1({a}, {b})", "h1({a})", "h2({a}, n)", "h3({a}, {b})", "inner({a})"]
    gen = Scalars(d, ["x", "y", "z"], calls=calls)
    body = ["    z = 0.25", f"    scale = {d.choose(['0.5', 'x', 'y * 0.3'])}", "", "    def inner(u):",
            "        return u * scale + 0.1", ""]
    body += gen.block(0, "    ", count=d.integer(1, 3))
    body.append(f"    return {gen.expression()}")
    source = ("import math\n" + HELPERS.format(e0=smooth(), e1=smooth())
              + "\n\ndef f(x, y, n):\n" + "\n".join(body) + "\n")
    args = (d.uniform(0.1, 1.0), d.uniform(0.1, 1.0), d.integer(0, 3))
    return Program(family, seed, source, args, (0, 1), hessian=True)


ELEMENTWISE = ["np.sin({a}) * {b}", "{a} * {b} + 0.5", "np.exp(-{a} * {a}) + {b}", "np.tanh({a} - {b})",
               "np.sqrt({a} * {a} + 1.0) / (1.0 + {b} * {b})", "np.maximum({a}, {b}) * 0.7",
               "np.log1p({a} * {a}) + np.cos({b})", "{a} / (2.0 + np.abs({b}))", "np.arctan({a}) * {b}",
               "np.square({a}) - {b}", "np.where({a} > {b}, {a} * {b}, {b} - 0.5)", "np.clip({a}, 0.3, 0.9) * {b}",
               "np.power(1.0 + {a} * {a}, 0.5) * {b}", "np.logaddexp({a}, {b})", "({a} - {b}) ** 2"]
REDUCE = ["np.sum", "np.mean", "np.max", "np.min", "np.var", "np.std", "np.prod"]


class Arrays:
    """NumPy statements over named values of known shapes (None: a float)."""

    def __init__(self, draw, shapes):
        self.d, self.shapes = draw, dict(shapes)
        self.lines, self.count = [], 0

    def pick(self, accept=lambda s: True):
        names = [n for n, s in self.shapes.items() if accept(s)]
        return self.d.choose(names) if names else None

    def add(self, value, shape, pad="    "):
        self.count += 1
        name = f"v{self.count}"
        self.lines.append(f"{pad}{name} = {value}")
        self.shapes[name] = shape
        return name

    def statement(self):
        d = self.d
        kind = d.choose(["elementwise", "elementwise", "reduce", "matmul", "linalg", "shape", "join", "slice",
                         "branch", "cumsum"])
        a = self.pick()
        sa = self.shapes[a]
        if kind == "elementwise" or kind == "branch":
            b = self.pick(lambda s: _broadcasts(sa, s))
            shape = _broadcast(sa, self.shapes[b])
            value = d.choose(ELEMENTWISE).format(a=a, b=b)
            if kind == "branch" and shape is not None:
                other = d.choose([f"{a} * 0.5 + {b}", f"np.cos({b}) * {a}"])
                self.count += 1
                name = f"v{self.count}"
                test = d.choose([f"np.sum({a}) > {d.choose(['0.5', '2.0', '4.0'])}", f"np.max({b}) < 0.9"])
                self.lines += [f"    if {test}:", f"        {name} = {value}", "    else:", f"        {name} = {other}"]
                self.shapes[name] = shape
                return
            self.add(value, shape)
        elif kind == "reduce":
            if not sa:
                return self.add(f"{d.choose(['np.sin', 'np.tanh'])}({a})", sa)
            func = d.choose(REDUCE)
            if d.chance(0.4):
                return self.add(f"{func}({a})", None)
            axis = d.integer(-len(sa), len(sa) - 1)
            keep = d.chance(0.5)
            shape = tuple(1 if i == axis % len(sa) else n for i, n in enumerate(sa)) if keep else \
                tuple(n for i, n in enumerate(sa) if i != axis % len(sa))
            self.add(f"{func}({a}, axis={axis}{', keepdims=True' if keep else ''})", shape or None)
        elif kind == "matmul":
            a = self.pick(lambda s: s and len(s) <= 2)
            if a is None:
                return
            sa = self.shapes[a]
            b = self.pick(lambda s: s and len(s) <= 2 and s[0] == sa[-1])
            if b is None:
                return
            sb = self.shapes[b]
            shape = sa[:-1] + sb[1:]
            spelled = d.choose(["{a} @ {b}", "np.dot({a}, {b})", "np.matmul({a}, {b})"]).format(a=a, b=b)
            if len(sa) == 2 and len(sb) == 1 and d.chance(0.3):
                spelled = f"np.einsum('ij,j->i', {a}, {b})"
            self.add(f"np.tanh({spelled})" if d.chance(0.5) else spelled, shape or None)
        elif kind == "linalg":
            choice = d.integer(0, 4)
            if choice == 0:
                self.add(f"np.linalg.norm({a})" if sa else f"abs({a}) + 1.0", None)
            elif choice == 1:
                self.add("np.linalg.det(q + 3.0 * np.eye(3))", None)
            elif choice == 2:
                self.add("np.linalg.inv(q + 3.0 * np.eye(3)) @ c", (3, 1))
            elif choice == 3:
                self.add("np.linalg.solve(q + 3.0 * np.eye(3), m)", (3, 4))
            else:
                self.add("np.outer(r, c[:, 0]) * 0.5", (4, 3))
        elif kind == "shape":
            if not sa:
                return
            choice = d.integer(0, 4)
            if choice == 0:
                self.add(f"{a}.T", sa[::-1])
            elif choice == 1:
                self.add(f"{a}.reshape(-1)", (int(np.prod(sa)),))
            elif choice == 2:
                self.add(f"np.expand_dims({a}, 0)", (1,) + sa)
            elif choice == 3 and 1 in sa:
                self.add(f"np.squeeze({a})", tuple(n for n in sa if n != 1) or None)
            else:
                self.add(f"np.transpose({a})", sa[::-1])
        elif kind == "join":
            b = self.pick(lambda s: s == sa)
            if not sa:
                return self.add(f"np.sum(np.array([{a}, {b}]) ** 2)", None)
            if d.chance(0.5):
                self.add(f"np.concatenate([{a}, {b} * 0.5])", (2 * sa[0],) + sa[1:])
            else:
                self.add(f"np.stack([{a}, np.sin({b})])", (2,) + sa)
        elif kind == "slice":
            if not sa or sa[0] < 2:
                return
            choice = d.integer(0, 3)
            if choice == 0:
                self.add(f"{a}[1:] * {a}[:-1]", (sa[0] - 1,) + sa[1:])
            elif choice == 1:
                self.add(f"{a}[::-1] + 0.5 * {a}", sa)
            elif choice == 2:
                self.add(f"{a}[0]", sa[1:] or None)
            else:
                self.add(f"{a}[np.array([1, 0, 1])]" if sa[0] >= 2 else f"{a}[0]", (3,) + sa[1:])
        elif kind == "cumsum":
            if not sa:
                return
            if len(sa) == 2 and sa[0] == sa[1] and d.chance(0.5):
                return self.add(f"np.trace({a})", None)
            self.add(f"np.cumsum({a}, axis={d.integer(0, len(sa) - 1)}) * 0.3", sa)

    def tail(self):
        names = [n for n in self.shapes if n.startswith("v")] or list(self.shapes)
        last, other = names[-1], self.d.choose(names)
        return f"    return np.sum({last}) + np.sum({other} * {other})"


def _broadcasts(a, b):
    try:
        np.broadcast_shapes(a or (), b or ())
        return True
    except ValueError:
        return False


def _broadcast(a, b):
    shape = np.broadcast_shapes(a or (), b or ())
    return shape or None


NUMPY_SHAPES = {"m": (3, 4), "r": (4,), "c": (3, 1), "s": None, "q": (3, 3)}


def _numpy(family, seed, d):
    gen = Arrays(d, NUMPY_SHAPES)
    for _ in range(d.integer(2, 6)):
        gen.statement()
    source = "import numpy as np\n\n\ndef f(m, r, c, s, q):\n" + "\n".join(gen.lines + [gen.tail()]) + "\n"
    args = tuple(d.uniform(0.2, 1.2) if shape is None else d.array(shape) for shape in NUMPY_SHAPES.values())
    return Program(family, seed, source, args, (0, 1, 2, 3, 4))


CARRIED = ["w = w[::-1] * 0.9", "w = np.tanh(w[::-1] + r * s)", "w = np.concatenate([w[1:], w[:1]]) * s",
           "w = w[idx] * 0.8 + r", "w = w[[1, 0, 2, 3, 5, 4]] * s", "w = np.sin(w) * r[::-1]",
           "acc = acc + np.sum(w[1:] * 2.0)", "v = v[1:] * 1.1", "acc = acc + np.sum(w[::2] * r[1::2])",
           "w = w + 0.1 * w[idx] * w", "v = np.tanh(v[::-1] * s)", "w = w[::-1][idx] * 0.7 + 0.1",
           "acc = acc + v[0] * w[{i}]", "w = np.maximum(w[::-1], r) * 0.9"]


def _carried(family, seed, d):
    lines = ["    idx = np.array([5, 0, 1, 2, 3, 4])", "    acc = 0.0", "    v = w * 1.0"]
    loops = d.integer(1, 2)
    for _ in range(loops):
        lines.append(f"    for i in range({d.choose(['n', '3', 'n + 1'])}):")
        for _ in range(d.integer(1, 3)):
            lines.append("        " + d.choose(CARRIED).format(i=d.integer(0, 5)))
        if d.chance(0.3):
            lines.append("        for j in range(2):")
            lines.append("            " + d.choose(CARRIED).format(i=d.integer(0, 5)))
        if d.chance(0.2):
            lines += ["        if np.sum(w) > 3.0:", "            " + d.choose(CARRIED).format(i=d.integer(0, 5))]
    lines.append(f"    return np.sum(w * w) + acc + {d.choose(['np.sum(v)', 'np.mean(v ** 2)', 'v[0]'])}")
    source = "import numpy as np\n\n\ndef f(w, r, s, n):\n" + "\n".join(lines) + "\n"
    args = (d.array((6,)), d.array((6,)), d.uniform(0.5, 1.1), d.integer(0, 3))
    return Program(family, seed, source, args, (0, 1, 2))


# Writes into fresh arrays: these must work.
FRESH_WRITES = ["h[0] = s * a[1]", "h[1:] = a[:3] * s", "h[1:] += a[1:] * 0.5", "h[2] = h[1] * s + h[0]",
                "h[::2] = np.tanh(a[::2] + s)", "g[2] = s * g[1]", "g[:2] += h[2:] * 0.3", "g[idx] = a[:2] * s",
                "for t in range(n):\n        h[t + 1] = np.tanh(h[t] * 0.5 + a[t] * s)",
                "k = np.zeros((2, 4))\n    k[0] = a * s\n    k[1, 1:] = a[:3]\n    g = g + k[1] + k[0]"]
# Writes into views and aliases of a fresh array: NumPy's aliasing semantics, or a TranspileError.
VIEW_WRITES = ["u = h.reshape(2, 2)\n    u[0, 1] = s", "u = h[1:]\n    u[0] = s * 2.0", "u = h\n    u[3] = s",
               "u = np.expand_dims(h, 0)\n    u[0, 2] = s", "u = np.atleast_1d(h)\n    u[1] = s",
               "u = b.T\n    u[0, 1] = s", "u = np.transpose(b)\n    u[1, 0] = s", "u = np.swapaxes(b, 0, 1)\n    u[0] = s",
               "u = np.squeeze(b.reshape(1, 4))\n    u[0] = s", "u = view_of(h)\n    u[1, 1] = s",
               "if s > 0.6:\n        u = h\n    else:\n        u = h * 1.0\n    u[0] = s",
               "for t in range(n):\n        u = h\n        u[t] = s", "h += a\n    u = h[::2]\n    u += s",
               "u = h[:2]\n    h[0] = s\n    g = g + u[0]"]


def _views(family, seed, d):
    aliased = d.chance(0.15)
    lines = ["    idx = np.array([3, 0])", "    h = np.zeros(4)", "    g = a * 1.0", "    b = np.ones((2, 2)) * s"]
    view = d.chance(0.5)
    for _ in range(d.integer(1, 3)):
        lines.append("    " + d.choose(FRESH_WRITES))
    if view:
        lines.insert(d.integer(4, len(lines)), "    " + d.choose(VIEW_WRITES))
    lines.append(f"    return np.sum(h * h) + np.sum(g * a) + np.sum(b * b) * {d.choose(['0.5', 's'])}")
    helper = "\n\ndef view_of(x):\n    return x.reshape(2, 2)\n"
    if aliased:  # f(v, v) and f(a, a[1:]): an argument written through another name
        lines = ["    x[0] = x[0] * s", "    y[1] += s", "    return np.sum(x * y)"]
        source = "import numpy as np\n\n\ndef f(x, y, s):\n" + "\n".join(lines) + "\n"
        aliases = ((1, 0, d.choose(["", "[:]", "[1:]", "[::-1]"])),)
        return Program(family, seed, source, (d.array((4,)), None, d.uniform(0.5, 1.0)), (2,),
                       aliases=aliases, may_refuse=True, value_only=True)
    source = "import numpy as np\n" + helper + "\n\ndef f(a, s, n):\n" + "\n".join(lines) + "\n"
    args = (d.array((4,)), d.uniform(0.3, 1.0), d.integer(0, 3))
    return Program(family, seed, source, args, (0, 1), may_refuse=view)


SHAPE_BRANCHES = [
    "if flag:\n        err = p[1:] - t[1:]\n    else:\n        err = p - t",
    "err = p[1:] - t[1:] if flag else p - t",
    "if np.sum(p) > {c}:\n        err = p[::2] * t[::2]\n    else:\n        err = p - t * 0.5",
    "err = p - t\n    for i in range(n):\n        err = err[1:] * 0.9",
    "if flag:\n        err = np.concatenate([p, t])\n    else:\n        err = p * t",
    "err = p if flag else p[::2]",
    "if n > 1:\n        err = (p - t)[:n]\n    else:\n        err = p * t",
    "err = p * 1.0\n    while err.size > 3:\n        err = err[1:] * s",
]
SHAPE_REDUCTIONS = ["np.mean(err ** 2)", "np.var(err)", "np.std(err) + np.sum(err) / err.size",
                    "np.sum(err * err) / len(err)", "np.mean(err) * s", "np.max(err) + np.mean(np.sin(err))"]


def _shapes(family, seed, d):
    lines = []
    for k in range(d.integer(1, 2)):
        lines.append("    " + d.choose(SHAPE_BRANCHES).format(c=d.choose(["2.0", "3.0"])))
        lines.append(f"    loss{k} = {d.choose(SHAPE_REDUCTIONS)}")
    total = " + ".join(f"loss{k}" for k in range(len(lines) // 2))
    source = "import numpy as np\n\n\ndef f(p, t, s, flag, n):\n" + "\n".join(lines) + f"\n    return {total}\n"
    args = (d.array((5,)), d.array((5,)), d.uniform(0.5, 1.0), d.choose([True, False]), d.integer(0, 3))
    return Program(family, seed, source, args, (0, 1, 2))


IEEE = ["a = 0.0 - y", "a = y + 0.0", "a = -0.0 + y", "a = 0.0 * y", "a = y * -0.0", "a = y - 0.0", "a = y - -0.0",
        "a = -0.0 - y", "a = y ** 2.0", "a = y ** 1.0", "a = y ** 0.0", "a = y * 1.0", "a = y / 1.0",
        "a = 1.0 * y", "a = -(-y)", "a = y - y", "a = 0.0 + 0.0 * y", "a = x * 0.0 - 0.0",
        "a = math.atan2(a, -1.0)", "a = math.atan2(0.0 - y, -1.0)", "a = math.copysign(1.0, a) * x",
        "a = math.copysign(x, 0.0 * y)", "a = 1e308 * y", "a = y * 5e-324", "a = math.fabs(a) * x", "a = -a",
        "a = a * 0.0 + x", "a = y * 1e-300", "a = (a + 1.0) - 1.0", "a = abs(-0.0 * x)", "a = x / (a - a + 1.0)",
        "a = 2.0 ** a", "a = a ** 0.5 if a > 0.0 else -a", "a = 0.5 ** 2.0 * a", "y = a + 0.0",
        "x = x * -1.0", "a = float(-0.0) + a"]


def _ieee(family, seed, d):
    if d.chance(0.25):  # NumPy's own edges: booleans, ints used as indices, fixed-width constants
        lines = ["    mask = v > 0.5", "    k = mask + mask", "    total = np.sum(k * v)",
                 d.choose(["    total = total + v[0 * n] * x", "    total = total + v[n - n] * 0.0",
                           "    total = total + float(np.int8(100) + np.int8(100)) * x",
                           "    total = total + (0.0 - x) * v[1]", "    total = total + np.sum(v ** 2.0) + x ** 2.0",
                           "    total = total + np.sum(0.0 * v) + np.sum(v * -0.0)"]),
                 "    return total"]
        source = "import numpy as np\n\n\ndef f(x, v, n):\n" + "\n".join(lines) + "\n"
        args = (d.choose([0.0, -0.0, d.uniform(-1, 1)]), d.array((3,)), d.integer(0, 2))
        return Program(family, seed, source, args, (0, 1))
    lines = ["    a = x"] + ["    " + d.choose(IEEE) for _ in range(d.integer(2, 6))]
    lines.append("    return " + d.choose(["a", "a + y", "a * x", "0.0 - a", "a + 0.0", "-a", "a * y ** 2.0"]))
    source = "import math\n\n\ndef f(x, y):\n" + "\n".join(lines) + "\n"
    edges = [0.0, -0.0, 1.0, -1.0, 0.5]
    args = tuple(d.choose(edges) if d.chance(0.4) else d.uniform(-2.0, 2.0) for _ in range(2))
    return Program(family, seed, source, args, (0, 1), hessian=True)


MAKERS = {"scalar": _scalar_program, "branches": _branches, "loops": _loops, "structures": _structures,
          "helpers": _helpers, "numpy": _numpy, "carried": _carried, "views": _views, "shapes": _shapes,
          "ieee": _ieee}


def make(family, seed):
    """The program of `family` drawn from `seed` (the same program on every machine and hash seed)."""
    return MAKERS[family](family, seed, Draw(f"{family}:{seed}"))


# --- the oracles ---------------------------------------------------------------------------------

@dataclass
class Result:
    status: str  # "pass", "skip" (not checkable at this point), "refused", "singular" (an infinite derivative
    #              raised ZeroDivisionError or OverflowError in generated code), "mismatch", "raw", "timeout"
    oracle: str = ""  # which check failed or refused
    message: str = ""
    checks: list = field(default_factory=list)  # oracles that ran

    @property
    def signature(self):
        """The failure class: oracle and message with numbers and names of temporaries stripped."""
        import re
        lines = self.message.strip().splitlines()
        first = (lines[-1] if self.status in ("raw", "refused") or len(lines) > 3 else lines[0]) if lines else ""
        first = re.sub(r"-?\d+(\.\d+)?(e[-+]?\d+)?", "#", first)
        first = re.sub(r"'[^']*'", "'_'", first)
        return f"{self.oracle}: {first[:120]}"


class Mismatch(Exception):
    def __init__(self, oracle, message):
        super().__init__(message)
        self.oracle = oracle


class Skip(Exception):
    """The program is not checkable at this point (overflow, a kink or a boundary within the step)."""


def bit_equal(a, b):
    """Same type, dtype, shape and bits (NaN equal to NaN, 0.0 unequal to -0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(bit_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and (
            a.tobytes() == b.tobytes() or bool(np.all((a == b) | (np.isnan(a) & np.isnan(b)))) and
            bool(np.all(np.signbit(a) == np.signbit(b))))
    if isinstance(a, (float, np.floating)):
        return (math.isnan(a) and math.isnan(b)) or struct.pack("<d", a) == struct.pack("<d", b)
    return a == b


def flat(value, like):
    """The float leaves of `value` (shaped as the argument `like`) as one float64 vector; None is 0."""
    if isinstance(like, dict):
        return np.concatenate([flat(None if value is None else value[k], v) for k, v in like.items()] or [[]])
    if isinstance(like, (list, tuple)):
        return np.concatenate([flat(None if value is None else value[i], v) for i, v in enumerate(like)] or [[]])
    if isinstance(like, np.ndarray):
        return np.zeros(like.size) if value is None else np.asarray(value, dtype=float).reshape(-1)
    if isinstance(like, float):
        return np.zeros(1) if value is None else np.array([float(value)])
    return np.zeros(0)


def unflat(vector, like):
    """The inverse of `flat`: a structure like `like` holding the entries of `vector` (ints kept)."""
    position = 0

    def build(item):
        nonlocal position
        if isinstance(item, dict):
            return {k: build(v) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return type(item)(build(v) for v in item)
        if isinstance(item, np.ndarray):
            part = vector[position:position + item.size].reshape(item.shape).astype(item.dtype)
            position += item.size
            return part
        if isinstance(item, float):
            position += 1
            return float(vector[position - 1])
        return item

    return build(like)


def same_structure(gradient, like):
    """Whether a gradient mirrors its argument: float for float, array of the shape and dtype, ..."""
    if isinstance(like, dict):
        return isinstance(gradient, dict) and list(gradient) == list(like) and all(
            same_structure(gradient[k], like[k]) for k in like)
    if isinstance(like, (list, tuple)):
        return type(gradient) is type(like) and len(gradient) == len(like) and all(
            same_structure(g, v) for g, v in zip(gradient, like))
    if isinstance(like, np.ndarray):
        return isinstance(gradient, np.ndarray) and gradient.shape == like.shape and gradient.dtype == like.dtype
    if isinstance(like, float):
        return type(gradient) is float
    return gradient is None


class Checker:
    def __init__(self, program, f):
        self.p, self.f = program, f
        self.base = program.make_args()
        self.wrt = program.wrt
        rng = np.random.default_rng(program.seed)
        self.x0 = np.concatenate([flat(self.base[i], self.base[i]) for i in self.wrt])
        self.direction = rng.standard_normal(self.x0.size)
        self.other = rng.standard_normal(self.x0.size)

    def args_at(self, vector):
        """The arguments with the wrt entries replaced by `vector` (fresh copies, aliases rebuilt)."""
        args = list(self.p.make_args())
        position = 0
        for i in self.wrt:
            size = flat(args[i], args[i]).size
            args[i] = unflat(vector[position:position + size], args[i])
            position += size
        return tuple(args)

    def tangents(self, vector):
        tangents = [None] * len(self.base)
        position = 0
        for i in self.wrt:
            size = flat(self.base[i], self.base[i]).size
            tangents[i] = unflat(vector[position:position + size], self.base[i])
            position += size
        return tuple(tangents)

    def gradient_vector(self, gradient):
        return np.concatenate([flat(g, self.base[i]) for g, i in zip(gradient, self.wrt)])


def _richardson(phi, h):
    """Richardson extrapolation of central differences of phi at 0 (error O(h^4))."""
    def central(step):
        return (phi(step) - phi(-step)) / (2 * step)
    return (4 * central(h / 2) - central(h)) / 3


def _close(a, b, rel, abs_):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return bool(np.all(np.abs(a - b) <= abs_ + rel * np.maximum(np.abs(a), np.abs(b))))


def _smooth_derivative(phi, scale):
    """The derivative of phi at 0 by Richardson differences at two step sizes, or Skip where they
    disagree (a kink, branch boundary or jump within the step; a huge higher derivative)."""
    coarse, fine = _richardson(phi, 1e-3), _richardson(phi, 2.5e-4)
    if not (np.all(np.isfinite(coarse)) and np.all(np.isfinite(fine))):
        raise Skip("differences not finite")
    if not _close(coarse, fine, 1e-6, 1e-7 * scale):
        raise Skip("not smooth within the step")
    return fine, np.max(np.abs(coarse - fine))


def _scalar(value):
    if isinstance(value, np.ndarray) and value.shape == ():
        return float(value)
    return float(value)


def load(program, directory, prefix="fuzz"):
    """Import `program` from `directory`/PREFIX_FAMILY_SEED.py: the name is part of the generated
    source (its docstring names the file), so it must not depend on the process."""
    import importlib.util

    name = f"{prefix}_{program.family}_{program.seed}"
    path = os.path.join(str(directory), name + ".py")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(program.source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check(program, directory, second_order=True):
    """Run every oracle on `program`; returns a Result (never raises for the program's sake)."""
    import warnings

    import transpile as tp

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            module = load(program, directory)
        except Exception as exc:  # noqa: BLE001 - a generator bug, reported as such
            return Result("raw", "generator", f"the program does not import: {type(exc).__name__}: {exc}")
        try:
            return _check(program, module.f, tp, second_order)
        except Skip as exc:
            return Result("skip", message=str(exc))
        except Mismatch as exc:
            return Result("mismatch", exc.oracle, str(exc))
        except tp.TranspileError as exc:
            message = f"{type(exc).__name__}: {exc}"
            if _in_generated_code(exc, program) and "has no derivative rule yet" not in message:
                # the user cannot change generated code: a transpiler bug (a helper of generated code
                # without a second-order rule, np.prod's product_of_others, is a documented refusal)
                return Result("raw", f"{_STAGE[0]} (refusal inside generated code)", message)
            if program.may_refuse:
                return Result("refused", "expected", message)
            return Result("refused", "suspicious" if _suspicious(message, program) else _STAGE[0], message)
        except _Timeout:
            raise
        except ArithmeticError as exc:
            if not _raised_in_generated_code(exc):
                raise
            # A derivative that is infinite at the point (sqrt at 0, a power that overflows where f's
            # value does not): Python's float arithmetic in generated scalar code raises, as it would in
            # f; no number comes back, so no wrong one.  Counted apart, as "singular".
            return Result("singular", _STAGE[0], f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # noqa: BLE001 - any other exception is a finding
            import traceback
            return Result("raw", _STAGE[0], "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-3000:])


def _raised_in_generated_code(exc):
    """Whether the innermost frame of `exc` is a generated function's (`<transpile ...>`)."""
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_filename.startswith("<transpile")


def _in_generated_code(exc, program):
    """Whether a refusal points into transpile's own generated code rather than the program."""
    import re
    located = re.match(r"cannot differentiate '[^']*' \(([^,]*), line", str(exc))
    return bool(located) and not located.group(1).startswith(f"fuzz_{program.family}_")


# Refusals of constructs the generator only writes where they are valid: a refusal saying otherwise
# looks like a bug (an array whose kind was lost, a name the generator always defines).
SUSPICIOUS = [(r"index a list element by element", ("numpy", "carried", "views", "shapes", "ieee")),
              (r"is used before it is assigned", FAMILIES), (r"has no attribute", FAMILIES)]


def _suspicious(message, program):
    import re
    return any(program.family in families and re.search(pattern, message) for pattern, families in SUSPICIOUS)


_STAGE = [""]  # the oracle running now, to name where a raw exception came from


class _Timeout(BaseException):
    """Raised by bench/fuzz.py's alarm: a BaseException, so no oracle swallows it."""


def _check(p, f, tp, second_order):
    stage = _STAGE
    stage[0] = "f"
    try:
        value = f(*p.make_args())
    except (ArithmeticError, ValueError, IndexError):  # the program is not defined here
        raise Skip("f raises") from None
    numeric = isinstance(value, (float, np.floating)) or (isinstance(value, np.ndarray) and value.shape == ())
    if not numeric:
        raise Skip(f"f returns {type(value).__name__}")
    c = Checker(p, f)
    stage[0] = "value"
    both = tp.value_and_grad(f, wrt=p.wrt)(*p.make_args())
    if not bit_equal(both[0], value):
        raise Mismatch("value", f"value_and_grad gives {both[0]!r} ({type(both[0]).__name__}), "
                                f"f gives {value!r} ({type(value).__name__})")
    tangents = c.tangents(c.direction)
    stage[0] = "jvp"
    jvp_value, along = tp.jvp(f, p.make_args(), tangents)
    if not bit_equal(jvp_value, value):
        raise Mismatch("value", f"jvp gives {jvp_value!r}, f gives {value!r}")
    if p.value_only:
        return Result("pass", checks=["value"])
    finite = math.isfinite(_scalar(value)) and abs(_scalar(value)) < LIMIT
    stage[0] = "modes"
    gradient = tp.grad(f, wrt=p.wrt)(*p.make_args())
    for g, i in zip(gradient, p.wrt):
        if not same_structure(g, c.base[i]):
            raise Mismatch("structure", f"gradient for argument {i} is {g!r}, the argument {c.base[i]!r}")
    g = c.gradient_vector(gradient)
    if not finite or not np.all(np.isfinite(g)) or np.max(np.abs(g), initial=0.0) > LIMIT:
        raise Skip("value or gradient huge")  # the value oracle ran; differences are meaningless
    scale = 1.0 + np.max(np.abs(g), initial=0.0)
    if not _close(c.gradient_vector(both[1]), g, 1e-12, 1e-12 * scale):
        raise Mismatch("modes", f"value_and_grad's gradient {both[1]} vs grad's {gradient}")
    stage[0] = "unoptimized"
    raw = c.gradient_vector(tp.grad(f, wrt=p.wrt, optimize=False)(*p.make_args()))
    if not _close(raw, g, 1e-9, 1e-10 * scale):
        raise Mismatch("unoptimized", f"optimized {g.tolist()} vs optimize=False {raw.tolist()}")
    directional = float(g @ c.direction)
    dscale = 1.0 + np.abs(g) @ np.abs(c.direction)
    if not _close(_scalar(along), directional, 1e-9, 1e-10 * dscale):
        raise Mismatch("forward", f"jvp along d gives {_scalar(along)!r}, reverse gradient . d = {directional!r}")
    stage[0] = "differences"
    if re.search(r"\b(abs|fabs|copysign)\(", p.source) and 0.0 in np.ravel(c.x0):
        raise Skip("an argument sits on the kink of abs or copysign")  # (|x| at 0: one-sided derivatives)

    def phi(t):
        return _scalar(f(*c.args_at(c.x0 + t * c.direction)))

    try:
        numeric_derivative, spread = _smooth_derivative(phi, dscale + abs(_scalar(value)))
    except (ArithmeticError, ValueError, IndexError):
        raise Skip("f raises near the point") from None
    if not _close(directional, numeric_derivative, 1e-6, 1e-7 * (dscale + abs(_scalar(value))) + 10 * spread):
        raise Mismatch("differences", f"gradient . d = {directional!r}, Richardson differences {numeric_derivative!r}"
                                      f" (gradient {g.tolist()})")
    checks = ["value", "modes", "unoptimized", "forward", "differences"]
    if not second_order:
        return Result("pass", checks=checks)
    stage[0] = "hvp"
    gradient_f = tp.grad(f, wrt=p.wrt if len(p.wrt) > 1 else tuple(p.wrt))

    def grad_at(t):
        return c.gradient_vector(gradient_f(*c.args_at(c.x0 + t * c.direction)))

    _, product = tp.jvp(gradient_f, p.make_args(), tangents)
    hv = c.gradient_vector(product)
    if not np.all(np.isfinite(hv)):  # an intermediate overflowed (1e308 * y): nothing to compare
        return Result("pass", checks=checks)
    try:
        expected, spread = _smooth_derivative(grad_at, scale)
    except Skip:
        return Result("pass", checks=checks)  # the gradient is not smooth here: no second-order check
    hscale = 1.0 + np.max(np.abs(expected))
    if not _close(hv, expected, 1e-5, 1e-6 * hscale + 10 * spread):
        raise Mismatch("hvp", f"jvp(grad(f)) gives {hv.tolist()}, Richardson differences of the gradient "
                              f"{expected.tolist()}")
    _, product_other = tp.jvp(gradient_f, p.make_args(), c.tangents(c.other))
    hu = c.gradient_vector(product_other)
    if not _close(c.other @ hv, c.direction @ hu, 1e-7, 1e-8 * hscale * (1 + np.abs(c.other).sum())):
        raise Mismatch("hvp", f"not symmetric: u.Hd = {c.other @ hv!r}, d.Hu = {c.direction @ hu!r}")
    checks.append("hvp")
    if p.hessian and p.seed % 3 == 0:  # (a third of them: the HVPs already check second order)
        stage[0] = "hessian"
        matrix = np.atleast_2d(tp.hessian(f, wrt=p.wrt)(*p.make_args()))
        if not _close(matrix, matrix.T, 1e-9, 1e-10 * hscale):
            raise Mismatch("hessian", f"tp.hessian is not symmetric: {matrix.tolist()}")
        if not _close(matrix @ c.direction, hv, 1e-8, 1e-9 * hscale):
            raise Mismatch("hessian", f"tp.hessian @ d = {(matrix @ c.direction).tolist()}, "
                                      f"jvp(grad(f)) = {hv.tolist()}")
        checks.append("hessian")
    return Result("pass", checks=checks)


# --- determinism: generated source under two hash seeds -----------------------------------------

def generated_sources(program, f):
    """The source texts transpile generates for `program`: reverse, unoptimized, forward, HVP."""
    import transpile as tp

    args = program.make_args()
    texts = []
    for options in ({}, {"optimize": False}, {"kind": "jvp", "wrt": tuple(range(len(args)))}):
        wrt = options.pop("wrt", program.wrt)
        try:
            texts.append(tp.source(f, wrt=wrt, args=args, **options))
        except tp.TranspileError as exc:
            texts.append(f"refused: {type(exc).__name__}")
    return texts


def source_digests(keys, directory):
    """{family:seed: sha256 of the generated sources} for the programs named by `keys`."""
    digests = {}
    for key in keys:
        family, seed = key.split(":")
        program = make(family, int(seed))
        try:
            f = load(program, directory).f
            text = "\n\0".join(generated_sources(program, f))
        except Exception as exc:  # noqa: BLE001 - reported by the other oracles
            text = f"raised {type(exc).__name__}"
        digests[key] = hashlib.sha256(text.encode()).hexdigest()
    return digests


def determinism(keys, hash_seeds=("0", "1"), timeout=600):
    """The keys whose generated source differs between PYTHONHASHSEEDs (one subprocess per seed)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    results = []
    for seed in hash_seeds:
        env = dict(os.environ, PYTHONHASHSEED=seed, TRANSPILE_CACHE="0")
        done = subprocess.run([sys.executable, "-m", "tests.fuzz", "--digests"], input=json.dumps(list(keys)),
                              capture_output=True, text=True, cwd=root, env=env, timeout=timeout, check=True)
        results.append(json.loads(done.stdout))
    return sorted(k for k in keys if len({r[k] for r in results}) > 1)


if __name__ == "__main__":
    if sys.argv[1:] == ["--digests"]:
        import tempfile
        with tempfile.TemporaryDirectory() as scratch:
            print(json.dumps(source_digests(json.loads(sys.stdin.read()), scratch)))
