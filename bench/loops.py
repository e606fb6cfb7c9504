"""Loop functions for bench/bench_loops.py, with hand-written gradients that keep their own list of states."""

import math


def descent(x, y, steps):
    for i in range(steps):
        x = x - 0.01 * math.sin(x) * y
    return x * x


def descent_grad(x, y, steps):
    states = []
    for i in range(steps):
        states.append(x)
        x = x - 0.01 * math.sin(x) * y
    dx = 2.0 * x
    dy = 0.0
    for i in range(steps):
        x = states.pop()
        s = math.sin(x)
        dy -= 0.01 * s * dx
        dx -= 0.01 * y * math.cos(x) * dx
    return dx, dy
