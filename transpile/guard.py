"""What a generated gradient does with arguments it was not generated for.

Code for a function that shows no sign of NumPy is generated for floats (and
lists, tuples, dicts where it indexes them; ints too where it does not
differentiate).  Its first line checks the classes of the arguments, about
10 ns each; anything else comes here (the import runs only then):

- an int (or bool, or a NumPy integer) has no gradient: WrtError;
- in forward mode, a list, tuple or dict takes one pass per number: WrtError;
- a NumPy array, or a list, tuple or dict holding one (the first line checks
  the classes of a structure's leaves too): the gradient is computed by code
  generated for arrays of its kind (as for a function that uses NumPy), and
  returned;
- anything else (a NumPy number, a Fraction, a structure of them): None, and
  the code goes on (`runtime.as_gradient` gives NumPy numbers float gradients
  and refuses int leaves the output depends on).
"""

from .errors import TranspileError, WrtError, integer_argument, number_argument

ORIGINS = {}  # generated function -> (weak reference to the original function, pipeline.Options), by `load`


def other_arguments(generated, wrt, arguments, forward=False):
    """The gradient for `arguments` (the generated function's `locals()` on entry) by other code,
    or None to go on; raises WrtError for an argument in `wrt` (names) that has no gradient."""
    import numpy

    origin = ORIGINS.get(generated)
    func = origin and origin[0]()
    name = func.__name__ if func else generated.__name__.removeprefix("value_and_grad_").removeprefix("grad_")
    for param in wrt:
        value = arguments[param]
        if value.__class__ is bool:
            raise WrtError(f"cannot differentiate '{name}' with respect to '{param}': it is the bool {value!r}, "
                           "which has no gradient; leave it out of wrt.")
        if value.__class__ is int:
            raise integer_argument(name, **{param: value})
        if isinstance(value, (numpy.integer, numpy.bool_)):
            raise WrtError(f"cannot differentiate '{name}' with respect to '{param}': it is the "
                           f"{type(value).__name__} {value!r}, which has no gradient (as an int has none); "
                           f"pass float({param}) or leave '{param}' out of wrt.")
        if forward and value.__class__ in (list, tuple, dict):
            raise number_argument(name, **{param: value})
    arrays = [param for param, value in arguments.items() if holds_array(value)]
    if not arrays:
        return None
    if func is None:
        raise TranspileError(f"'{generated.__name__}' was generated for numbers, lists, tuples and dicts, and "
                             f"'{arrays[0]}' is a NumPy array or holds one; generate code for arrays with "
                             f"transpile.grad({name}) "
                             "in this process (the function it was generated from is gone).")
    from .api import for_arrays

    return for_arrays(func, origin[1], arguments)


def holds_array(value):
    """Whether `value` is a NumPy array or a list, tuple or dict with one among its leaves."""
    import numpy

    if value.__class__ in (list, tuple):
        return any(holds_array(item) for item in value)
    if value.__class__ is dict:
        return any(holds_array(item) for item in value.values())
    return isinstance(value, numpy.ndarray)
