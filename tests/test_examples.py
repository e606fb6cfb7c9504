"""Every example runs, and every function it differentiates agrees with central differences."""

import glob
import importlib
import inspect
import os
import re
import subprocess
import sys

import pytest

import transpile as tp
from transpile.api import uses_numpy

from .helpers import assert_close, numeric_gradient, random_point

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = sorted(p for p in glob.glob(os.path.join(ROOT, "examples", "*.py")) if not p.endswith("__init__.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_example_runs(path, tmp_path):
    env = dict(os.environ, TRANSPILE_CACHE_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, path], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    losses = [float(m) for m in re.findall(r"loss ([0-9.]+)", result.stdout)]
    if losses:  # a training example: the loss falls
        assert losses[-1] < 0.5 * losses[0] and all(b <= a for a, b in zip(losses, losses[1:])), losses


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_example_functions_match_central_differences(path):
    module = importlib.import_module(f"examples.{os.path.basename(path)[:-3]}")
    functions = [f for _, f in inspect.getmembers(module, inspect.isfunction) if f.__module__ == module.__name__]
    assert functions
    for f in functions:
        if uses_numpy(f):  # array examples are checked by test_numpy's corpus and by their falling loss
            continue
        n = len(inspect.signature(f).parameters)
        args = random_point(n, seed=5)
        assert_close(tp.grad(f, wrt=tuple(range(n)))(*args), numeric_gradient(f, args, range(n)))
