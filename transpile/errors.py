"""Errors the package raises on purpose, and how they point at the user's code."""


class TranspileError(Exception):
    """Base of every error transpile raises deliberately."""


class UnsupportedSyntaxError(TranspileError):
    """The function uses a construct outside the supported subset."""


class UnknownNameError(TranspileError):
    """A name the function reads resolves to nothing transpile can use."""


class NoRuleError(TranspileError):
    """A call resolves to a callable with no derivative rule and no source."""


class SourceUnavailableError(TranspileError):
    """The function's source cannot be retrieved (builtin, REPL, exec)."""


class NonScalarOutputError(TranspileError):
    """`grad` was asked for a function whose output is not a scalar."""


class WrtError(TranspileError):
    """`wrt` names no parameter, or a parameter that cannot be differentiated."""


def integer_argument(function_name, **arguments):
    """The WrtError generated code raises when asked for the gradient of an int argument."""
    name, value = next((n, v) for n, v in arguments.items() if v.__class__ is int)
    return WrtError(f"cannot differentiate '{function_name}' with respect to '{name}': it is the int {value!r}, and "
                    f"ints are not differentiable; pass {float(value)!r} or leave '{name}' out of wrt.")


def number_argument(function_name, **arguments):
    """The WrtError a forward-mode gradient raises for an int, list, tuple or dict argument."""
    name, value = next((n, v) for n, v in arguments.items() if v.__class__ in (int, list, tuple, dict))
    if value.__class__ is int:
        return integer_argument(function_name, **{name: value})
    return WrtError(f"cannot differentiate '{function_name}' with respect to '{name}' in forward mode: it is a "
                    f"{type(value).__name__}, and forward mode takes one pass per number; use mode='reverse'.")


def located_message(function_name, filename, lineno, source_line, col, end_col, problem):
    """Format an error the way API.md shows it.

    `lineno` is the line in `filename`; `col`/`end_col` index into
    `source_line` (`end_col` None: the construct spans several lines, so the
    caret marks its first word); `problem` says what it is and what to do.
    """
    import os
    import re

    indent = len(source_line) - len(source_line.lstrip())
    text = source_line.strip()
    col = max(0, col - indent)
    if end_col is None or end_col - indent <= col:
        word = re.match(r"\w+|\S", text[col:])
        end_col = col + (len(word.group()) if word else 1)
    else:
        end_col = min(end_col - indent, len(text))
    caret = " " * col + "^" * max(1, end_col - col)
    where = f"{os.path.basename(filename)}, line {lineno}"
    return f"cannot differentiate '{function_name}' ({where}):\n    {text}\n    {caret}\n{problem}"
