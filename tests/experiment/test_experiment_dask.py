"""A real Dask cluster (scheduler and two workers as separate processes) gives the same bytes."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import HERE, REPO, final_bytes, tiny_set_args
from typer.testing import CliRunner

pytestmark = pytest.mark.dask

DASK = REPO / ".venv" / "bin" / "dask"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_workers(address: str, count: int, timeout_s: float = 60) -> None:
    from distributed import Client

    with Client(address, timeout="30s") as client:
        client.wait_for_workers(count, timeout=timeout_s)


def stop(address: str, processes: list[subprocess.Popen]) -> None:
    """Ask the scheduler to shut the cluster down (fast), then make sure every process is gone."""
    from distributed import Client

    try:
        with Client(address, timeout="5s") as client:
            client.shutdown()
    except Exception:  # noqa: BLE001 - fall back to signals below
        pass
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    for process in reversed(processes):  # workers first, then the scheduler
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[str]:
    if not DASK.exists():
        pytest.skip("dask is not installed in .venv")
    address = f"tcp://127.0.0.1:{free_port()}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    log = (tmp_path / "dask.log").open("w")
    processes: list[subprocess.Popen] = []
    try:
        port = address.rsplit(":", 1)[1]
        processes.append(
            subprocess.Popen(
                [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=tmp_path,
            )
        )
        for _ in range(2):
            processes.append(
                subprocess.Popen(
                    [str(DASK), "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=tmp_path,
                )
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                wait_for_workers(address, 2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address
    finally:
        stop(address, processes)
        log.close()


def test_a_sweep_on_a_dask_cluster_equals_the_local_process_run(
    cli_app, baseline_path, tmp_path, dask_cluster
):
    common = [
        "sweep",
        str(baseline_path),
        *tiny_set_args(),
        "--grid",
        "underwriting.cutoff=560,620,680",
        "--seeds",
        "2",
        "--no-report",
        "--quiet",
    ]
    local = CliRunner().invoke(cli_app, [*common, "--workers", "2", "--out", str(tmp_path / "local")])
    assert local.exit_code == 0, local.output
    remote = CliRunner().invoke(
        cli_app, [*common, "--scheduler", dask_cluster, "--out", str(tmp_path / "dask")]
    )
    assert remote.exit_code == 0, remote.output
    assert final_bytes(tmp_path / "dask") == final_bytes(tmp_path / "local")


def test_an_unreachable_scheduler_is_a_clear_error(cli_app, baseline_path, tmp_path, monkeypatch):
    import lendsim.executors

    monkeypatch.setattr(lendsim.executors, "CONNECT_TIMEOUT_S", 2)
    args = [
        "sweep",
        str(baseline_path),
        "--grid",
        "underwriting.cutoff=560,620",
        "--no-report",
        "--scheduler",
        f"tcp://127.0.0.1:{free_port()}",
        "--out",
        str(tmp_path / "x"),
    ]
    started = time.monotonic()
    result = CliRunner().invoke(cli_app, args)
    assert result.exit_code == 2
    assert (
        result.stderr.startswith("error: --scheduler tcp://127.0.0.1:") and "cannot connect" in result.stderr
    )
    assert time.monotonic() - started < 20
