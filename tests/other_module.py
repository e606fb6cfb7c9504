"""Functions called from tests/functions.py, to check calls across modules."""

import functools
import math

GAIN = 3.0


def scaled_sine(x, scale=2.0):
    """Uses its own module's constant and a default."""
    return GAIN * scale * math.sin(x)


@functools.lru_cache(maxsize=None)
def cached_square(x):
    return x * x


def registered(function):
    """A decorator that returns the function itself."""
    return function


@registered
def cube_plus(x, y):
    t = x * x * x
    return t + y
