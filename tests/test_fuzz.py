"""The differential fuzzer (tests/fuzz.py): a fixed sample of every family, and the oracles' own checks.

The soak explores many more programs: `python bench/fuzz.py --programs 1000 --seed 1`.
"""

import math

import numpy as np
import pytest

from . import fuzz

# Programs per family in CI: the slow families (second order through nested loops) get fewer.
SAMPLE = {"scalar": 6, "branches": 4, "loops": 3, "structures": 5, "helpers": 3, "numpy": 4, "carried": 5,
          "views": 6, "shapes": 5, "ieee": 8}

# Fixed seeds; before the fixes of issue 12, 18 of these programs hit its classes (items 1-4, 7 and 8).
CASES = [pytest.param(family, seed, id=f"{family}-{seed}") for family, count in SAMPLE.items() for seed in range(count)]


@pytest.mark.parametrize("family, seed", CASES)
def test_fuzz_program(family, seed, tmp_path):
    program = fuzz.make(family, seed)
    result = fuzz.check(program, tmp_path)
    assert result.status in ("pass", "skip", "refused", "singular"), \
        f"{result.status} ({result.oracle}):\n{result.message}\n\n{program.reproduction()}"
    assert result.oracle != "suspicious", f"refused, but looks like it should work:\n{result.message}\n{program.source}"


def test_generated_source_does_not_depend_on_the_hash_seed():
    keys = [f"{family}:{seed}" for family in fuzz.FAMILIES for seed in range(2)]
    assert fuzz.determinism(keys) == []


def test_programs_are_their_seed():
    for family in fuzz.FAMILIES:
        for seed in range(5):
            program, again = fuzz.make(family, seed), fuzz.make(family, seed)
            assert program.source == again.source and repr(program.args) == repr(again.args)
            compile(program.source, f"{family}-{seed}", "exec")


def test_families_draw_the_constructs_that_found_bugs():
    """Each construct of issue 12 part 3 appears within the first 60 programs of its family."""
    wanted = {"loops": ["for i1j in range", "for i1k in range", "for i1a in range", "while "],
              "carried": ["w = w[::-1] * 0.9", "w[idx]", "v = v[1:]"],
              "views": ["u = h.reshape(2, 2)", "u = b.T", "h[1:] = ", "args"],
              "shapes": ["err = p[1:] - t[1:] if flag else p - t", "np.mean(err ** 2)"],
              "ieee": ["0.0 - y", "y + 0.0", "0.0 * y", "y ** 2.0", "math.copysign", "mask + mask"],
              "helpers": ["h2(", "def inner("], "structures": ["dict(", "zip(", "ys.append("],
              "numpy": ["@", "np.linalg", "axis="]}
    for family, needles in wanted.items():
        text = "".join(fuzz.make(family, seed).source + repr(fuzz.make(family, seed).aliases) for seed in range(60))
        text = text.replace("((1, 0,", "args")  # an aliased argument pair
        missing = [n for n in needles if n not in text]
        assert not missing, (family, missing)


def test_a_wrong_derivative_rule_is_a_mismatch(tmp_path):
    source = "from tests.wrong_rule import slightly_wrong_sin\n\n\ndef f(x, y):\n    return slightly_wrong_sin(x) * y\n"
    program = fuzz.Program("scalar", 0, source, (0.4, 2.0), (0, 1))
    result = fuzz.check(program, tmp_path, second_order=False)
    assert (result.status, result.oracle) == ("mismatch", "differences"), result


def test_a_kink_at_the_point_is_skipped_not_failed(tmp_path):
    program = fuzz.Program("scalar", 0, "def f(x, y):\n    return abs(x - y) + y\n", (0.5, 0.5001), (0, 1))
    assert fuzz.check(program, tmp_path, second_order=False).status == "skip"


def test_values_are_compared_bit_for_bit():
    assert fuzz.bit_equal(0.0, 0.0) and not fuzz.bit_equal(0.0, -0.0)
    assert fuzz.bit_equal(math.nan, math.nan) and not fuzz.bit_equal(1.0, np.float64(1.0))
    assert not fuzz.bit_equal(np.array([0.0]), np.array([-0.0]))
    assert not fuzz.bit_equal(np.array([1.0], dtype=np.float32), np.array([1.0]))


def test_flat_and_unflat_are_inverse():
    like = ([0.5, 2, 1.5], {"a": 0.25, "b": np.ones((2, 2))}, (3.0,), 7)
    vector = fuzz.flat(like, like)
    assert vector.size == 8 and list(vector[:3]) == [0.5, 1.5, 0.25]
    assert repr(fuzz.unflat(vector, like)) == repr(like)
