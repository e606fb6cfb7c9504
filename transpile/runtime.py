"""The few helpers generated code calls for lists, tuples and dicts.

Scalar code needs none of them.  The adjoint (or tangent) of a structure is a
*mirror*: the same nesting with a number at every leaf, lists standing in for
tuples so it can be updated in place.  A mirror is owned by one adjoint
variable at a time, so updating it in place is safe.
"""

__all__ = ["zeros_like", "add_into", "add_at", "add_each", "as_gradient", "dict_only"]


def zeros_like(value):
    """A mirror of `value` with 0.0 at every leaf (0.0 itself for a number, zeros for an array)."""
    if isinstance(value, dict):
        return {key: zeros_like(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [zeros_like(item) for item in value]
    if getattr(value, "shape", ()):  # a NumPy array, in code that could not tell it would get one
        import numpy

        return numpy.zeros(value.shape, dtype=numpy.result_type(value, 1.0))
    return 0.0


def add_into(total, term):
    """`total + term` leaf by leaf; a mirror `total` is updated in place and returned."""
    if isinstance(total, dict):
        for key, item in term.items():
            total[key] = add_into(total[key], item)
        return total
    if isinstance(total, list):
        for index, item in enumerate(term):
            total[index] = add_into(total[index], item)
        return total
    return total + term


def add_at(total, index, term):
    """Add `term` to the element `index` of the mirror `total` (the adjoint of reading `x[index]`)."""
    total[index] = add_into(total[index], term)
    return total


def add_each(total, term):
    """Add `term` to every element of the mirror `total` (the adjoint of `sum(x)`)."""
    for index in range(len(total)):
        total[index] += term
    return total


def dict_only(value):
    """Check that `dict(value)` (or `{**value}`) copies a dict: the sweeps give the copy's adjoint to
    `value` as it is, which a list of (key, value) pairs could not take."""
    if not isinstance(value, dict):
        from .errors import TranspileError

        raise TranspileError(f"dict(...) of a {type(value).__name__} is not supported (only a copy of a dict); "
                             "write the dict as a literal or with dict(zip([keys], [values])).")
    return True


def as_gradient(mirror, value):
    """The mirror shaped like `value`: a tuple where `value` has a tuple, a float at each float
    leaf, and None at leaves that are not differentiable (ints, bools, strings, None)."""
    if isinstance(value, dict):
        return {key: as_gradient(mirror[key], item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        items = [as_gradient(m, item) for m, item in zip(mirror, value)]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, float):  # (a NumPy number where NumPy read the leaf out of an array)
        return float(mirror)
    if not isinstance(value, (int, str, type(None))):
        return mirror
    return None
