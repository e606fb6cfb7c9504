"""A first gradient: run `python examples/quickstart.py`."""

import math

import transpile as tp


def f(x, y):
    t = math.sin(x) * y
    return t * t + math.exp(t) / (1.0 + x * x)


if __name__ == "__main__":
    df = tp.grad(f, wrt=("x", "y"))
    print(tp.source(f, wrt=("x", "y")))
    dx, dy = df(0.3, 2.0)
    h = 1e-6
    print(f"df/dx = {dx:.12f}   central difference {(f(0.3 + h, 2.0) - f(0.3 - h, 2.0)) / (2 * h):.12f}")
    print(f"df/dy = {dy:.12f}   central difference {(f(0.3, 2.0 + h) - f(0.3, 2.0 - h)) / (2 * h):.12f}")
