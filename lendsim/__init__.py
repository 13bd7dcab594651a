"""lendsim: an agent-based lending-market simulator comparing fully automated with
human-in-the-loop (HITL) underwriting. See README.md and ../shared/DESIGN.md."""

__version__ = "0.1.0"

MODES: tuple[str, str] = ("automated", "hitl")
