"""A corpus of small functions: add one here and every test over the corpus checks it.

Each function takes float arguments that are valid anywhere in [0.2, 1.5].
"""

import math
import math as m
from math import exp, sin as s

from . import other_module
from .other_module import cube_plus

SCALE = 2.5
OFFSET = -0.75


def quickstart(x, y):
    t = math.sin(x) * y
    return t * t + math.exp(t) / (1.0 + x * x)


def single_op(x):
    return x * x


def identity(x):
    return x


def constant_output(x):
    return 3.0


def aliases(x, y):
    return s(x) * m.cos(y) + exp(x * y)


def module_constants(x):
    return SCALE * x ** 3 + OFFSET * math.pi * x


def rebinding(x, y):
    z = x * y
    z = z + x
    z = z * z
    x = x * 2.0
    return z + x


def augmented(x, y):
    acc = x
    acc += y * y
    acc *= x
    acc -= 1.0
    acc /= y
    acc **= 2
    return acc


def tuple_assignment(x, y):
    a, b = x * y, x + y
    a, b = b, a
    return a * math.sin(b)


def powers(x, y):
    return x ** 2 + x ** 3 + y ** 4 + x ** -1 + x ** 2.5 + x ** y + 2.0 ** y


def division_and_mod(x, y):
    return x / y + (x * 10.0) % y - y / (x + 1.0)


def builtins_(x, y):
    return abs(x - y) + max(x, 2.0 * y) + min(x * x, y) + float(x) + pow(x, 2)


def trig(x, y):
    return math.tan(x) + math.atan2(y, x) + math.asin(x / 2.0) + math.acos(y / 2.0) + math.atan(x * y)


def hyperbolic(x):
    return math.sinh(x) + math.cosh(x) * math.tanh(x) + math.asinh(x) + math.acosh(1.0 + x) + math.atanh(x / 2.0)


def logs(x, y):
    return math.log(x) + math.log(y, 3.0) + math.log(x, y + 1.0) + math.log1p(x) + math.log2(y) + math.log10(x * y)


def special(x, y):
    return math.sqrt(x) + math.pow(x, y) + math.hypot(x, y) + math.erf(x) + math.erfc(y) + math.expm1(x)


def piecewise_constant(x):
    return math.floor(x * 10.0) * x + round(x) + int(x * 3.0) * x + math.ceil(x)


def shared_subexpressions(x, y, z):
    r = math.sqrt(x * x + y * y + z * z)
    return math.exp(-r) / r + math.sin(x * y) * math.cos(x * y) + r * r


def unused_values(x, y):
    waste = math.exp(y) * 1000.0
    waste = waste + x
    return x * y


def defaults(x, y=2.0, *, scale=3.0):
    return scale * x * y


def comparison_weights(x, y):
    return (x > y) * x + (x <= y) * y * y


def closure_maker(k):
    def inner(x):
        return k * math.sin(x)

    return inner


closure = closure_maker(1.5)


def rosenbrock(x0, x1, x2, x3):
    return (100.0 * (x1 - x0 * x0) ** 2 + (1.0 - x0) ** 2 + 100.0 * (x2 - x1 * x1) ** 2 + (1.0 - x1) ** 2
            + 100.0 * (x3 - x2 * x2) ** 2 + (1.0 - x2) ** 2)


CORPUS = [quickstart, single_op, identity, constant_output, aliases, module_constants, rebinding, augmented,
          tuple_assignment, powers, division_and_mod, builtins_, trig, hyperbolic, logs, special,
          piecewise_constant, shared_subexpressions, unused_values, defaults, comparison_weights, closure,
          rosenbrock]


# Regression cases from review: each once gave a wrong gradient or crashed.
NEGATIVE = -1.5


def negative_constant_base(x, n):
    return (-1) ** n * x ** 2 + NEGATIVE ** 2 * x


def signed_zeros(x):
    return math.copysign(x, -0.0) + math.copysign(x, 0.0) + math.atan2(x, -0.0)


def large_constants(x, y):
    return 1e200 * (y * (1e200 * x))


def int_factor(x, y):
    return math.floor(y) * x + math.trunc(y) * x


def bit_exact_value(x):
    return x / 3.0 * x + x ** 3 + 0.1 * (0.7 * x)


def vector_output(x, y):
    r = math.hypot(x, y)
    return r * math.cos(y), x * y * r, math.exp(-x) + y


def ten_variables(a, b, c, d, e, f, g, h, i, j):
    s = a * b + c * d - e * f + g * h + i * j
    return math.exp(0.1 * s) + math.sin(a + c + e + g + i) * math.cos(b + d + f + h + j) + s * s


