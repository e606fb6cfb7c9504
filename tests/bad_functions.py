"""Functions transpile must refuse, each with a marker comment on the offending line."""

import math

import numpy


def uses_try(x):
    try:  # OFFENDING
        y = x * 2.0
    except ValueError:
        y = x
    return y


def uses_loop_over_a_list(x):
    for i in [1.0, 2.0]:  # OFFENDING
        x = x * i
    return x


def loops_over_zip(x):
    for a, b in zip([x], [x]):  # OFFENDING
        x = x * a * b
    return x


def returns_inside_a_loop(x):
    while x < 10.0:
        return x  # OFFENDING
    return x


def uses_unknown_name(x):
    return x * undefined_thing  # OFFENDING  # noqa: F821


def recursive(x):
    return recursive(x * 0.5) + x  # OFFENDING


def ping(x):
    return pong(x) * 2.0


def pong(x):
    return ping(x * 0.5) + x  # OFFENDING


def calls_extension_function(x):
    return numpy.sin(x) + 1.0  # OFFENDING


def calls_function_without_rule(x):
    return math.gamma(x)  # OFFENDING


def returns_tuple(x):
    return x, x * 2.0  # OFFENDING


def uses_walrus(x):
    return (y := x * 2.0) + y  # OFFENDING


def uses_star_args(*xs):  # OFFENDING
    return xs[0]


def uses_string(x):
    label = "hello"  # OFFENDING
    return x


def uses_global(x):
    global counter  # OFFENDING
    return x


def uses_lambda(x):
    f = lambda t: t * 2.0  # OFFENDING  # noqa: E731
    return f(x)


def uses_with(x):
    with open("f"):  # OFFENDING
        return x


def uses_list(x):
    return [x, x][0]  # OFFENDING


def uses_before_assignment(x):
    y = z * x  # OFFENDING  # noqa: F821
    z = 1.0
    return y


def no_return(x):  # OFFENDING
    y = x * 2.0


def uses_recursive_helper(x):
    def inner(t):
        return inner(t * 0.5) if t > 1.0 else t  # OFFENDING
    return inner(x)


def uses_helper_with_defaults(x):
    def inner(t, s=2.0):  # OFFENDING
        return t * s
    return inner(x)


def uses_keyword_call(x):
    return math.log(x, base=2.0)  # OFFENDING


def uses_attribute_of_local(x):
    return x.real  # OFFENDING


def uses_del(x):
    y = x
    del y  # OFFENDING
    return x


BAD = [uses_try, uses_loop_over_a_list, loops_over_zip, returns_inside_a_loop, uses_unknown_name, recursive, calls_extension_function, calls_function_without_rule,
       returns_tuple, uses_walrus, uses_star_args, uses_string, uses_global, uses_lambda, uses_with, uses_list,
       uses_before_assignment, no_return, uses_recursive_helper, uses_helper_with_defaults, uses_keyword_call, uses_attribute_of_local, uses_del]
