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


def least_squares(params, data):
    total = 0.0
    for xi, yi in data:
        err = params["w"] * xi + params["b"] - yi
        total += err * err
    return total / len(data)


def least_squares_grad(params, data):
    w, b = params["w"], params["b"]
    dw = db = 0.0
    scale = 2.0 / len(data)
    for xi, yi in data:
        err = w * xi + b - yi
        dw += scale * err * xi
        db += scale * err
    return {"w": dw, "b": db}
