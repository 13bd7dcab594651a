"""Reliability tests: hostile input, invariants under random scenarios, interruption, determinism."""
