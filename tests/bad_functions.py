"""Functions transpile must refuse, each with a marker comment on the offending line."""

import math

import numpy


def uses_try(x):
    try:  # OFFENDING
        y = x * 2.0
    except ValueError:
        y = x
    return y


def reads_a_list_it_grows(x):
    ys = [x]
    for i in range(3):
        ys.append(ys[-1] * x)  # OFFENDING
    return ys[-1]


def appends_to_an_argument(xs):
    xs.append(1.0)  # OFFENDING
    return sum(xs)


def assigns_an_element(x):
    ys = [x, x]
    ys[0] = 2.0 * x  # OFFENDING
    return ys[0] * ys[1]


def slices_a_list(xs):
    return sum(xs[1:])  # OFFENDING


slices_a_list.args = ([1.0, 2.0, 3.0],)  # slices may be of arrays: refused once the argument is seen


def calls_a_dict_method(d):
    for key, value in d.items():  # OFFENDING
        d = value
    return d


def zips_backwards(xs, ys):
    total = 0.0
    for x, y in reversed(zip(xs, ys)):  # OFFENDING
        total = total + x * y
    return total


def sums_with_a_start(xs):
    return sum(xs, 1.0)  # OFFENDING


def while_loop_with_else(x):
    while x < 10.0:  # OFFENDING
        x = x * 2.0
    else:
        x = x + 1.0
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
    return numpy.cbrt(x) + 1.0  # OFFENDING


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


def uses_set(x):
    return sum({x, 2.0 * x})  # OFFENDING


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


def uses_yield(x):
    yield x * 2.0  # OFFENDING


async def uses_async(x):  # OFFENDING
    return x * 2.0


def uses_nonlocal(x):
    def inner():
        nonlocal x  # OFFENDING
        x = 2.0 * x
    inner()
    return x


def defines_a_class(x):
    class Box:  # OFFENDING
        pass
    return x


def assigns_an_attribute(p):
    p.value = 1.0  # OFFENDING
    return 2.0


def uses_match(x):
    match x:  # OFFENDING
        case 0.0:
            return 1.0
    return x


BAD = [uses_yield, uses_async, uses_nonlocal, defines_a_class, assigns_an_attribute, uses_match,
       uses_try, reads_a_list_it_grows, appends_to_an_argument, assigns_an_element, slices_a_list,
       calls_a_dict_method, zips_backwards, sums_with_a_start, while_loop_with_else, uses_unknown_name, recursive, calls_extension_function, calls_function_without_rule,
       returns_tuple, uses_walrus, uses_star_args, uses_string, uses_global, uses_lambda, uses_with, uses_set,
       uses_before_assignment, no_return, uses_recursive_helper, uses_helper_with_defaults, uses_keyword_call, uses_attribute_of_local, uses_del]
