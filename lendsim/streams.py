"""Seeded random streams: the only source of randomness in a simulation (DESIGN.md, "Randomness").

The seed of (point, replication) is `SeedSequence([root, point, replication])`, so it depends on
nothing else — not run order, worker count or executor. Each concern draws from its own named
child stream. The automated and the HITL run of one seed build identical streams; because every
monthly draw of the shared streams has a fixed size (one number per borrower, whatever happened),
both modes see the same population, macro path and behaviour: common random numbers. Only the
review stream, which automated underwriting never touches, is consumed differently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STREAM_NAMES = ("population", "macro", "behaviour", "scoring", "review")


@dataclass(frozen=True)
class Streams:
    population: np.random.Generator
    macro: np.random.Generator
    behaviour: np.random.Generator
    scoring: np.random.Generator
    review: np.random.Generator

    @classmethod
    def for_replication(cls, root_seed: int, point: int, replication: int) -> Streams:
        sequence = np.random.SeedSequence([root_seed, point, replication])
        children = sequence.spawn(len(STREAM_NAMES))
        return cls(*(np.random.default_rng(child) for child in children))


def replication_entropy(root_seed: int, point: int, replication: int) -> int:
    """A single integer that identifies the replication's streams (for mesa.Model's own seed)."""
    return int(np.random.SeedSequence([root_seed, point, replication]).generate_state(1)[0])
