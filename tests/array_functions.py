"""NumPy functions for tests/test_numpy.py, each with the argument shapes to check it at.

`CASES` holds (function, argument shapes, positions to differentiate); a shape
of None means a Python float, a tuple of ints an array of that shape (size-1
axes and different ranks exercise broadcasting).  Values are drawn in
[0.2, 1.2] so that logs, square roots and quotients are smooth.
"""

import numpy as np
from numpy import exp as np_exp


def elementwise(x, y):
    return np.sum(np.sin(x) * np.cos(y) + np.tanh(x * y) + np.exp(-x) * np.log(y) + np.sqrt(x + y))


def more_elementwise(x):
    return np.sum(np.arctan(x) + np.arcsin(x / 2) + np.arccos(x / 3) + np.sinh(x) + np.cosh(x) + np.expm1(x)
                  + np.log1p(x) + np.log2(x) + np.log10(x) + np.square(x) + np.abs(x - 0.7) + np.reciprocal(x)
                  + np.negative(x) + np.power(x, 1.5) + np.tan(x / 2) + np.arctan2(x, 0.5 + x))


def broadcasting(a, b, c):
    return np.sum((a + b) * c - a / (b + 2.0))


def scalar_times_array(s, x):
    return np.sum(s * x * x) + s * s


def matmul_2d(w, x):
    return np.sum(np.tanh(x @ w))


def matmul_mixed(m, v):
    return np.dot(v, m @ v) + np.inner(v, v) + np.sum(np.outer(v, v) * m)


def reductions(x):
    return np.sum(np.mean(x, axis=0) ** 2) + np.sum(np.sum(x, axis=1, keepdims=True) * x) + np.prod(x[0]) \
        + np.max(x) + np.sum(np.min(x, axis=1))


def methods_and_shapes(x):
    y = x.T.reshape(-1)
    z = np.expand_dims(x.sum(axis=0), 0)
    return np.sum(y * y) + np.sum(np.squeeze(z) ** 3) + x.mean() + np.sum(np.transpose(x) * 2.0)


def maxima_and_clips(x, y):
    return np.sum(np.maximum(x, y) + np.minimum(x, 0.6) + np.clip(x, 0.4, 0.9) + np.where(x > y, x * y, y))


def indexing(x):
    return np.sum(x[1:] * x[:-1]) + x[0, 1] * x[-1, -1] + np.sum(x[:, 0] ** 2) + np.sum(x[::2, None, 1])


def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np_exp(x - m)))


def mlp_loss(w1, b1, w2, x, y):
    h = np.tanh(x @ w1 + b1)
    return np.mean((h @ w2 - y) ** 2)


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def linear_algebra(a, b):
    a = a + 3.0 * np.eye(3)  # well conditioned
    return np.linalg.det(a) + np.sum(np.linalg.inv(a) * 0.3) + np.sum(np.linalg.solve(a, b)) + np.linalg.norm(b)


def loops_over_rows(x, w):
    total = 0.0
    for row in x:
        total = total + np.sum(np.sin(row * w))
    if np.sum(x) > 1.0:
        total = total * 2.0
    return total


def builds_arrays(x, y):
    v = np.array([x * y, x + y, np.sin(x)])
    s = np.stack([v, v * v], axis=1)
    c = np.concatenate([v, s[:, 0] * 2.0])
    return np.sum(s * s) + np.sum(c ** 3)


def stacks_arrays(a, b):
    return np.sum(np.stack([a, b * a]) ** 2) + np.sum(np.concatenate([a, b], axis=0) * 0.5)


def contracts(a, b, v):
    return np.sum(np.einsum("ij,jk->ik", a, b) ** 2) + np.einsum("i,i->", v, v) + np.sum(np.einsum("ij,j->i", a, v))


def rnn(x, W, U):
    n = x.shape[0]
    h = np.zeros((n + 1, W.shape[0]))
    for t in range(n):
        h[t + 1] = np.tanh(h[t] @ W + x[t] @ U)
    return np.sum(h[-1] ** 2) + np.sum(h[1:] * 0.1)


def writes_into_slices(x):
    y = np.zeros(5)
    y[1:4] = x * 2.0
    y[:2] += x[1:] ** 2
    y[-1] = np.sum(y[:3])
    return np.sum(y * y)


def methods_of_temporaries(x, w):
    y = (x @ w).T
    return np.sum(y.reshape(2, 3) ** 2) + (x * 2.0).sum(axis=0).mean() + np.sum(np.tanh(x @ w).max(axis=1))


def array_syntax_only(x, y):  # never names NumPy: `@`, `.T`, slices and methods say it takes arrays
    return (x.T @ y).sum() + (x[1:] * x[:-1]).mean()


def solves_for_a_matrix(a, b):
    a = a + 3.0 * np.eye(3)
    return np.sum(np.linalg.solve(a, b) ** 2)


def stacks_an_appended_list(x):
    rows = []
    for i in range(3):
        rows.append(x * (i + 1.0))
    return np.sum(np.stack(rows) ** 2) + np.sum(np.array(rows) * x)


