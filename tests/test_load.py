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
