"""A function with a deliberately wrong derivative rule, for check_grad to catch."""

import math

import transpile as tp


@tp.defpartials("x", "math.cos(x) * 1.01")  # wrong by 1%
def slightly_wrong_sin(x):
    return math.sin(x)


def uses_wrong_rule(x, y):
    return slightly_wrong_sin(x) * y