def indexes_elements_only(x):  # no sign of NumPy: generated for lists, sent to array code when given arrays
    return x[0] * x[1] + x[2] / x[0]


def loops_over_elements(x):
    total = 0.0
    for v in x:
        total = total + v * v
    return total


def accumulates_in_a_loop(x):  # the adjoint's np.zeros_like(x) once merged with this one
    d = np.zeros_like(x)
    for i in range(3):
        d = d + x * np.exp(x[i])
    return np.sum(d)


def uses_sizes(x):
    n = x.size * 1.0
    return np.sum(x) / x.shape[0] + np.sum(x) / np.size(x) + x.ndim * np.shape(x)[0] * np.sum(n * x[0])


def sums_elements_only(x):  # builtin sum: no sign of NumPy
    return sum(x) * x[0]


def slices_rows(x):  # each row's adjoint is added into dx in place, in the loop
    total = 0.0
    for row in x:
        total = total + np.sum(row[1:] * row[:-1])
    return total


def loops_inside_loops(x):  # the inner loop's counter was once bound to None first, which hid its kind
    total = 0.0
    for matrix in x:
        for row in matrix:
            total = total + np.sin(row[0]) * row[1] + np.sum(row[1:] * row[:-1])
    return total


def uses_builtin_abs(x):
    return np.sum(abs(x - 0.7)) + abs(x[0] - 0.7) * x[1]


def statistics(x, w):  # variance and standard deviation (a layer norm), cumulative sums, a trace
    centred = (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + 1e-5)
    return np.sum(centred * w) + np.std(x) + np.sum(np.cumsum(x, axis=0) ** 2) + np.sum(np.cumsum(w) * w) \
        + np.trace(x[:, :3] @ x[:, :3].T) + np.sum(x.std(axis=0) * x.var(axis=0)) \
        + np.sum(np.linalg.norm(x, axis=1) * w[:3]) + np.linalg.norm(x) * np.linalg.norm(w, keepdims=True)[0]


def updates_numbers_in_place(x, a):  # numbers are rebound by +=, never shared: differentiated
    b = a
    b += 1.0
    y = x * 2.0
    y += b
    return np.sum(y * y) * a


def permutes_axes(x, y):
    return np.sum(np.transpose(x, (1, 0, 2)) * y) + np.sum(np.swapaxes(x, 0, 2) ** 2) \
        + np.sum(np.logaddexp(x, 0.5 * x))


def reshapes_then_multiplies(a, b):  # `@` of operands whose ranks are not known before run time
    return np.sum(np.tanh(np.reshape(a, (2, 3)) @ b))


def recurrence(x):  # each write reads the one before (second order once lost the tangents of its adjoint)
    y = np.ones_like(x)
    for i in range(1, len(x)):
        y[i] = y[i - 1] * x[i]
    return np.sum(y)


def products_of_rows(x):
    total = 0.0
    for row in x:
        total = total + row[0] * row[1]
    return total


def spaces_and_fills(x, y):  # constructors whose values depend on the arguments (once constants: zero gradients)
    line = np.linspace(x, y, 5) + np.geomspace(x, y, num=5) + np.logspace(x * y, y, 5)
    filled = np.full(5, x * y) + np.full_like(line, y) + np.arange(x, 9.0)[:5] + np.arange(y, 9.0, x)[:5]
    return np.sum(line * filled) + np.sum(np.linspace(y, x) ** 2)


def numbers_into_arrays(x):  # NumPy functions given a number (each once raised a raw exception)
    return (np.sum(np.array(x) * x) + np.sum(np.cumsum(x, axis=-1)) * x + np.sum(np.transpose(x) * x)
            + np.sum(x, axis=0) * np.max(x, axis=-1) + np.float64(x) * np.asarray(x).sum(axis=-1))


def transposes_by_none(x):
    return np.sum(np.transpose(x, None) * np.arange(6.0).reshape(3, 2))


