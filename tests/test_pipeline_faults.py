"""Faults and concurrency in ``mch run`` / ``mch verify`` (issue 15): nothing lost, nothing
injected. Fast tests first; the end-to-end ones run one or two counties with notebook 01 only.
"""

from __future__ import annotations

import importlib

import pytest

from mchanalysis.pipeline import kernel_state


@pytest.mark.parametrize("name", kernel_state.WARM_MODULES)
def test_every_warm_module_exists(name):
    """A renamed module must not silently drop out of the warm-up (the import is tolerant)."""
    importlib.import_module(name)
