"""The helpers generated code for NumPy functions calls where one expression would not do.

Each is the adjoint (or tangent) of one array operation, written once here
rather than spelled out in every generated function.
"""

import numpy as np

__all__ = ["expand_to", "unbroadcast", "scatter_add", "extreme_weights", "matmul_adjoint_a", "matmul_adjoint_b", "split_like", "join_like",
           "with_item", "product_of_others", "scalar_output", "as_dtype_of", "reversed_cumsum", "identity_like",
           "inverse_or_zero", "inverse_permutation"]


def expand_to(dout, x, axis=None, keepdims=False):
    """The adjoint of a sum of `x` over `axis`: `dout` spread back over the summed axes."""
    if axis is not None and not keepdims and np.ndim(x):  # (NumPy reduces a number over axis 0 or -1 to itself)
        dout = np.expand_dims(dout, axis)
    return np.array(np.broadcast_to(dout, np.shape(x)))  # a writable array (it may be a gradient)


def unbroadcast(term, x):
    """`term` summed over the axes along which `x` was broadcast (when the kinds did not tell)."""
    shape = np.shape(x)
    if np.shape(term) == shape:
        return term
    if np.ndim(term) < len(shape) or any(t == 1 and n != 1 for t, n in zip(np.shape(term)[::-1], shape[::-1])):
        term = term + np.zeros(shape, dtype=np.result_type(term))  # a zero or uniform adjoint, spread out
        if np.shape(term) == shape:
            return term
    term = np.sum(term, axis=tuple(range(np.ndim(term) - len(shape)))) if np.ndim(term) > len(shape) else term
    kept = tuple(i for i, n in enumerate(shape) if n == 1 and np.shape(term)[i] != 1)
    term = np.sum(term, axis=kept, keepdims=True) if kept else term
    return term if shape else term.item() if isinstance(term, np.ndarray) else term


def scatter_add(dout, x, index, *more):
    """The adjoint of reading `x[index]`: zeros shaped like `x` with `dout` added at `index`
    (repeated indices add up).  `more` holds further pairs `dout, index` of reads of the same
    `x`, added into the same array."""
    total = np.zeros(np.shape(x), dtype=np.result_type(x, dout, *more[::2]))
    if _basic(index):  # slices and ints select each element once
        total[index] = dout
    else:
        np.add.at(total, index, dout)
    for position in range(0, len(more), 2):
        term, where = more[position], more[position + 1]
        if _basic(where):
            total[where] += term
        else:
            np.add.at(total, where, term)
    return total


def _basic(index):
    if index.__class__ is slice or index.__class__ is int:
        return True
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (slice, int, type(None))) or p is Ellipsis for p in parts)


def extreme_weights(x, out, axis=None, keepdims=False):
    """Where `x` attains its max (or min) `out` along `axis`: 1/count there, 0 elsewhere (ties
    share the gradient evenly, as for the scalar max)."""
    axis = None if np.ndim(x) == 0 else axis  # (NumPy reduces a number over axis 0 or -1 to itself)
    hits = x == (out if axis is None or keepdims else np.expand_dims(out, axis))
    return hits / np.count_nonzero(hits, axis=axis, keepdims=True).astype(np.result_type(x, 1.0))


def matmul_adjoint_a(dout, a, b):
    """The adjoint of `a` in `a @ b` for operands of any rank (1-D vectors and stacks of matrices)."""
    a2, b2, d2 = _as_matrices(dout, a, b)
    da = d2 @ np.swapaxes(b2, -1, -2)
    return unbroadcast(da[..., 0, :] if np.ndim(a) == 1 else da, a)


def matmul_adjoint_b(dout, a, b):
    """The adjoint of `b` in `a @ b` for operands of any rank."""
    a2, b2, d2 = _as_matrices(dout, a, b)
    db = np.swapaxes(a2, -1, -2) @ d2
    return unbroadcast(db[..., 0] if np.ndim(b) == 1 else db, b)


def _as_matrices(dout, a, b):
    a2 = a[None, :] if np.ndim(a) == 1 else a
    b2 = b[:, None] if np.ndim(b) == 1 else b
    return a2, b2, np.reshape(dout, np.shape(a2 @ b2))


