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


def located_message(function_name, filename, lineno, source_line, col, end_col, problem):
    """Format an error the way API.md shows it.

    `lineno` is the line in `filename`; `col`/`end_col` index into `source_line`
    (already dedented); `problem` says what the construct is and what to do.
    """
    import os

    where = f"{os.path.basename(filename)}, line {lineno}"
    text = source_line.rstrip()
    if end_col is None or end_col <= col:
        end_col = len(text)
    caret = " " * col + "^" * max(1, min(end_col, len(text)) - col)
    return f"cannot differentiate '{function_name}' ({where}):\n    {text}\n    {caret}\n{problem}"
