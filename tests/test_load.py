"""load: memory cache, disk cache, keys, and a second process that skips transpiling."""

import os
import subprocess
import sys
import textwrap

import pytest

import transpile as tp
from transpile import load

from .helpers import module_imports


def write_module(directory, name, body):
    path = directory / f"{name}.py"
    path.write_text(textwrap.dedent(body))
    return path


def import_from(path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_second_grad_is_a_memory_hit(tmp_path):
    module = import_from(write_module(tmp_path, "mem_mod", "def f(x):\n    return x * x * x\n"))
    before = load.STATS.copy()
    g1 = tp.grad(module.f)
    g2 = tp.grad(module.f)
    assert g1 is g2
    assert load.STATS["generated"] - before["generated"] == 1
    assert load.STATS["memory_hits"] - before["memory_hits"] == 1


def test_entry_is_written_to_disk_and_reused(tmp_path):
    module = import_from(write_module(tmp_path, "disk_mod", "def f(x):\n    return x * 3.0\n"))
    tp.grad(module.f)
    entries = [p for p in os.listdir(load.cache_dir()) if p.endswith(".py")]
    assert len(entries) == 1
    load._memory.clear()
    before = load.STATS.copy()
    assert tp.grad(module.f)(1.0) == 3.0
    assert load.STATS["disk_hits"] - before["disk_hits"] == 1
    assert load.STATS["generated"] == before["generated"]


def test_changed_body_gets_a_new_entry(tmp_path):
    path = write_module(tmp_path, "changing", "def f(x):\n    return x * x\n")
    assert tp.grad(import_from(path).f)(2.0) == 4.0
    write_module(tmp_path, "changing", "def f(x):\n    return x * x * x\n")
    assert tp.grad(import_from(path).f)(2.0) == 12.0
    assert len([p for p in os.listdir(load.cache_dir()) if p.endswith(".py")]) == 2


def test_changed_module_constant_gets_a_new_key(tmp_path):
    path = write_module(tmp_path, "consts", "K = 2.0\ndef f(x):\n    return K * x\n")
    module = import_from(path)
    key = load.cache_key(module.f, ("opts",))
    module.K = 5.0
    assert load.cache_key(module.f, ("opts",)) != key


def test_disk_cache_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv("TRANSPILE_CACHE", "0")
    module = import_from(write_module(tmp_path, "nodisk", "def f(x):\n    return x * 5.0\n"))
    assert tp.grad(module.f)(1.0) == 5.0
    assert not os.path.exists(load.cache_dir()) or not os.listdir(load.cache_dir())


def test_source_is_what_the_loader_compiles(tmp_path):
    module = import_from(write_module(tmp_path, "src_mod", "import math\ndef f(x):\n    return math.sin(x)\n"))
    text = tp.source(module.f)
    namespace = {}
    exec(text, namespace)
    assert namespace["grad_f"](0.5) == tp.grad(module.f)(0.5)


def test_generated_scalar_code_imports_nothing_from_transpile(tmp_path):
    module = import_from(write_module(tmp_path, "imp_mod", "import math\ndef f(x):\n    return math.exp(x)\n"))
    assert module_imports(tp.source(module.f)) == ["import math"]
    assert tp.grad(module.f).__module__.startswith("transpile.generated.")


def test_new_process_loads_from_disk_without_transpiling(tmp_path):
    write_module(tmp_path, "proc_mod", "import math\ndef f(x, y):\n    return math.sin(x) * y\n")
    script = textwrap.dedent("""
        import sys
        sys.path.insert(0, sys.argv[1])
        import proc_mod, transpile as tp
        from transpile import load
        print(tp.grad(proc_mod.f, wrt=("x", "y"))(0.5, 2.0), dict(load.STATS))
    """)
    env = dict(os.environ, TRANSPILE_CACHE_DIR=str(tmp_path / "shared_cache"))
    runs = [subprocess.run([sys.executable, "-c", script, str(tmp_path)], env=env, capture_output=True, text=True,
                           check=True).stdout for _ in range(2)]
    assert "'generated': 1" in runs[0]
    assert "'disk_hits': 1" in runs[1] and "generated" not in runs[1]
    assert runs[0].split(")")[0] == runs[1].split(")")[0]


def test_unwritable_cache_falls_back_to_memory_with_a_warning(tmp_path, monkeypatch):
    blocker = tmp_path / "file_not_dir"
    blocker.write_text("")
    monkeypatch.setenv("TRANSPILE_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr(load, "_disk_failed", False)
    module = import_from(write_module(tmp_path, "ro_mod", "def f(x):\n    return x * 7.0\n"))
    with pytest.warns(RuntimeWarning, match="in-memory cache"):
        assert tp.grad(module.f)(1.0) == 7.0


def test_a_rule_registered_at_run_time_changes_the_key(tmp_path):
    import math

    from transpile import rules

    module = import_from(write_module(tmp_path, "rule_mod", "import math\ndef f(x):\n    return math.gamma(x)\n"))
    try:
        rules.partials(math.gamma, "x", "0.0")
        key = load.cache_key(module.f, ("opts",))
        assert tp.grad(module.f)(2.0) == 0.0
        rules.partials(math.gamma, "x", "1.0")
        assert load.cache_key(module.f, ("opts",)) != key
        load._memory.clear()
        assert tp.grad(module.f)(2.0) == 1.0
    finally:
        del rules.RULES[math.gamma, 1]
        rules._generation[0] += 1


def test_constants_read_through_a_module_are_part_of_the_key(tmp_path):
    import sys

    write_module(tmp_path, "config_mod", "SCALE = 2.0\n")
    sys.path.insert(0, str(tmp_path))
    try:
        module = import_from(write_module(tmp_path, "uses_config", "import config_mod\ndef f(x):\n"
                                                                   "    return config_mod.SCALE * x\n"))
        import config_mod

        assert tp.grad(module.f)(1.0) == 2.0
        config_mod.SCALE = 3.0  # changed after the first transpile: the memory entry is stale
        assert tp.grad(module.f)(1.0) == 3.0
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("config_mod", None)


def test_functions_differing_only_in_name_get_their_own_entries(tmp_path):
    module = import_from(write_module(tmp_path, "factory", "def make(k):\n    def f(x):\n        return k * x\n"
                                                          "    return f\n"))
    a, b = module.make(2.0), module.make(2.0)
    a.__name__, b.__name__ = "a", "b"
    a.__qualname__, b.__qualname__ = "a", "b"
    assert tp.grad(a)(1.0) == tp.grad(b)(1.0) == 2.0


def test_changing_a_called_function_gets_a_new_entry(tmp_path):
    write_module(tmp_path, "callee_mod", "def helper(x):\n    return x * x\n")
    import sys

    sys.path.insert(0, str(tmp_path))
    try:
        caller = import_from(write_module(tmp_path, "caller_mod", "import callee_mod\ndef f(x):\n"
                                                                 "    return callee_mod.helper(x) + x\n"))
        import callee_mod

        assert tp.grad(caller.f)(2.0) == 5.0
        callee_mod.helper = import_from(write_module(tmp_path, "callee_mod2",
                                                     "def helper(x):\n    return x * x * x\n")).helper
        assert tp.grad(caller.f)(2.0) == 13.0
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("callee_mod", None)


def test_repeated_grad_of_a_function_with_callees_is_a_memory_hit():
    from . import functions

    tp.grad(functions.calls_user_functions)
    before = load.STATS.copy()
    tp.grad(functions.calls_user_functions)
    assert load.STATS["memory_hits"] == before["memory_hits"] + 1
    assert load.STATS["generated"] == before["generated"]


def test_constants_read_through_objects_and_nested_modules_are_watched(tmp_path):
    module = import_from(write_module(tmp_path, "ns_mod", "import types\n"
                                      "cfg = types.SimpleNamespace(k=2.0)\n"
                                      "class Settings:\n    k = 3.0\n"
                                      "def f(x):\n    return cfg.k * x * x + Settings.k * x\n"))
    assert tp.grad(module.f)(1.0) == 7.0
    module.cfg.k = 10.0
    assert tp.grad(module.f)(1.0) == 23.0
    module.Settings.k = 1.0
    assert tp.grad(module.f)(1.0) == 21.0


def test_defaults_of_an_inlined_callee_are_watched(tmp_path):
    module = import_from(write_module(tmp_path, "defaults_mod", "def helper(x, s=2.0):\n    return s * x\n"
                                                               "def f(x):\n    return helper(x) * x\n"))
    assert tp.grad(module.f)(1.0) == 4.0
    module.helper.__defaults__ = (3.0,)
    assert tp.grad(module.f)(1.0) == 6.0
    key = load.cache_key(module.f, ("opts",))
    module.helper.__defaults__ = (5.0,)
    assert load.cache_key(module.f, ("opts",)) != key


def test_registering_a_rule_invalidates_what_is_in_memory(tmp_path):
    from transpile import rules

    module = import_from(write_module(tmp_path, "rule_mem", "def bump(x):\n    return x * x\n"
                                                           "def f(x):\n    return bump(x) + x\n"))
    assert tp.grad(module.f)(3.0) == 7.0  # bump inlined
    rules.defpartials(module.bump, "x", "10.0")  # from now on bump is called and uses this rule
    assert tp.grad(module.f)(3.0) == 11.0


def test_code_or_defaults_replaced_in_place_are_noticed(tmp_path):
    """IPython's `%autoreload 2` swaps `__code__` and `__defaults__` of the same function objects."""
    module = import_from(write_module(tmp_path, "swapped_mod", """\
        def f(x, s=2.0):
            return s * x * x
        def cube(x, s=2.0):
            return x * x * x
        def g(x, *, s=2.0):
            return s * x * x
        def helper(x):
            return x * x
        def helper3(x):
            return x * x * x
        def uses_helper(x):
            return helper(x) + x
    """))
    assert tp.grad(module.f)(1.0) == 4.0
    module.f.__code__ = module.cube.__code__
    assert tp.grad(module.f)(1.0) == 3.0
    module.f.__defaults__ = (5.0,)
    module.f.__code__ = module.cube.__code__.replace()  # (a copy: what autoreload installs is new code)
    assert tp.grad(module.f)(1.0) == 3.0
    module.f.__code__ = import_from(write_module(tmp_path, "swapped_f", "def f(x, s=2.0):\n    return s * x * x\n")
                                    ).f.__code__
    assert tp.grad(module.f)(1.0) == 10.0  # the new defaults
    assert tp.grad(module.g)(1.0) == 4.0
    module.g.__kwdefaults__ = {"s": 3.0}
    assert tp.grad(module.g)(1.0) == 6.0
    assert tp.grad(module.uses_helper)(2.0) == 5.0
    module.helper.__code__ = module.helper3.__code__
    assert tp.grad(module.uses_helper)(2.0) == 13.0  # the inlined callee changed in place


@pytest.mark.parametrize("body", [
    "def f(x):\n    return sum([K * v for v in [x, x]])\n",
    "def f(x):\n    return sum(K * v for v in (x, x))\n",
    "def f(x):\n    def scaled(v):\n        return K * v\n    return scaled(x) + scaled(x)\n",
    "def f(x):\n    def twice(v):\n        return sum([K * w for w in [v, v]])\n    return twice(x)\n",
    "def f(x):\n    return sum([cfg.k * v for v in [x, x]])\n",
], ids=["list-comprehension", "generator", "nested-def", "comprehension-in-nested-def", "attribute-in-comprehension"])
def test_constants_read_only_in_nested_scopes_are_watched(tmp_path, body):
    """Comprehensions, generator expressions and nested defs are code objects of their own; what
    they read is baked into the generated code as much as what the body reads."""
    module = import_from(write_module(tmp_path, "nested_consts", "import types\nK = 2.0\n"
                                      "cfg = types.SimpleNamespace(k=2.0)\n" + body))
    assert tp.grad(module.f)(1.0) == 4.0
    key = load.cache_key(module.f, ("opts",))
    module.K, module.cfg.k = 5.0, 5.0
    assert load.cache_key(module.f, ("opts",)) != key  # another process with another value: another entry
    assert tp.grad(module.f)(1.0) == 10.0


def test_a_disk_hit_checks_that_the_file_is_what_runs_like_a_fresh_transpile(tmp_path):
    from transpile.errors import SourceUnavailableError

    path = write_module(tmp_path, "edited_mod", "def f(x):\n    return x * x\n")
    stale = import_from(path)  # imported before the edit and not reloaded
    write_module(tmp_path, "edited_mod", "def f(x):\n    return x * x * x\n")
    current = import_from(path)
    assert tp.grad(current.f)(2.0) == 12.0  # the edited file's entry is on disk now
    with pytest.raises(SourceUnavailableError, match="changed since"):
        tp.grad(stale.f)


JUMP_EDITS = [  # (source, edit): edits that change only jumps, or only what a jump tests
    ("def f(x, c=True):\n    if c:\n        return x * x\n    return x\n", ("if c:", "if not c:")),
    ("def f(x, c=True, e=False):\n    if c and e:\n        return x * x\n    return x\n", (" and ", " or ")),
    ("def f(x, c=True, e=False):\n    y = c and e\n    if y:\n        return x * x\n    return x\n",
     (" and ", " or ")),
    ("def f(x):\n    s = 0.0\n    for i in range(3):\n        if i == 1:\n            break\n        s = s + x * x\n"
     "    return s\n", ("break", "continue")),
    ("def f(x, c=True):\n    y = x\n    if c:\n        y = y * x\n        y = y * x\n    return y\n",
     ("        y = y * x\n    return", "    y = y * x\n    return")),
    ("def f(x):\n    w = x\n    while w < 10.0:\n        w = w * 2.0\n    return w\n", ("w < 10.0", "not w < 10.0")),
    ("def f(x, s=None):\n    if s is None:\n        return x * x\n    return x\n", (" is None", " is not None")),
    ("def f(x, i=1):\n    if i in (1, 2):\n        return x * x\n    return x\n", (" in (", " not in (")),
    ("def f(x):\n    return sum([v * v for v in [x, x]])\n", ("v * v", "v * v * v")),
    ("import math\n\ndef f(x, c=True):\n    if c:\n        y = math.sin(x)\n    else:\n        y = math.cos(x)\n"
     "    y = y * x\n    return y\n", ("    y = y * x", "        y = y * x")),
]


@pytest.mark.parametrize("source, edit", JUMP_EDITS, ids=["if-not", "and-or", "and-or-value", "break-continue",
                                                          "dedent", "while-not", "is-not", "not-in", "comprehension",
                                                          "dedent-after-method-calls"])
def test_edits_that_change_only_jumps_are_detected(tmp_path, source, edit):
    from transpile.errors import SourceUnavailableError

    path = write_module(tmp_path, "jumpy", source)
    module = import_from(path)
    tp.grad(module.f)  # unedited: the source matches the code, also where `math.sin` compiles differently alone
    load._memory.clear()
    path.write_text(source.replace(*edit))
    assert path.read_text() != source
    with pytest.raises(SourceUnavailableError, match="changed since"):
        tp.grad(module.f)
