"""NumPy functions for bench/bench_numpy.py, with hand-written gradients a careful person would write."""

import numpy as np


def mlp_loss(W1, b1, W2, X, Y):
    h = np.tanh(X @ W1 + b1)
    return np.mean((h @ W2 - Y) ** 2)


def mlp_loss_grad(W1, b1, W2, X, Y):
    h = np.tanh(X @ W1 + b1)
    r = h @ W2 - Y
    dr = (2.0 / r.size) * r
    dz = (dr @ W2.T) * (1.0 - h * h)
    return X.T @ dz, dz.sum(axis=0), h.T @ dr


def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def logsumexp_grad(x):
    e = np.exp(x - np.max(x))
    return e / e.sum()


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_grad(x):
    head, tail = x[:-1], x[1:]
    inner = tail - head * head
    g = np.zeros_like(x)
    g[:-1] = -400.0 * head * inner - 2.0 * (1.0 - head)
    g[1:] += 200.0 * inner
    return g


def as_autograd(name, numpy_module):
    """The same function written against `numpy_module` (autograd.numpy or jax.numpy)."""
    xp = numpy_module
    functions = {
        "mlp": lambda W1, b1, W2, X, Y: xp.mean((xp.tanh(X @ W1 + b1) @ W2 - Y) ** 2),
        "logsumexp": lambda x: xp.max(x) + xp.log(xp.sum(xp.exp(x - xp.max(x)))),
        "rosenbrock": lambda x: xp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2),
    }
    return functions[name]


_rng = np.random.default_rng(0)
CASES = [  # (name, f, hand-written gradient, arguments, wrt, calls per timing)
    ("mlp", mlp_loss, mlp_loss_grad, (_rng.normal(size=(64, 128)) * 0.1, np.zeros(128),
                                      _rng.normal(size=(128, 10)) * 0.1, _rng.normal(size=(256, 64)),
                                      _rng.normal(size=(256, 10))), (0, 1, 2), 200),
    ("logsumexp", logsumexp, logsumexp_grad, (_rng.normal(size=10_000),), (0,), 1000),
    ("rosenbrock", rosenbrock, rosenbrock_grad, (_rng.uniform(-1, 1, size=1000),), (0,), 2000),
]
