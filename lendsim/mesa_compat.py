"""Mesa 3.3 without its memory leak: models are freed when nothing else holds them.

Mesa 3.3 numbers agents through a class-level `Agent._ids`, a `defaultdict` keyed by the model
instance. Every model that ever created an agent therefore stays reachable for the life of the
process, with all its arrays: a sweep worker or a `lendsim run --seeds 10` grew by the size of one
model per simulation. Mesa 3.4.2 fixed this upstream, but needs Python 3.12. Until the project can
move, `install()` swaps that registry for one that holds its models weakly; agent numbering stays
exactly as Mesa does it (per model, from 1). It is installed when `lendsim.model` is imported, so
every path that builds a model — run, sweep and Dask workers, `evaluate()`, a notebook — gets it.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any

import mesa


class WeakIdCounters(weakref.WeakKeyDictionary):
    """`{model: itertools.count(1)}` that forgets a model once it is garbage; missing keys are
    created on first use, as the `defaultdict` it replaces did."""

    def __getitem__(self, model: Any) -> itertools.count:
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = itertools.count(1)
            self[model] = counter
            return counter


def install() -> None:
    """Replace `mesa.Agent._ids` with a weak registry (idempotent; keeps counters already issued)."""
    if isinstance(mesa.Agent._ids, WeakIdCounters):
        return
    weak = WeakIdCounters()
    for model, counter in list(mesa.Agent._ids.items()):
        weak[model] = counter
    mesa.Agent._ids = weak
