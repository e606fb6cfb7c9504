"""What a generated gradient does with arguments it was not generated for.

Code for a function that shows no sign of NumPy is generated for floats (and
lists, tuples, dicts where it indexes them; ints too where it does not
differentiate).  Its first line checks the classes of the arguments, about
10 ns each; anything else comes here (the import runs only then):

- an int (or bool) has no gradient: WrtError;
- in forward mode, a list, tuple or dict takes one pass per number: WrtError;
- a NumPy array: the gradient is computed by code generated for arrays of its
  kind (as for a function that uses NumPy), and returned;
- anything else (a NumPy float, a Fraction): None, and the code goes on.
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
        if forward and value.__class__ in (list, tuple, dict):
            raise number_argument(name, **{param: value})
    arrays = [param for param, value in arguments.items() if isinstance(value, numpy.ndarray)]
    if not arrays:
        return None
    if func is None:
        raise TranspileError(f"'{generated.__name__}' was generated for numbers, lists, tuples and dicts, and "
                             f"'{arrays[0]}' is a NumPy array; generate code for arrays with transpile.grad({name}) "
                             "in this process (the function it was generated from is gone).")
    from .api import for_arrays

    return for_arrays(func, origin[1], arguments)