def split_like(dout, parts, axis=0):
    """The adjoint of `np.concatenate(parts, axis)`: `dout` cut back into pieces shaped like `parts`."""
    ends = np.cumsum([np.shape(p)[axis] for p in parts])[:-1]
    return np.split(dout, ends, axis=axis)


def join_like(pieces, parts, axis=0):
    """The adjoint of `split_like`: the pieces joined again (a 0.0 piece, which nothing reached,
    as zeros shaped like its part)."""
    return np.concatenate([np.broadcast_to(piece, np.shape(part)) for piece, part in zip(pieces, parts)], axis=axis)


def with_item(x, index, value):
    """`x[index] = value` on a copy of `x` (what the function writes into stays as the caller gave it,
    and every earlier value of the array stays available to the backward sweep)."""
    out = np.array(x, copy=True)
    out[index] = value
    return out


def product_of_others(x, axis=None):
    """d prod(x, axis) / dx: at each entry, the product of the other entries along `axis` (exact
    where entries are zero, unlike prod / x)."""
    x = np.asarray(x)
    if x.ndim == 0:  # a number: no other entries
        return np.ones_like(x)
    if axis is None:
        return product_of_others(x.reshape(-1), 0).reshape(x.shape)
    moved = np.moveaxis(x, axis, -1)
    ones = np.ones(moved.shape[:-1] + (1,), dtype=moved.dtype)
    before = np.cumprod(np.concatenate([ones, moved[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, moved[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return np.moveaxis(before * after, -1, axis)


def scalar_output(value):
    """The output of a function `grad` differentiates, where its kind was not known before run time:
    a gradient needs one number."""
    if np.ndim(value) != 0:
        import sys

        from .errors import NonScalarOutputError

        raise NonScalarOutputError(f"{sys._getframe(1).f_code.co_name}: the function returned an array of shape "
                                   f"{np.shape(value)}, and a gradient needs one number; use transpile.vjp or "
                                   "transpile.jvp for array outputs, or reduce the output (np.sum).")
    return value


def as_dtype_of(value, x):
    """`value` as an array of `x`'s dtype: the gradient of a float32 array is float32."""
    return np.asarray(value, dtype=np.result_type(x))


def reversed_cumsum(dout, x, axis=None):
    """The adjoint of `np.cumsum(x, axis)`: at each entry, the sum of `dout` from there to the end
    (over the flattened array for `axis=None`)."""
    if axis is None or np.ndim(x) == 0:  # (a number's cumulative sum along any axis is a 1-vector)
        return np.reshape(np.cumsum(np.ravel(dout)[::-1])[::-1], np.shape(x))
    return np.flip(np.cumsum(np.flip(dout, axis), axis), axis)


def identity_like(a):
    """The identity matrix shaped like the matrix `a` (the derivative of its trace)."""
    if np.ndim(a) != 2:
        from .errors import TranspileError

        raise TranspileError(f"np.trace is differentiated for one 2-D matrix, not an array of shape {np.shape(a)}")
    rows, columns = np.shape(a)
    return np.eye(rows, columns, dtype=np.result_type(a, 1.0))


def inverse_or_zero(s):
    """1 / s, and 0 where s is 0 (a standard deviation of entries all equal has gradient 0 there,
    as abs has at 0)."""
    s = np.asarray(s, dtype=np.result_type(s, 1.0))
    inverse = np.divide(1.0, s, out=np.zeros_like(s), where=s != 0)
    return inverse if inverse.ndim else inverse[()]


def inverse_permutation(axes):
    """The axes that undo `np.transpose(x, axes)` (None, all axes reversed, undoes itself)."""
    return None if axes is None else tuple(int(a) for a in np.argsort(axes))


def as_mirror(dout, x):
    """The adjoint of `np.array(x)` where x's kind was not known before run time: a list (so it can be
    popped and updated in place) for a list or tuple x, the array itself for a number or an array."""
    return list(dout) if isinstance(x, (list, tuple)) else dout


__all__ += ["as_mirror"]
