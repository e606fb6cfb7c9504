"""Functions over lists, tuples and dicts, each with arguments to check its gradient at.

`CASES` holds (function, arguments, positions to differentiate); every test
over it compares both modes with central differences at every float leaf.
"""

import math


def loss(params, data):
    total = 0.0
    for xi, yi in data:
        err = params["w"] * xi + params["b"] - yi
        total += err * err
    return total / len(data)


def unpacks_a_tuple(p):
    a, b = p
    return a * b + math.sin(a)


def sums_a_list(xs):
    return sum(xs) * xs[0]


def squares_in_a_comprehension(xs):
    return sum([x * x for x in xs])


def dot_by_zip(xs, ys):
    return sum(x * y for x, y in zip(xs, ys))


def weights_by_enumerate(xs):
    total = 0.0
    for i, x in enumerate(xs):
        total += (i + 1) * x * x
    return total


def horner_backwards(coefficients, x):
    acc = 0.0
    for c in reversed(coefficients):
        acc = acc * x + c
    return acc


def appends_in_a_loop(xs, n):
    ys = []
    for i in range(n):
        ys.append(xs[i % len(xs)] * (i + 1))
    total = 0.0
    for j, y in enumerate(ys):
        total = total + y * xs[0] ** j
    return total


def builds_structures(x, y):
    pair = (x, y)
    d = {"a": x, "b": [y, x * y]}
    named = dict(u=x, v=y)
    return pair[0] * d["b"][1] + named["v"] * len(d["b"]) + d["a"]


def reads_nested_dicts(d):
    return d["a"]["x"] * d["b"][1] + sum(d["b"])


def indexes_with_an_int_argument(coefficients, k, x):
    return coefficients[k] * x ** k + coefficients[-1]


def unpacks_in_the_loop_header(points):
    total = 0.0
    for (a, b) in points:
        total += a * b - math.log(b)
    return total


def filters_in_a_comprehension(xs):
    values = [x if x > 0.6 else x * x for x in xs if x < 1.4]
    return sum(values) + len(values)


def returns_part_of_a_list(x, y):
    ys = [x * y, x + y, x - y]
    return ys[1] * ys[2] + ys[-3]


def calls_a_helper_on_a_list(xs):
    def norm2(v):
        return sum([e * e for e in v])

    return math.sqrt(norm2(xs))


def while_over_a_list(xs):
    i = 0
    total = 0.0
    while i < len(xs):
        total += xs[i] * xs[i]
        i += 1
    return total


def breaks_out_of_a_list(xs):
    total = 0.0
    for x in xs:
        if total > 1.5:
            break
        total += x * x
    return total


def matrix_vector(m, v):
    return sum([sum([a * b for a, b in zip(row, v)]) ** 2 for row in m])


def list_in_a_branch(x, y):
    if x > y:
        values = [x, y * y]
    else:
        values = [y, x * x, x * y]
    return sum(values) * values[0]


def grows_a_list_per_pass(xs):
    total = 0.0
    for x in xs:
        powers = [x]
        for k in range(3):
            powers.append(x ** (k + 2))
        total += sum(powers) * powers[-1]
    return total


def returns_the_first_large_term(xs, t):
    for x in xs:
        if x * t > 1.0:
            return x * x * t
    return t * t


def powers_by_comprehension(x, n):
    terms = [x ** (k + 1) / (k + 1) for k in range(n)]
    return sum(terms) * terms[0]


def builds_dicts_from_structures(x, y):  # dict(...) of a dict, pairs or zip once lost the gradient or crashed
    d = dict({"a": x})
    e = dict([("a", x), ("b", x)], b=y)  # the later value of a key wins, and only it gets the adjoint
    z = dict(zip(["p", "q"], [x * y, y]))
    return d["a"] * e["a"] * e["b"] + z["p"] * z["q"] ** 2


def copies_a_dict(params):
    d = dict(params)
    e = {**params}
    return d["w"] * e["b"] ** 2 + e["w"]


def converts_sequences(xs, x):  # list((x, x)) once crashed
    pair = list((x, x))
    tup = tuple([x, xs[0]])
    squares = list(v * v for v in xs)
    thirds = tuple(v / 3.0 for v in xs)
    copied = list(xs)
    copied.append(x * pair[1])
    pairs = list(zip(xs, squares))
    total = 0.0
    for i, v in list(enumerate(tuple(xs))):
        total = total + i * v
    backwards = list(reversed(xs))
    return pair[0] * tup[1] + squares[1] * thirds[0] + copied[-1] * pairs[1][1] + total + sum(list(xs)) * backwards[0]


CASES = [
    (loss, ({"w": 0.5, "b": 0.1}, [(1.0, 2.0), (2.0, 3.5), (3.0, 7.0)]), (0,)),
    (loss, ({"w": 0.5, "b": 0.1}, [(1.0, 2.0), (2.0, 3.5), (3.0, 7.0)]), (0, 1)),
    (unpacks_a_tuple, ((0.7, 1.3),), (0,)),
    (sums_a_list, ([0.5, 1.2, 0.9],), (0,)),
    (squares_in_a_comprehension, ([0.5, 1.2, 0.9],), (0,)),
    (dot_by_zip, ([0.5, 1.2, 0.9], [1.1, 0.3, 0.8, 5.0]), (0, 1)),
    (weights_by_enumerate, ([0.5, 1.2, 0.9],), (0,)),
    (horner_backwards, ([0.5, 1.2, 0.9, 0.3], 0.7), (0, 1)),
    (appends_in_a_loop, ([1.0, 1.3, 0.5], 5), (0,)),
    (builds_structures, (0.6, 1.1), (0, 1)),
    (reads_nested_dicts, ({"a": {"x": 1.2, "unused": 3}, "b": (0.3, 0.4)},), (0,)),
    (indexes_with_an_int_argument, ((0.5, 1.2, 0.9), 2, 0.8), (0, 2)),
    (unpacks_in_the_loop_header, ([(0.5, 1.2), (0.9, 0.4)],), (0,)),
    (filters_in_a_comprehension, ([0.5, 1.2, 0.9, 1.45],), (0,)),
    (returns_part_of_a_list, (0.6, 1.1), (0, 1)),
    (calls_a_helper_on_a_list, ([0.5, 1.2, 0.9],), (0,)),
    (while_over_a_list, ([0.5, 1.2, 0.9],), (0,)),
    (breaks_out_of_a_list, ([0.5, 1.2, 0.9, 0.4],), (0,)),
    (matrix_vector, ([[0.5, 1.2], [0.9, 0.3], [0.2, 0.7]], [1.1, 0.6]), (0, 1)),
    (list_in_a_branch, (0.6, 1.1), (0, 1)),
    (list_in_a_branch, (1.3, 1.1), (0, 1)),
    (grows_a_list_per_pass, ([0.5, 1.2, 0.9],), (0,)),
    (returns_the_first_large_term, ([0.5, 1.5, 2.0], 0.9), (0, 1)),
    (returns_the_first_large_term, ([0.5, 0.6], 0.9), (0, 1)),
    (powers_by_comprehension, (0.7, 4), (0,)),
    (builds_dicts_from_structures, (0.6, 1.1), (0, 1)),
    (copies_a_dict, ({"w": 0.5, "b": 1.3},), (0,)),
    (converts_sequences, ((0.5, 1.2, 0.9), 0.7), (0, 1)),
    (converts_sequences, ([0.5, 1.2], 0.7), (0, 1)),
]
