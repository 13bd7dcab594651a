"""Seeded random streams: the only source of randomness in a simulation (DESIGN.md, "Randomness").

The seed of replication r is `SeedSequence([root, r])`, so it depends on nothing else — not the
sweep point, the scenario, run order, worker count or executor. Two points of a sweep, or two
scenarios, that share population settings therefore see the same borrowers and the same luck, and
their difference is the effect of what changed (common random numbers across points and
scenarios, not only across modes). Each concern draws from its own named child stream. The
automated and the HITL run of one seed build identical streams; because every
monthly draw of the shared streams has a fixed size (one number per borrower, whatever happened),
both modes see the same population, macro path and behaviour: common random numbers. Only the
review stream, which automated underwriting never touches, is consumed differently. Events that
touch a varying subset of borrowers draw from `KeyedUniforms`, which needs no sequence at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STREAM_NAMES = ("population", "macro", "behaviour", "scoring", "review", "events")


@dataclass(frozen=True)
class Streams:
    population: np.random.Generator
    macro: np.random.Generator
    behaviour: np.random.Generator
    scoring: np.random.Generator
    review: np.random.Generator
    events: KeyedUniforms

    @classmethod
    def for_replication(cls, root_seed: int, replication: int) -> Streams:
        sequence = np.random.SeedSequence([root_seed, replication])
        children = sequence.spawn(len(STREAM_NAMES))
        population, macro, behaviour, scoring, review = (
            np.random.default_rng(child) for child in children[:-1]
        )
        events = KeyedUniforms(int(children[-1].generate_state(1, np.uint64)[0]))
        return cls(population, macro, behaviour, scoring, review, events=events)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_PURPOSE = np.uint64(0xD1B54A32D192ED03)
_MONTH = np.uint64(0x8CB92BA72F3D8DD7)
_ATTEMPT = np.uint64(0xABC98388FB8FAC03)


class KeyedUniforms:
    """Counter-based uniforms: u(purpose, month, borrower, attempt) depends on nothing else.

    Events that touch a varying subset of borrowers (a retry after a failed request, an anomaly
    flag at drawdown, an appeal) cannot draw from a sequential stream without shifting every later
    draw when the subset differs between modes. Here each number is a SplitMix64 hash of the
    stream's key and its coordinates, so the same borrower in the same month and situation gets
    the same number in both modes, whatever else happened — common random numbers by construction.
    """

    def __init__(self, key: int) -> None:
        self.key = np.uint64(key)

    def uniform(self, purpose: int, month: int, rows: np.ndarray, attempt: int = 0) -> np.ndarray:
        with np.errstate(over="ignore"):
            base = (
                self.key
                ^ (np.uint64(purpose + 1) * _PURPOSE)
                ^ (np.uint64(month + 1) * _MONTH)
                ^ (np.uint64(attempt + 1) * _ATTEMPT)
            )
            z = base + (np.asarray(rows, dtype=np.uint64) + np.uint64(1)) * _GOLDEN
            z = (z ^ (z >> np.uint64(30))) * _MIX1
            z = (z ^ (z >> np.uint64(27))) * _MIX2
            z = z ^ (z >> np.uint64(31))
        return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def replication_entropy(root_seed: int, replication: int) -> int:
    """A single integer that identifies the replication's streams (for mesa.Model's own seed)."""
    return int(np.random.SeedSequence([root_seed, replication]).generate_state(1)[0])
