import os

import pytest
from hypothesis import settings

# CI gates what lands, so there the random programs are the same every run (the soaks in the
# README explore new ones with --hypothesis-seed); elsewhere each run draws new programs.
settings.register_profile("ci", derandomize=True)
if os.environ.get("HYPOTHESIS_PROFILE") == "ci":
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Every test gets its own empty disk cache."""
    monkeypatch.setenv("TRANSPILE_CACHE_DIR", str(tmp_path / "cache"))
