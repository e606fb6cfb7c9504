"""Logistic regression trained by gradient descent: run `python examples/logistic_regression.py`.

The gradient of the loss is generated once for arrays of these shapes and
then called every step; `tp.source(..., args=...)` shows the code it runs.
"""

import numpy as np

import transpile as tp


def loss(w, b, X, y):
    """Mean cross-entropy of a linear classifier (log(1 + e^z) written stably)."""
    z = X @ w + b
    return np.mean(np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z))))


def data(n=400, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    true_w = rng.normal(size=d)
    y = (X @ true_w + 0.3 * rng.normal(size=n) > 0).astype(float)
    return X, y


if __name__ == "__main__":
    X, y = data()
    w, b = np.zeros(X.shape[1]), 0.0
    gradient = tp.value_and_grad(loss, wrt=("w", "b"))
    print(tp.source(loss, wrt=("w", "b"), args=(w, b, X, y)))
    for step in range(201):
        value, (dw, db) = gradient(w, b, X, y)
        if step % 25 == 0:
            accuracy = np.mean((X @ w + b > 0) == (y > 0.5))
            print(f"step {step:4d}  loss {value:.4f}  accuracy {accuracy:.3f}")
        w, b = w - 0.5 * dw, b - 0.5 * db
