"""The disk cache cannot be corrupted or hijacked, survives concurrent writers, and generated
functions pickle (into processes that never built them)."""

import os
import pickle
import subprocess
import sys
import textwrap
import warnings
from concurrent.futures import ProcessPoolExecutor
import multiprocessing

import pytest

import transpile as tp
from transpile import load

from .helpers import import_source

SOURCE = "import math\n\n\ndef f(x, y):\n    return math.sin(x) * y + x * x\n"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A private, empty cache directory; the memory cache and the disk-failure flag reset."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("TRANSPILE_CACHE_DIR", str(directory))
    monkeypatch.setattr(load, "_disk_failed", False)
    load._memory.clear()
    yield directory
    load._memory.clear()


def entries(directory):
    return sorted(p for p in directory.iterdir() if p.suffix == ".py")


def expected(x, y):
    import math

    return (math.cos(x) * y + 2 * x, math.sin(x))


@pytest.mark.parametrize("damage", ["tamper", "truncate", "garbage"])
def test_a_damaged_entry_is_discarded_with_a_warning_and_regenerated(cache, tmp_path, damage):
    f = import_source(SOURCE, tmp_path, "cached").f
    assert tp.grad(f, wrt=(0, 1))(0.5, 2.0) == pytest.approx(expected(0.5, 2.0))
    (entry,) = entries(cache)
    text = entry.read_text()
    damaged = {"tamper": text.replace("2 * x", "3 * x").replace("2.0 * x", "3.0 * x"),
               "truncate": text[: len(text) // 2], "garbage": "\x00\xff not python"}[damage]
    assert damaged != text
    entry.write_text(damaged, errors="surrogateescape")
    load._memory.clear()
    with pytest.warns(RuntimeWarning, match="discarding"):
        gradient = tp.grad(f, wrt=(0, 1))
    assert gradient(0.5, 2.0) == pytest.approx(expected(0.5, 2.0))
    assert entry.read_text() == text  # written again, whole


def test_the_cache_directory_is_private(cache, tmp_path):
    tp.grad(import_source(SOURCE, tmp_path, "private").f)(0.5, 2.0)
    assert cache.stat().st_mode & 0o077 == 0
    assert all(p.stat().st_mode & 0o077 == 0 for p in entries(cache))


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_entries_in_a_directory_others_can_write_are_not_executed(cache, tmp_path):
    f = import_source(SOURCE, tmp_path, "shared").f
    tp.grad(f)(0.5, 2.0)
    (entry,) = entries(cache)
    entry.write_text(entry.read_text().replace("return", "raise SystemExit  #", 1))  # what an intruder would do
    os.chmod(cache, 0o777)
    load._memory.clear()
    with pytest.warns(RuntimeWarning, match="other users"):
        gradient = tp.grad(f, wrt=(0, 1))
    assert gradient(0.5, 2.0) == pytest.approx(expected(0.5, 2.0))


def test_an_unwritable_cache_falls_back_to_memory_with_one_warning(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    monkeypatch.setenv("TRANSPILE_CACHE_DIR", str(blocker / "cache"))  # cannot be created
    monkeypatch.setattr(load, "_disk_failed", False)
    load._memory.clear()
    functions = [import_source(SOURCE, tmp_path, "nowrite").f for _ in range(3)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for f in functions:
            assert tp.grad(f, wrt=(0, 1))(0.5, 2.0) == pytest.approx(expected(0.5, 2.0))
    assert len([w for w in caught if "in-memory cache only" in str(w.message)]) == 1


def test_eight_processes_transpiling_at_once_agree_and_leave_a_consistent_cache(cache, tmp_path):
    module = tmp_path / "concurrent_mod.py"
    module.write_text(SOURCE + "\n\ndef g(x):\n    return math.exp(x) / (1.0 + x * x)\n")
    script = textwrap.dedent("""
        import sys
        sys.path.insert(0, sys.argv[1])
        import concurrent_mod, transpile as tp
        print(tp.grad(concurrent_mod.f, wrt=(0, 1))(0.5, 2.0), tp.grad(concurrent_mod.g)(0.3))
    """)
    env = dict(os.environ, TRANSPILE_CACHE_DIR=str(cache))
    processes = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env) for _ in range(8)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert all(p.returncode == 0 for p in processes), [err for _, err in outputs]
    assert len({out for out, _ in outputs}) == 1
    assert len(entries(cache)) == 2
    for entry in entries(cache):  # every entry verifies
        assert load._read(entry.stem) is not None


def _call(function, *args):
    return function(*args)


def test_generated_functions_pickle_and_run_in_fresh_processes(cache, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "picklable_mod.py").write_text(SOURCE)
    import picklable_mod

    gradient = tp.grad(picklable_mod.f, wrt=(0, 1))
    assert pickle.loads(pickle.dumps(gradient))(0.5, 2.0) == gradient(0.5, 2.0)
    context = multiprocessing.get_context("spawn")  # a worker that never built it
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        results = list(pool.map(_call, [gradient] * 2, [0.5, 0.1], [2.0, 3.0]))
    assert results == [gradient(0.5, 2.0), gradient(0.1, 3.0)]


def test_entries_swapped_between_keys_are_refused_and_regenerated(cache, tmp_path):
    """The header binds an entry to its key: a file moved to another key's name is never executed."""
    square = import_source("def f(x):\n    return x * x\n", tmp_path, "swap_a").f
    triple = import_source("def f(x):\n    return 3.0 * x\n", tmp_path, "swap_b").f
    assert (tp.grad(square)(1.0), tp.grad(triple)(1.0)) == (2.0, 3.0)
    first, second = entries(cache)
    text_first, text_second = first.read_text(), second.read_text()
    first.write_text(text_second)
    second.write_text(text_first)
    load._memory.clear()
    with pytest.warns(RuntimeWarning, match="discarding"):
        assert (tp.grad(square)(1.0), tp.grad(triple)(1.0)) == (2.0, 3.0)
    assert {first.read_text(), second.read_text()} == {text_first, text_second}  # each rewritten under its key
    assert first.read_text() != text_second


PICKLED = """\
import numpy as np

K = 2.0


def f(x, y=3.0):
    return K * x * x * y


def n(v):
    return np.sum(K * v * v)


def make():
    def local(x):
        return x * x
    return local
"""

UNPICKLE = """\
import importlib, pickle, sys
sys.path.insert(0, sys.argv[1])
module = importlib.import_module(sys.argv[2])
if len(sys.argv) > 3:
    module.K = float(sys.argv[3])
gradient, dispatcher, x, v = pickle.loads(sys.stdin.buffer.read())
print(repr((gradient(x), dispatcher(v).tolist())))
"""


def _importable(tmp_path, monkeypatch, name, text=PICKLED):
    """The module `name` with `text`, importable by name (as pickles refer to it) here and in children."""
    import importlib

    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / f"{name}.py").write_text(text)
    monkeypatch.delitem(sys.modules, name, raising=False)
    return importlib.import_module(name)


def _in_a_fresh_process(payload, tmp_path, module, *args):
    env = dict(os.environ, TRANSPILE_CACHE="0")
    return subprocess.run([sys.executable, "-c", UNPICKLE, str(tmp_path), module.__name__, *args], input=payload,
                          capture_output=True, env=env, timeout=120)


def test_gradients_unpickle_where_there_is_no_disk_cache(cache, tmp_path, monkeypatch):
    """Pickles carry a reference to the original function, not code: the receiving process
    generates the derivative again from the function's own (verified) source."""
    import numpy as np

    module = _importable(tmp_path, monkeypatch, "pickled_mod")
    gradient, dispatcher = tp.grad(module.f), tp.grad(module.n)
    v = np.array([1.0, -2.0])
    payload = pickle.dumps((gradient, dispatcher, 0.5, v))
    result = _in_a_fresh_process(payload, tmp_path, module)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip() == repr((gradient(0.5), dispatcher(v).tolist()))
    again = pickle.loads(pickle.dumps(dispatcher))  # NumPy dispatchers pickle by reference too
    assert again(v).tolist() == dispatcher(v).tolist()
    # where the function reads another constant, its gradient differs: refused, not computed for other code
    result = _in_a_fresh_process(payload, tmp_path, module, "7.0")
    assert result.returncode != 0 and b"SourceUnavailableError" in result.stderr
    assert b"differs from the process that pickled it" in result.stderr


def test_unpickling_without_a_disk_cache_ignores_rules_the_function_does_not_use(cache, tmp_path, monkeypatch):
    """A rule registered at run time changes every cache key, but not the code of a function that
    does not call it: a process without that rule rebuilds the same code, and accepts it."""
    import numpy as np

    from transpile import rules

    module = _importable(tmp_path, monkeypatch, "pickled_rule_mod")
    rules.defpartials(import_source("def bump(x):\n    return x * x\n", tmp_path, "unused_rule").bump, "x", "2 * x")
    gradient, dispatcher, v = tp.grad(module.f), tp.grad(module.n), np.array([1.0, 3.0])
    result = _in_a_fresh_process(pickle.dumps((gradient, dispatcher, 0.5, v)), tmp_path, module)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip() == repr((gradient(0.5), dispatcher(v).tolist()))


def test_a_gradient_of_a_local_function_unpickles_only_from_the_disk_cache(cache, tmp_path, monkeypatch):
    module = _importable(tmp_path, monkeypatch, "pickled_local_mod")
    payload = pickle.dumps((tp.grad(module.make()), None, 0.5, None))
    result = _in_a_fresh_process(payload, tmp_path, module)
    assert result.returncode != 0 and b"SourceUnavailableError" in result.stderr
    assert b"cannot be imported by name" in result.stderr and b"ModuleNotFoundError" not in result.stderr


def test_gradients_pickle_into_a_spawned_pool_without_a_disk_cache(cache, tmp_path, monkeypatch):
    import numpy as np

    module = _importable(tmp_path, monkeypatch, "pooled_mod", PICKLED.replace("K = 2.0", "K = 1.5"))
    monkeypatch.setenv("TRANSPILE_CACHE", "0")
    gradient, dispatcher = tp.grad(module.f, wrt=(0, 1)), tp.grad(module.n)
    v = np.array([0.5, 2.0])
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(_call, [gradient, dispatcher], [0.5, v]))
    assert results[0] == gradient(0.5) and results[1].tolist() == dispatcher(v).tolist()
