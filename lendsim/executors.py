"""Where tasks run: in this process, in local worker processes, or on a Dask cluster.

An experiment is a bag of independent tasks, each a pure function of its arguments (scenario, point,
replication). The three executors below run such a bag behind one interface,
`Executor.map_unordered(fn, tasks)`, which yields `(task, Outcome)` pairs as tasks finish. A task
that raises does not stop the others: its exception comes back in the outcome. Because results
depend only on the task, the caller orders them by task key and gets the same bytes whatever the
executor and however many workers it has.

Executors only run tasks and hand back outcomes; what a person sees meanwhile (the progress bar)
is the command line's, lendsim.progress.

Worker processes run one task at a time with numerical libraries limited to one thread each, so
N workers use N cores and do not fight over them.

Ctrl-C must end any of them within seconds, whenever it comes. The process pool is therefore only
ever touched with Ctrl-C held back (`lendsim.store.deferred_interrupt`) and while polling with a
short timeout: an interrupt inside concurrent.futures can leave a future's lock held, after which
its manager thread — and the interpreter at exit — waits forever. Stopping the pool is bounded too:
workers are terminated, then killed if they linger.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any, Protocol, TypeVar

from lendsim.errors import OptionError
from lendsim.store import deferred_interrupt

T = TypeVar("T")
R = TypeVar("R")

EXECUTORS: tuple[str, ...] = ("serial", "processes", "dask")
CONNECT_TIMEOUT_S = 15
"""How long to keep trying to reach a Dask scheduler before giving up."""
POLL_S = 0.1
"""How often the pool is polled: the longest a Ctrl-C waits to be acted on."""
TERMINATE_S = 5.0
"""How long terminated workers get to end before they are killed."""
CLOSE_S = 10
"""How long closing a Dask client or local cluster may take."""

SINGLE_THREAD_ENV: dict[str, str] = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
}
"""Set in every worker process before it imports NumPy, so workers do not oversubscribe cores."""


class WorkerDied(RuntimeError):
    """A worker process ended abruptly (killed, out of memory) while this task was in flight."""


@dataclass(frozen=True)
class Outcome:
    """What became of one task: its value, or the exception it raised."""

    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def error_text(self) -> str:
        """The task's exception with its traceback (the remote one, where there is one)."""
        if self.error is None:
            return ""
        return "".join(traceback.format_exception(self.error))


class Executor(Protocol):
    """Runs independent tasks; yields each `(task, Outcome)` as soon as it is finished."""

    @property
    def name(self) -> str: ...

    @property
    def workers(self) -> int: ...

    def map_unordered(
        self, fn: Callable[[T], Any], tasks: Iterable[T]
    ) -> Generator[tuple[T, Outcome], None, None]: ...

    def close(self) -> None: ...

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: object) -> None: ...


class _ClosingMixin:
    def close(self) -> None:  # pragma: no cover - overridden where there is something to close
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(_ClosingMixin):
    """Runs tasks one after another in this process: no start-up cost, easiest to debug."""

    name = "serial"
    workers = 1

    def map_unordered(
        self, fn: Callable[[T], Any], tasks: Iterable[T]
    ) -> Generator[tuple[T, Outcome], None, None]:
        for task in tasks:
            try:
                value = fn(task)
            except Exception as error:  # noqa: BLE001 - a failing task is reported, not fatal
                yield task, Outcome(error=error)
            else:
                yield task, Outcome(value=value)


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent() -> None:
    """On Linux, ask the kernel to end this worker when the process that spawned it dies (even by
    SIGKILL), so a killed run or sweep leaves no orphaned workers behind."""
    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def _init_worker() -> None:
    """Worker start-up: one thread per numerical library; Ctrl-C is the parent's business; the
    worker ends with its parent."""
    os.environ.update(SINGLE_THREAD_ENV)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()


