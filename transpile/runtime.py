"""The few helpers generated code calls for lists, tuples and dicts.

Scalar code needs none of them.  The adjoint (or tangent) of a structure is a
*mirror*: the same nesting with a number at every leaf, lists standing in for
tuples so it can be updated in place.  A mirror is owned by one adjoint
variable at a time, so updating it in place is safe.
"""

__all__ = ["zeros_like", "add_into", "add_at", "add_each", "as_gradient", "numbers_only", "dict_only"]

_STRUCTURES = (list, tuple, dict)
_NUMBERS = frozenset({float, int, bool, str, type(None)})  # the leaves code for structures is made for
_NUMBERS_AND_STRUCTURES = _NUMBERS | frozenset(_STRUCTURES)
_FLOATS = frozenset({float})
# A flat list, tuple or dict of numbers (the common case) is mirrored by C loops over its leaves'
# classes, not one Python call per leaf: that pays for the leaf check on entry (`numbers_only`).


def zeros_like(value):
    """A mirror of `value` with 0.0 at every leaf (0.0 itself for a number, zeros for an array)."""
    if (value.__class__ is list or value.__class__ is tuple) and _NUMBERS.issuperset(map(type, value)):
        return [0.0] * len(value)
    if value.__class__ is dict and _NUMBERS.issuperset(map(type, value.values())):
        return dict.fromkeys(value, 0.0)
    if isinstance(value, dict):
        return {key: 0.0 if item.__class__ is float else zeros_like(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [0.0 if item.__class__ is float else zeros_like(item) for item in value]
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
    """Add `term` to the element `index` of the mirror `total` (the adjoint of reading `x[index]`).
    An array (code that could not tell it would get one) adds unbuffered: an index array that
    repeats a position (`x[[1, 0, 1]]`) adds every term there, not only the last."""
    if getattr(total, "shape", ()) and type(index) is not int:
        import numpy

        numpy.add.at(total, index, term)
        return total
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


def as_gradient(mirror, value, owner=None):
    """The mirror shaped like `value`: a tuple where `value` has a tuple, a float at each float
    leaf (and at a NumPy float's), an array of the leaf's shape and dtype at an array leaf, and None
    at leaves that are not differentiable (ints, bools, strings, None).  An int leaf (or an integer
    array) the output depends on, seen by a nonzero adjoint, raises WrtError naming `owner` ("'f'
    with respect to 'xs'"), as an int argument does: None would be a silently missing derivative."""
    if (value.__class__ is list or value.__class__ is tuple) and _FLOATS.issuperset(map(type, value)) and \
            _FLOATS.issuperset(map(type, mirror)):
        return list(mirror) if value.__class__ is list else tuple(mirror)
    if isinstance(value, dict):
        return {key: m if item.__class__ is float and (m := mirror[key]).__class__ is float else
                as_gradient(mirror[key], item, owner) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        items = [m if item.__class__ is float and m.__class__ is float else as_gradient(m, item, owner)
                 for m, item in zip(mirror, value)]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, float):  # (array code may give a NumPy number: a float leaf gets a float)
        return mirror if mirror.__class__ is float else float(mirror)
    if isinstance(value, (str, type(None))):
        return None
    dtype = getattr(value, "dtype", None)
    if isinstance(value, int) or (dtype is not None and dtype.kind in "iub"):
        if owner is not None and _nonzero(mirror):
            kind = f"an array of {dtype}" if getattr(value, "shape", ()) else f"the {type(value).__name__} {value!r}"
            raise _wrt_error(f"cannot differentiate {owner}: one of its leaves is {kind}, which has no gradient, "
                             "but the output depends on it; pass floats there (float(n), a.astype(float)).")
        return None
    if dtype is None:
        return mirror  # (a Fraction, say: what its arithmetic gave)
    import numpy

    if not isinstance(value, numpy.ndarray):
        return float(mirror)  # a NumPy number: a Python float, as for an argument
    if numpy.shape(mirror) == value.shape:  # the gradient of an array has its dtype (float32 for float32)
        return numpy.asarray(mirror, dtype=dtype)
    if numpy.ndim(mirror) == 0:  # a uniform adjoint
        return numpy.full(value.shape, mirror, dtype=dtype)
    from .errors import TranspileError

    raise TranspileError(f"the gradient {owner or ''} of an array of shape {value.shape} came out with shape "
                         f"{numpy.shape(mirror)}; please report this function.")


def _nonzero(mirror):
    try:
        return bool(mirror != 0) if not getattr(mirror, "shape", ()) else bool((mirror != 0).any())
    except (TypeError, ValueError):
        return True


def _wrt_error(message):
    from .errors import WrtError

    return WrtError(message)


def numbers_only(value):
    """Whether every leaf of the list, tuple or dict `value` is a Python float, int, bool, str or
    None: what code generated for structures computes with.  Generated code checks this on entry
    and sends anything else (a NumPy array or number inside) to `guard.other_arguments`; for a
    flat structure the check runs in C (a set of the leaves' classes)."""
    items = value.values() if value.__class__ is dict else value
    if _NUMBERS.issuperset(map(type, items)):
        return True
    for item in items:
        if item.__class__ in _STRUCTURES:
            if not numbers_only(item):
                return False
        elif item.__class__ not in _NUMBERS:
            return False
    return True
