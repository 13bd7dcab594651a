"""The progress bar of long commands — the command line's business, not the experiment's.

Executors yield each task's outcome as it finishes and know nothing of terminals. The commands that
run many tasks (`lendsim run`, `sweep`, `sensitivity`) wrap the executor they open in
`ShowingProgress`, which counts the outcomes as they pass by: on a terminal it draws tasks done,
rate and ETA on stderr; not on a terminal, or with --quiet, it draws nothing and changes nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Iterable
from typing import Any, TypeVar

from rich import progress as rp
from rich.console import Console
from rich.text import Text

from lendsim.executors import Executor, Outcome

T = TypeVar("T")


class ShowingProgress:
    """An executor that runs its tasks on `executor` and shows a bar while they finish."""

    def __init__(self, executor: Executor, description: str, enabled: bool = True) -> None:
        self.executor = executor
        self.description = description
        self.enabled = enabled

    @property
    def name(self) -> str:
        return self.executor.name

    @property
    def workers(self) -> int:
        return self.executor.workers

    def map_unordered(
        self, fn: Callable[[T], Any], tasks: Iterable[T]
    ) -> Generator[tuple[T, Outcome], None, None]:
        tasks = list(tasks)
        with Progress(len(tasks), self.description, enabled=self.enabled) as bar:
            with contextlib.closing(iter(self.executor.map_unordered(fn, tasks))) as finished:
                for task, outcome in finished:
                    bar.advance()
                    yield task, outcome

    def close(self) -> None:
        self.executor.close()

    def __enter__(self) -> ShowingProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Progress:
    """A progress bar (tasks done, rate, ETA) on a terminal; silent otherwise or when disabled."""

    def __init__(self, total: int, description: str, enabled: bool = True) -> None:
        console = Console(stderr=True)
        self._bar: rp.Progress | None = None
        if enabled and console.is_terminal and total > 0:
            self._bar = rp.Progress(
                rp.TextColumn("{task.description}"),
                rp.BarColumn(),
                rp.MofNCompleteColumn(),
                rp.TextColumn("tasks"),
                _RateColumn(),
                rp.TextColumn("ETA"),
                rp.TimeRemainingColumn(),
                console=console,
                transient=False,
            )
            self._task_id = self._bar.add_task(description, total=total)

    def advance(self, steps: int = 1) -> None:
        if self._bar is not None:
            self._bar.advance(self._task_id, steps)

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


class _RateColumn(rp.ProgressColumn):
    """Tasks per second (or seconds per task when slower than one a second)."""

    def render(self, task: rp.Task) -> Text:
        speed = task.finished_speed or task.speed
        if not speed:
            return Text("…/s")
        if speed >= 1:
            return Text(f"{speed:.1f}/s")
        return Text(f"{1 / speed:.1f} s each")
