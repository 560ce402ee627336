"""Shared fixtures of the machinery tests: one namespace per installed backend.

``xp`` runs a test on every backend of :data:`oracle.BACKENDS` (NumPy,
PyTorch, array-api-strict); gradients are compared with PyTorch's autograd
through the helpers of ``tests/oracle.py``.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import arrayapi_autograd  # noqa: E402
from arrayapi_autograd import _tape  # noqa: E402
from oracle import BACKENDS  # noqa: E402


@pytest.fixture(params=BACKENDS)
def xp(request):
    """The differentiable namespace over one backend."""
    return arrayapi_autograd.namespace(request.param)


@pytest.fixture(autouse=True)
def _recording_restored():
    """Every test starts recording (the default) and leaves it that way."""
    _tape.state.recording = True
    yield
    assert _tape.state.recording, "a test left recording switched off"
    _tape.state.recording = True
