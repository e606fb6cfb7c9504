"""A two-layer network trained by gradient descent: run `python examples/mlp.py`.

The generated backward pass reads like one written by hand (`X.T @ dz`,
`np.sum(dz, axis=0)`); it is printed first.
"""

import numpy as np

import transpile as tp


def mlp_loss(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    return np.mean((h @ W2 + b2 - Y) ** 2)


def data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2.0, 2.0, size=(n, 2))
    Y = np.stack([np.sin(X[:, 0]) * np.cos(X[:, 1]), 0.5 * X[:, 0] * X[:, 1]], axis=1)
    return X, Y


if __name__ == "__main__":
    X, Y = data()
    rng = np.random.default_rng(1)
    params = [rng.normal(scale=0.5, size=(2, 32)), np.zeros(32), rng.normal(scale=0.5, size=(32, 2)), np.zeros(2)]
    gradient = tp.value_and_grad(mlp_loss, wrt=(0, 1, 2, 3))
    print(tp.source(mlp_loss, wrt=(0, 1, 2, 3), args=(*params, X, Y)))
    for step in range(1001):
        value, grads = gradient(*params, X, Y)
        if step % 125 == 0:
            print(f"step {step:4d}  loss {value:.5f}")
        params = [p - 0.1 * g for p, g in zip(params, grads)]