def _quiet_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with its stderr on /dev/null.

    The pool's queues use semaphores, which a separate tracker process frees if lendsim is killed
    (SIGKILL, out of memory) — rightly — and then warns about "leaked semaphore objects" on the
    user's terminal, after lendsim itself has gone. The freeing is useful, the warning only noise.
    The tracker inherits stderr when it starts, so it is started here with stderr pointed elsewhere.
    """
    from multiprocessing import resource_tracker

    tracker = getattr(resource_tracker, "_resource_tracker", None)
    if tracker is None or getattr(tracker, "_fd", None) is not None:
        return  # not this Python's tracker, or already running
    try:
        saved = os.dup(2)
    except OSError:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
        finally:
            os.close(devnull)
        resource_tracker.ensure_running()
    except OSError:
        pass
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@contextlib.contextmanager
def _single_thread_environment() -> Iterator[None]:
    """Set the thread limits in os.environ while workers are spawned (they copy it at start)."""
    saved = {key: os.environ.get(key) for key in SINGLE_THREAD_ENV}
    os.environ.update(SINGLE_THREAD_ENV)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class ProcessExecutor(_ClosingMixin):
    """Local worker processes (spawned: Mesa forces the "spawn" start method anyway).

    At most `2 × workers` tasks are handed to the pool at a time, so a worker that dies (killed, out
    of memory) takes only a few tasks with it. Those become suspects: a fresh pool runs them one at
    a time, and one that kills its worker while running alone is reported as failed with
    `WorkerDied`; the others simply finish. Other tasks wait until the suspects are cleared.
    """

    name = "processes"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers if workers is not None else os.cpu_count() or 1
        if self.workers < 1:
            raise OptionError(f"--workers {self.workers} — must be a whole number ≥ 1")
        self._pool: ProcessPoolExecutor | None = None
        self._isolating = False

    def _new_pool(self) -> ProcessPoolExecutor:
        _quiet_resource_tracker()
        return ProcessPoolExecutor(
            max_workers=self.workers, mp_context=get_context("spawn"), initializer=_init_worker
        )

    def _submit(self, fn: Callable[[T], Any], task: T) -> Future:
        assert self._pool is not None
        with _single_thread_environment():  # worker processes are spawned inside submit()
            return self._pool.submit(fn, task)

    def map_unordered(
        self, fn: Callable[[T], Any], tasks: Iterable[T]
    ) -> Generator[tuple[T, Outcome], None, None]:
        """Yield tasks as they finish. Ctrl-C is acted on within `POLL_S`: the tasks that had already
        finished are still handed over (so they can be saved), then KeyboardInterrupt is raised and
        the pool is stopped."""
        pending: deque[T] = deque(tasks)
        suspects: deque[T] = deque()
        in_flight: dict[Future, T] = {}
        try:
            with deferred_interrupt():
                self._pool = self._new_pool()
            while pending or suspects or in_flight:
                with deferred_interrupt(reraise=False) as hold:
                    finished = self._step(fn, pending, suspects, in_flight)
                yield from finished
                if hold.received:
                    raise KeyboardInterrupt
        finally:
            self._shutdown()

    def _step(
        self, fn: Callable[[T], Any], pending: deque[T], suspects: deque[T], in_flight: dict[Future, T]
    ) -> list[tuple[T, Outcome]]:
        """Submit what may run, wait up to POLL_S, and collect what finished (Ctrl-C held back)."""
        self._fill(fn, pending, suspects, in_flight)
        done, _ = wait(in_flight, timeout=POLL_S, return_when=FIRST_COMPLETED)
        if any(isinstance(future.exception(), BrokenProcessPool) for future in done):
            return self._recover(in_flight, suspects)
        return [(in_flight.pop(future), _outcome(future)) for future in done]

    def _fill(
        self, fn: Callable[[T], Any], pending: deque[T], suspects: deque[T], in_flight: dict[Future, T]
    ) -> None:
        """Keep the pool busy; while there are suspects, run them one at a time and nothing else."""
        if self._isolating and in_flight:
            return  # a suspect is running alone
        self._isolating = bool(suspects)
        if suspects:
            if not in_flight:
                task = suspects.popleft()
                in_flight[self._submit(fn, task)] = task
            else:
                self._isolating = False  # let the tasks in flight finish before isolating
            return
        while pending and len(in_flight) < 2 * self.workers:
            task = pending.popleft()
            in_flight[self._submit(fn, task)] = task

    def _recover(self, in_flight: dict[Future, T], suspects: deque[T]) -> list[tuple[T, Outcome]]:
        """A worker died: keep what finished; a suspect run alone is the culprit, else all are suspects."""
        finished, lost = [], []
        for future, task in in_flight.items():
            if future.done() and not isinstance(future.exception(), BrokenProcessPool):
                finished.append((task, _outcome(future)))
            else:
                lost.append(task)
        in_flight.clear()
        self._shutdown()
        if self._isolating and len(lost) == 1:
            error = WorkerDied("the worker process died while running this task alone")
            finished.append((lost[0], Outcome(error=error)))
        else:
            suspects.extend(lost)
        self._isolating = False
        self._pool = self._new_pool()
        return finished

    def _shutdown(self) -> None:
        """Stop the pool now, in bounded time: cancel queued tasks, terminate workers still computing
        and kill those that do not end within TERMINATE_S. Ctrl-C is held back meanwhile — a second
        Ctrl-C must not leave the pool half stopped."""
        with deferred_interrupt():
            pool, self._pool = self._pool, None
            if pool is None:
                return
            processes = list((getattr(pool, "_processes", None) or {}).values())
            manager = getattr(pool, "_executor_manager_thread", None)
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                if process.is_alive():
                    process.terminate()
            deadline = time.monotonic() + TERMINATE_S
            for process in processes:
                process.join(timeout=max(0.0, deadline - time.monotonic()))
            for process in processes:
                if process.is_alive():
                    process.kill()
                    process.join(timeout=1)
            if manager is not None:  # it notices the workers are gone and ends; don't leave it to exit
                manager.join(timeout=TERMINATE_S)

    def close(self) -> None:
        self._shutdown()


def _outcome(future: Future) -> Outcome:
    error = future.exception()
    return Outcome(error=error) if error is not None else Outcome(value=future.result())


class DaskExecutor(_ClosingMixin):
    """A Dask distributed cluster: an existing scheduler (`address`) or a local one (`local_workers`).

    Workers must be able to import lendsim (same environment). Dask's nanny already limits
    OMP/MKL/OpenBLAS to one thread in each worker process.
    """

    name = "dask"

    def __init__(self, address: str | None = None, local_workers: int | None = None) -> None:
        try:
            import distributed
        except ImportError as error:  # pragma: no cover - dask is a dev/optional dependency
            raise OptionError(
                "--executor dask needs the 'dask' extra — pip install 'lendsim[dask]'"
            ) from error
        self._cluster = None
        if address is not None:
            self._client = _connect(distributed, address)
        else:
            n_workers = local_workers or os.cpu_count() or 1
            self._cluster = distributed.LocalCluster(
                n_workers=n_workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                host="127.0.0.1",
            )
            self._client = distributed.Client(self._cluster)
        self.workers = max(1, len(self._client.scheduler_info().get("workers", {})))

    def map_unordered(
        self, fn: Callable[[T], Any], tasks: Iterable[T]
    ) -> Generator[tuple[T, Outcome], None, None]:
        import distributed

        futures = {}
        for task in tasks:
            key = getattr(task, "key", None)
            futures[self._client.submit(fn, task, pure=False, key=_dask_key(key))] = task
        try:
            for future in distributed.as_completed(list(futures)):
                task = futures.pop(future)
                try:
                    value = future.result()
                except Exception as error:  # noqa: BLE001 - reported as the task's outcome
                    yield task, Outcome(error=error)
                else:
                    yield task, Outcome(value=value)
                finally:
                    future.release()
        finally:
            if futures:
                self._client.cancel(list(futures))

    def close(self) -> None:
        """Close the client (and a local cluster) in bounded time, even after Ctrl-C."""
        with deferred_interrupt():
            with contextlib.suppress(Exception):
                self._client.close(timeout=CLOSE_S)
            if self._cluster is not None:
                with contextlib.suppress(Exception):
                    self._cluster.close(timeout=CLOSE_S)


def _dask_key(task_key: str | None) -> str | None:
    if task_key is None:
        return None
    import uuid

    return f"lendsim-{task_key}-{uuid.uuid4().hex[:12]}"  # unique per submission, readable in dashboards


def _connect(distributed: Any, address: str) -> Any:
    if "://" not in address:
        raise OptionError(f"--scheduler {address} — expected an address like tcp://HOST:PORT")
    try:
        return distributed.Client(address, timeout=f"{CONNECT_TIMEOUT_S}s")
    except (OSError, TimeoutError) as error:
        raise OptionError(f"--scheduler {address}: cannot connect to a Dask scheduler ({error})") from error


def make_executor(
    kind: str | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    dask_local: int | None = None,
) -> Executor:
    """The executor the command-line options ask for; OptionError for combinations that make no sense.

    Without `kind`: Dask when a scheduler or a local Dask cluster is requested, else local processes.
    """
    if workers is not None and workers < 1:
        raise OptionError(f"--workers {workers} — must be a whole number ≥ 1")
    if dask_local is not None and dask_local < 1:
        raise OptionError(f"--dask-local {dask_local} — must be a whole number ≥ 1")
    if scheduler is not None and dask_local is not None:
        raise OptionError("--scheduler and --dask-local exclude each other — give one")
    wants_dask = scheduler is not None or dask_local is not None
    kind = kind or ("dask" if wants_dask else "processes")
    if kind not in EXECUTORS:
        raise OptionError(f"--executor {kind} — must be one of: {', '.join(EXECUTORS)}")
    if wants_dask and kind != "dask":
        raise OptionError(f"--scheduler/--dask-local need --executor dask, not --executor {kind}")
    if kind == "serial":
        return SerialExecutor()
    if kind == "processes":
        return ProcessExecutor(workers)
    return DaskExecutor(address=scheduler, local_workers=dask_local or workers)

