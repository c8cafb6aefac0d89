"""Fixtures of the lab tests: root-only labs brought up once per module, and torn down whatever happens."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from executors.lab.lifecycle import lab_down, lab_up, leftovers
from topology import snapshot as s

from .support import unique_name


@pytest.fixture(scope="module")
def lab_state_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A state directory root private to the module."""
    return tmp_path_factory.mktemp("lab")


@pytest.fixture(scope="module")
def bring_up(lab_state_root: Path) -> Iterator[Callable[[s.DesignSnapshot], tuple[s.DesignSnapshot, Path]]]:
    """Bring labs up (module scope); every lab brought up is torn down at the end and must leave nothing.

    The design is renamed per pytest-xdist worker: two workers may run tests of one module, and a lab is
    identified by its design's name.
    """
    started: list[tuple[str, Path]] = []

    def _up(snapshot: s.DesignSnapshot) -> tuple[s.DesignSnapshot, Path]:
        snapshot = dataclasses.replace(snapshot, name=unique_name(snapshot.name))
        state_dir = lab_state_root / snapshot.name
        started.append((snapshot.name, state_dir))
        lab_up(snapshot, state_dir)
        return snapshot, state_dir

    yield _up
    for name, state_dir in started:
        lab_down(name, state_dir)
        assert leftovers(name) == {"namespaces": [], "processes": []}


# The real Redis, Celery worker and channel layer of the executors' tests: lab jobs run on that worker (as root).
from tests.executors.conftest import celery_worker, jobs_on_worker, live_events, redis_url  # noqa: E402, F401
