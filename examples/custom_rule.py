"""A derivative rule of your own: a numerically stable softplus.

Run: python examples/custom_rule.py

`math.log(1 + math.exp(x))` overflows for x > 709; the stable form below
does not, but its derivative read off the code would go through `max` and
`abs` kinks.  Registering the derivative (the logistic sigmoid, written
with `tanh` so it cannot overflow either) makes transpile call `softplus`
and use that rule, in reverse and forward mode, and at any order.
"""

import math

import transpile as tp


@tp.defpartials("x", "0.5 * (1.0 + math.tanh(0.5 * x))")
def softplus(x):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def neuron(w, b, x):
    """A helper the loss calls: transpile inlines it."""
    return softplus(w * x + b)


def loss(w, b):
    return neuron(w, b, 2.0) + neuron(w, b, -1.0) * 0.5


if __name__ == "__main__":
    print(tp.source(loss, wrt=("w", "b")))
    dw, db = tp.grad(loss, wrt=("w", "b"))(400.0, 0.5)  # exp(800) would overflow: the rule does not
    print(f"at w=400, b=0.5: dloss/dw = {dw}, dloss/db = {db}")
    h = 1e-6
    print("central difference at w=0.3:", (loss(0.3 + h, 0.5) - loss(0.3 - h, 0.5)) / (2 * h),
          " transpile:", tp.grad(loss)(0.3, 0.5))
