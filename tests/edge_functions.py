"""Functions at non-differentiable or singular points, for tests/test_edges.py."""

import math

import numpy as np


def square_by_power(x):
    return x ** 2.0


def smooth_root(x):
    return math.sqrt(x * x + 1.0)


def zero_to_the_y(x, y):
    return x ** y


def x_to_the_zero(x):
    return x ** 0


def absolute(x):
    return abs(x)


def maximum(x, y):
    return max(x, y)


def root(x):
    return math.sqrt(x)


def logarithm(x):
    return math.log(x)


def reciprocal(x):
    return 1.0 / x


def array_power(x, y):
    return np.sum(x ** y)


def array_root(x):
    return np.sum(np.sqrt(x))


def column_products(x):
    return np.sum(np.prod(x, axis=0))


def total_product(x):
    return np.prod(x)