def local_helper(a, b):
    c = a * b
    return c + math.sin(c)


def calls_user_functions(x, y):
    u = local_helper(x, y) + local_helper(y, 2.0)
    return other_module.scaled_sine(u) + cube_plus(u, x) + other_module.cached_square(y)


CORPUS.append(calls_user_functions)


def branches(x, y):
    if x > y:
        z = x * y
        w = z + math.sin(x)
    elif x > 0.5 and y < 2.0:
        z = x - y
        w = z * z
    else:
        return x * x * y
    a = z * 2.0 if z > 0 else -z
    return a * w + (0.3 < x < 1.3) * x


def early_returns(x, y):
    if x < 0.4:
        return math.exp(x) * y
    t = x * y
    if t > 0.9:
        t = t * t
        if y > 1.0:
            return t + y
    return math.log(t + 1.0) + x


def branch_in_helper(x):
    return x if x > 0.8 else 2.0 * x * x


def uses_branchy_helper(x, y):
    return branch_in_helper(x * y) + branch_in_helper(y)


CORPUS.extend([branches, early_returns, uses_branchy_helper])


def simulate(x, v, k, steps):
    for i in range(steps):
        a = -k * x if x > 0 else -2.0 * k * x
        v = v + 0.01 * a
        x = x + 0.01 * v
    return x * x + v * v


def while_loop(x, y):
    s = 0.0
    while x < 10.0:
        x = x * 1.5 + y
        s += math.sin(x)
    return s + x


def nested_loops(x, n):
    t = x
    for i in range(n):
        for j in range(1, 4):
            if t > 0.5:
                t = t * 0.9 + math.sin(t * x) * 0.1 + i * 0.01 * j
            else:
                t = t + 0.1 * x
    return t


def swapping_loop(a, b, n):
    for i in range(n):
        a, b = b, a * 0.5 + b
    return a * b


def loop_reading_its_index(x, n):
    total = 0.0
    for i in range(2, n, 2):
        total += math.sin(x * i) / i
    return total * x


LOOP_ARGUMENTS = {simulate: (100,), nested_loops: (4,), swapping_loop: (5,), loop_reading_its_index: (9,)}
CORPUS.extend([while_loop])


def breaks_and_continues(x, y, n):
    for i in range(n):
        if x > 3.0:
            break
        x = x * 1.5 + y
        if i % 2 == 1:
            continue
        y = y + math.sin(x)
    count = 0
    while count < n:
        count = count + 1
        if y > 4.0:
            break
        y = y * y + 0.1
    return x * y


LOOP_ARGUMENTS[breaks_and_continues] = (7,)


def index_after_loop(x, n):
    i = 0
    for i in range(n):
        x = x * 1.1
    return x * i


def bound_on_one_path(x, y):
    if x > 0:
        w = x * y
    if x > 0:
        return w * w
    return x


def dead_loop(x, n):
    s = x
    for i in range(n):
        s = s * x
    return x * 2.0


LOOP_ARGUMENTS.update({index_after_loop: (4,), dead_loop: (3,)})


def looping_helper(t, m):
    for j in range(m):
        t = t * 0.9 + 0.1
    return t


def calls_a_looping_helper(x, n):
    s = x
    for i in range(n):
        s = looping_helper(s * x, 2) + s
    return s


LOOP_ARGUMENTS[calls_a_looping_helper] = (3,)


def local_helpers(x, y):
    def sq(t):
        return t * t

    def blend(a, b):
        """Mix two values by y, read from the enclosing function when called."""
        if a > b:
            return a * y + b
        return b * y - a

    z = sq(x) + sq(y)
    return blend(z, math.sin(x)) + sq(blend(x, y))


CORPUS.append(local_helpers)


def newton_root(x, a, steps):
    for i in range(steps):
        step = (x * x - a) / (2.0 * x)
        x = x - step
        if abs(step) < 1e-3:
            return x * a
    return x


def returns_from_a_nested_loop(x, n):
    for i in range(n):
        for j in range(n):
            x = x * 1.1 + 0.05
            if x > 2.0:
                return x * math.sin(x)
    return x


def returns_from_a_while_loop(x, y, n):
    count = 0
    while count < n:
        count += 1
        y = y * x + 0.1
        if y > 1.2:
            return y * y
    return x * y


LOOP_ARGUMENTS.update({newton_root: (6,), returns_from_a_nested_loop: (4,), returns_from_a_while_loop: (5,)})