CASES = [
    (elementwise, ((3, 4), (3, 4)), (0, 1)),
    (more_elementwise, ((5,),), (0,)),
    (broadcasting, ((3, 1), (4,), (2, 3, 4)), (0, 1, 2)),
    (broadcasting, ((1, 4), None, (3, 4)), (0, 1, 2)),
    (scalar_times_array, (None, (2, 3)), (0, 1)),
    (matmul_2d, ((4, 3), (5, 4)), (0, 1)),
    (matmul_mixed, ((3, 3), (3,)), (0, 1)),
    (reductions, ((3, 4),), (0,)),
    (methods_and_shapes, ((2, 3),), (0,)),
    (maxima_and_clips, ((6,), (6,)), (0, 1)),
    (indexing, ((4, 3),), (0,)),
    (logsumexp, ((7,),), (0,)),
    (mlp_loss, ((5, 4), (4,), (4, 3), (8, 5), (8, 3)), (0, 1, 2)),
    (rosenbrock, ((6,),), (0,)),
    (linear_algebra, ((3, 3), (3,)), (0, 1)),
    (loops_over_rows, ((3, 2), (2,)), (0, 1)),
    (builds_arrays, (None, None), (0, 1)),
    (stacks_arrays, ((3,), (3,)), (0, 1)),
    (contracts, ((2, 3), (3, 4), (3,)), (0, 1, 2)),
    (rnn, ((4, 3), (2, 2), (3, 2)), (0, 1, 2)),
    (writes_into_slices, ((3,),), (0,)),
    (solves_for_a_matrix, ((3, 3), (3, 2)), (0, 1)),
    (methods_of_temporaries, ((3, 4), (4, 2)), (0, 1)),
    (array_syntax_only, ((3, 2), (3, 4)), (0, 1)),
    (stacks_an_appended_list, ((4,),), (0,)),
    (indexes_elements_only, ((3,),), (0,)),
    (loops_over_elements, ((4,),), (0,)),
    (products_of_rows, ((3, 2),), (0,)),
    (accumulates_in_a_loop, ((3,),), (0,)),
    (uses_sizes, ((4,),), (0,)),
    (sums_elements_only, ((3,),), (0,)),
    (slices_rows, ((3, 4),), (0,)),
    (loops_inside_loops, ((2, 3, 4),), (0,)),
    (uses_builtin_abs, ((4,),), (0,)),
    (statistics, ((3, 4), (4,)), (0, 1)),
    (recurrence, ((5,),), (0,)),
    (updates_numbers_in_place, ((3,), None), (0, 1)),
    (permutes_axes, ((2, 3, 4), (3, 2, 4)), (0, 1)),
    (reshapes_then_multiplies, ((6,), (3, 2)), (0, 1)),
    (spaces_and_fills, (None, None), (0, 1)),
    (numbers_into_arrays, (None,), (0,)),
    (transposes_by_none, ((2, 3),), (0,)),
]


# Refused with a TranspileError (each once gave a raw traceback or a wrong answer).
def writes_through_an_alias(x):
    y = x
    y[0] = 0.0
    return np.sum(x * x)


def dots_a_scalar(s, x):
    return np.sum(np.dot(s, x))


def traces_by_einsum(a, b):
    return np.einsum("ii,i->", a, b)


def concatenates_flat(a, b):
    return np.sum(np.concatenate([a, b], axis=None))


def writes_into_a_stored_array(x):  # the list holds the same array: NumPy would change its element too
    y = np.zeros_like(x)
    ys = [y]
    y[0] = x[0] ** 2
    return np.sum(ys[0])


def writes_into_an_alias_in_a_loop(x):
    y = np.zeros_like(x)
    t = y
    for i in range(2):
        y[i] = x[i] * x[i]
    return np.sum(t)


def updates_an_alias_in_place(x):  # `z += 1.0` changes y too in NumPy
    y = x * 1.0
    z = y
    z += 1.0
    return np.sum(y ** 2)


def updates_a_view_in_place(x):
    y = x * 2.0
    v = y[1:]
    v += 1.0
    return np.sum(y ** 2)


def writes_into_a_view(x):
    y = x * 2.0
    v = y[1:]
    v[0] = 5.0
    return np.sum(y ** 2)


def accumulates_into_a_stored_array(x):
    s = x * 0.0
    history = []
    for i in range(3):
        s += x
        history.append(s)
    return np.sum(history[0])


def takes_a_trace_off_the_diagonal(x):
    return np.trace(x, 1)


def traces_a_stack(x):
    return np.sum(np.trace(x))


def takes_a_1_norm(x):
    return np.linalg.norm(x, 1)


def determinants_of_a_stack(a):
    return np.sum(np.linalg.det(a))


def returns_an_array(x):  # grad needs one number: refused before run time
    return np.sin(x)


def returns_an_outer_product(a, b):  # refused at run time (einsum's kind is not known before)
    return np.einsum("i,j->ij", a, b)


def scales(x, y):  # no sign of NumPy, and an array output
    return x * y + x


REFUSED = [(writes_through_an_alias, ((4,),)), (dots_a_scalar, (None, (3,))), (traces_by_einsum, ((3, 3), (3,))),
           (concatenates_flat, ((2, 2), (2, 2))), (determinants_of_a_stack, ((2, 3, 3),)), (takes_a_1_norm, ((3,),)),
           (writes_into_a_stored_array, ((3,),)), (writes_into_an_alias_in_a_loop, ((3,),)),
           (takes_a_trace_off_the_diagonal, ((3, 3),)), (traces_a_stack, ((2, 3, 3),)),
           (updates_an_alias_in_place, ((3,),)), (updates_a_view_in_place, ((3,),)), (writes_into_a_view, ((3,),)),
           (accumulates_into_a_stored_array, ((3,),)),
           (returns_an_array, ((3,),)), (returns_an_outer_product, ((2,), (3,))), (scales, ((3,), None))]
