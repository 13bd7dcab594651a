"""Bad input: a clear error, early, and nothing lost.

Five kinds of input that used to end badly, each driven through the real command line:

1. arguments that are not UTF-8 (a file name, a --set value, an --out folder) — exit 1 at the end
   of the run, when the manifest was written; now exit 2 before anything runs, naming the argument;
2. files that are not scenarios (/proc/self/environ through `extends`, /etc/passwd, devices, huge
   files) — the TOML error quoted the file, so the environment was printed; now nothing of a file
   is ever quoted except a key of a *.toml file;
3. runs and designs that cannot fit this machine — left to the out-of-memory killer, or building a
   design of ten billion points; now refused with the estimate before any simulation starts;
4. extreme but valid scenarios — no NumPy RuntimeWarning (divide by zero, overflow, invalid value);
5. a sweep stopped by SIGTERM or Ctrl-C — no "leaked semaphore objects" noise from multiprocessing.

Cases 1–3 assert exit 2, exactly one "error: " line on stderr, no traceback, and that nothing ran:
no output folder, no simulation, a fraction of the time a run would take.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from lendsim.budget import (
    BYTES_PER_BORROWER,
    MAX_TASKS,
    MEMORY_ENV,
    BudgetError,
    available_memory,
    run_bytes,
    task_bytes,
)
from lendsim.scenario import with_overrides
from tests.reliability.support import (
    BASELINE,
    TINY_SETS,
    alive,
    cmdline,
    descendants,
    invoke,
    judge,
    lendsim_executable,
    listing,
    one_line_error,
    subprocess_env,
)

FAST_S = 20.0
"""A refusal comes before any simulation: well within this, even on a loaded machine (the runs
refused here would take hours, or never finish)."""
SECRET = "lendsim-test-secret-7f3a9c"
HUGE_POPULATION = (
    "population.consumers.count=10000000",
    "population.smes.count=10000000",
    "population.consumers.represents=10000000",
    "population.smes.represents=10000000",
)
STANDS_FOR_HUGE = HUGE_POPULATION[2:]
"""Real populations large enough for any agent count below (an agent stands for ≥ 1 borrower)."""


def sets(*pairs: str) -> list[str]:
    return [arg for pair in pairs for arg in ("--set", pair)]


def assert_refused(stderr: str, code: int, *words: str) -> None:
    assert code == 2, (code, stderr)
    assert one_line_error(stderr), stderr
    assert "Traceback" not in stderr, stderr
    for word in words:
        assert word in stderr, (word, stderr)


@pytest.fixture
def nothing_may_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process commands: starting an executor, a simulation or a sweep fails the test."""

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a simulation was started for input that should have been refused")

    import lendsim.cli  # noqa: F401 - imported first, so no module keeps a reference to a stand-in

    monkeypatch.setattr("lendsim.simulate.simulate", forbidden)
    monkeypatch.setattr("lendsim.executors.make_executor", forbidden)
    monkeypatch.setattr("lendsim.cli_experiment.run_sweep", forbidden)
    monkeypatch.setattr("lendsim.cli_experiment.open_executor", forbidden)


def timed_invoke(args: list[str]) -> Any:
    started = time.monotonic()
    result = invoke(args)
    assert time.monotonic() - started < FAST_S, "the refusal came late"
    return result


def console(
    args: list[str | bytes], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """The real console script with raw bytes for arguments (as a shell passes them)."""
    command = [os.fsencode(part) for part in [*lendsim_executable(), *args]]
    started = time.monotonic()
    done = subprocess.run(
        command, cwd=cwd, env=env or subprocess_env(), capture_output=True, timeout=120, check=False
    )
    assert time.monotonic() - started < FAST_S + 10, "the refusal came late"
    return done


def stderr_of(done: subprocess.CompletedProcess) -> str:
    return done.stderr.decode("utf-8", "backslashreplace")


# --------------------------------------------------------------------------- 1. not UTF-8


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder with the baseline scenario, and a copy of it under a name that is not UTF-8."""
    shutil.copy(BASELINE, tmp_path / "baseline.toml")
    shutil.copy(BASELINE, tmp_path / os.fsdecode(b"scen\xff.toml"))
    return tmp_path


TINY_RUN = ["--seeds", "1", "--months", "2", "--workers", "1", "--no-report", *sets(*TINY_SETS)]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ([b"run", b"scen\xff.toml", *TINY_RUN], "SCENARIO scen\\xff.toml"),
        ([b"run", b"baseline.toml", b"--set", b"meta.name=caf\xe9", *TINY_RUN], "--set meta.name=caf\\xe9"),
        ([b"run", b"baseline.toml", b"--out", b"out\xff", *TINY_RUN], "--out out\\xff"),
        ([b"run", b"baseline.toml", b"--out=out\xff", *TINY_RUN], "--out out\\xff"),
        ([b"validate", b"scen\xff.toml"], "SCENARIO scen\\xff.toml"),
        (
            [b"sweep", b"baseline.toml", b"--grid", b"underwriting.cutoff=5\xff0"],
            "--grid underwriting.cutoff=5\\xff0",
        ),
    ],
    ids=["scenario-name", "set-value", "out-folder", "out-equals", "validate", "sweep-grid"],
)
def test_an_argument_that_is_not_utf8_is_exit_2_naming_it_before_anything_runs(workdir, args, named):
    before = listing(workdir)
    done = console(args, cwd=workdir)
    assert_refused(stderr_of(done), done.returncode, named, "not UTF-8")
    assert listing(workdir) == before, "something was written"


def test_an_argument_that_is_not_utf8_is_refused_in_process_too(nothing_may_run, tmp_path):
    result = timed_invoke(["run", str(BASELINE), "--out", str(tmp_path / "run\udcff")])
    assert_refused(result.stderr, result.exit_code, "--out", "\\xff", "not UTF-8")
    assert listing(tmp_path) == set()


# --------------------------------------------------------------------------- 2. file contents


def test_extends_of_proc_self_environ_never_prints_the_environment(tmp_path):
    (tmp_path / "case.toml").write_text('extends = "/proc/self/environ"\n', encoding="utf-8")
    env = subprocess_env()
    env["LENDSIM_TEST_TOKEN"] = SECRET
    for command in (["validate", "case.toml"], ["run", "case.toml", "--out", "run", *TINY_RUN]):
        done = console(command, cwd=tmp_path, env=env)
        stderr = stderr_of(done)
        assert_refused(stderr, done.returncode, "/proc/self/environ", "not a regular file")
        assert SECRET not in stderr and "LENDSIM_TEST_TOKEN" not in stderr, stderr
        assert "PATH=" not in stderr, stderr
    assert listing(tmp_path) == {"case.toml"}


@pytest.mark.parametrize(
    "target",
    ["/proc/self/status", "/proc/self/environ", "/dev/zero", "/dev/null", "/sys/kernel/mm"],
)
def test_kernel_and_device_files_are_not_scenarios(nothing_may_run, tmp_path, target):
    if not Path(target).exists():
        pytest.skip(f"{target} does not exist here")
    case = tmp_path / "case.toml"
    case.write_text(f'extends = "{target}"\n', encoding="utf-8")
    for scenario in (target, str(case)):
        result = timed_invoke(["validate", scenario])
        assert_refused(result.stderr, result.exit_code, target)
        assert any(w in result.stderr for w in ("not a regular file", "is a directory")), result.stderr


@pytest.mark.parametrize(
    ("name", "text", "hidden"),
    [
        ("notes.txt", f"password: {SECRET}\n", ["password", SECRET]),
        ("passwd", f"root:x:0:0:{SECRET}:/root:/bin/bash\n", ["x:0:0", "/bin/bash", SECRET]),
        ("settings.conf", f'[simulation]\nmonths = "{SECRET}"\n', [SECRET]),
        ("id_rsa", f"-----BEGIN KEY-----\n{SECRET}\n-----END KEY-----\n", ["BEGIN", SECRET]),
    ],
    ids=["text", "passwd", "toml-not-named-toml", "key-file"],
)
def test_a_file_that_is_not_a_scenario_has_nothing_of_it_quoted(
    nothing_may_run, tmp_path, name, text, hidden
):
    (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "case.toml").write_text(f'extends = "{name}"\n', encoding="utf-8")
    for scenario in (tmp_path / name, tmp_path / "case.toml"):
        result = timed_invoke(["validate", str(scenario)])
        assert_refused(result.stderr, result.exit_code, name)
        for word in hidden:
            assert word not in result.stderr, (word, result.stderr)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (f"[simulation]\nmonths = {SECRET}\n", "key months"),
        (f"[simulation]\nmonths = = {SECRET}\n", "key months"),
        (f"[simulation\nmonths = 3 # {SECRET}\n", "table simulation"),
        (f'[meta]\nname = "{SECRET}\x01"\n', "key name"),
        (f'[meta]\nname = "{SECRET}\n', ""),
        (f"[meta]\nname = 1\n[meta]\ndescription = '{SECRET}'\n", "table meta"),
    ],
    ids=["bare-word", "double-equals", "open-header", "control-character", "unterminated", "twice"],
)
def test_a_toml_error_in_a_scenario_names_at_most_the_key_never_the_text(
    nothing_may_run, tmp_path, text, key
):
    (tmp_path / "mine.toml").write_text(text, encoding="utf-8")
    result = timed_invoke(["validate", str(tmp_path / "mine.toml")])
    assert_refused(result.stderr, result.exit_code, "mine.toml", "not valid TOML", key)
    assert SECRET not in result.stderr, result.stderr


def test_a_huge_file_is_not_read_as_a_scenario(nothing_may_run, tmp_path):
    huge = tmp_path / "huge.toml"
    with huge.open("wb") as file:
        file.truncate(3 * 10**9)  # sparse: 3 GB on paper, nothing on disk
    result = timed_invoke(["validate", str(huge)])
    assert_refused(result.stderr, result.exit_code, "huge.toml", "too large")


# --------------------------------------------------------------------------- 3. too big for memory


@pytest.fixture
def machine_of_24_gb(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MEMORY_ENV, "24G")


def test_the_issues_run_of_twenty_million_borrowers_is_refused_with_the_estimate(baseline, tmp_path):
    huge = with_overrides(baseline, dict(pair.split("=") for pair in HUGE_POPULATION))
    estimate = f"needs ≈ {run_bytes(huge, 2) / 1e9:.0f} GB of memory"
    env = subprocess_env()
    env[MEMORY_ENV] = "24G"
    out = tmp_path / "run"
    done = console(
        ["run", str(BASELINE), "--out", str(out), "--workers", "2", *sets(*HUGE_POPULATION)], tmp_path, env
    )
    stderr = stderr_of(done)
    assert_refused(stderr, done.returncode, estimate, f"{MEMORY_ENV} allows 24 GB")
    assert "--workers 1" in stderr, "the message says what would fit"
    assert not out.exists()


def test_a_run_too_big_for_any_machine_is_refused_against_the_real_memory(nothing_may_run, tmp_path):
    """No override: 64 workers × 20 M borrowers need ≈ 1.3 TB, more than this machine has."""
    out = tmp_path / "run"
    args = ["run", str(BASELINE), "--out", str(out), "--seeds", "64", "--workers", "64"]
    result = timed_invoke([*args, *sets(*HUGE_POPULATION)])
    assert_refused(result.stderr, result.exit_code, "needs ≈", "GB of memory")
    assert not out.exists()


def test_a_run_whose_monthly_tables_cannot_fit_is_refused(nothing_may_run, machine_of_24_gb, tmp_path):
    result = timed_invoke(
        ["run", str(BASELINE), "--out", str(tmp_path / "run"), "--seeds", "1000", "--months", "1200"]
    )
    assert_refused(result.stderr, result.exit_code, "needs ≈", "fewer seeds or months")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            ["--sample", "lhs:10000000000", "--range", "underwriting.cutoff=560:680"],
            ["tasks", f"at most {MAX_TASKS}"],
        ),
        (
            ["--grid", "underwriting.cutoff=400:900:1", "--grid", "risk.lgd=0:1:0.001"],
            ["501501 point(s)", "tasks"],
        ),
        (
            [
                "--grid",
                "population.consumers.count=1000,10000000",
                "--grid",
                "population.smes.count=10000000",
                *sets(*STANDS_FOR_HUGE),
            ],
            ["needs ≈", "20000000 borrowers"],
        ),
        (
            [
                "--sample",
                "lhs:4",
                "--range",
                "population.consumers.count=1000:10000000",
                *sets(HUGE_POPULATION[1], *STANDS_FOR_HUGE),
            ],
            ["needs ≈", "20000000 borrowers"],
        ),
    ],
    ids=["lhs-ten-billion", "grid-half-a-million", "grid-of-huge-populations", "range-to-huge-population"],
)
def test_a_sweep_that_cannot_fit_is_refused_before_its_design_is_built(
    nothing_may_run, machine_of_24_gb, tmp_path, args, words
):
    out = tmp_path / "sweep"
    result = timed_invoke(["sweep", str(BASELINE), "--out", str(out), "--workers", "2", *args])
    assert_refused(result.stderr, result.exit_code, *words)
    assert not out.exists()


def test_a_sensitivity_design_of_billions_of_points_is_refused(nothing_may_run, tmp_path):
    out = tmp_path / "sensitivity"
    args = ["--method", "sobol", "--samples", str(2**30), "--range", "underwriting.cutoff=560:680"]
    result = timed_invoke(
        ["sensitivity", str(BASELINE), "--metric", "approval_rate", "--out", str(out), *args]
    )
    assert_refused(result.stderr, result.exit_code, "--method sobol", "tasks", f"at most {MAX_TASKS}")
    assert not out.exists()


def test_a_sweep_that_fits_is_not_refused(monkeypatch, tmp_path):
    """The check stays out of the way of ordinary work (here: 2 points × 1 seed, tiny)."""
    monkeypatch.setenv(MEMORY_ENV, "2G")
    out = tmp_path / "sweep"
    args = ["--grid", "underwriting.cutoff=560,680", "--seeds", "1", "--executor", "serial", "--no-report"]
    result = invoke(
        [
            "sweep",
            str(BASELINE),
            "--out",
            str(out),
            "--quiet",
            *args,
            *sets(*TINY_SETS, "simulation.months=2"),
        ]
    )
    assert result.exit_code == 0, result.stderr


def test_an_unreadable_memory_limit_is_exit_2(nothing_may_run, monkeypatch, tmp_path):
    monkeypatch.setenv(MEMORY_ENV, "lots")
    result = timed_invoke(["run", str(BASELINE), "--out", str(tmp_path / "run")])
    assert_refused(result.stderr, result.exit_code, MEMORY_ENV, "8G")


def test_memory_estimates_grow_with_borrowers_and_workers(baseline):
    real = {"population.consumers.represents": 1_001_000, "population.smes.count": 0}
    small = with_overrides(baseline, {"population.consumers.count": 1000, **real})
    large = with_overrides(baseline, {"population.consumers.count": 1_001_000, **real})
    assert run_bytes(large, 1) - run_bytes(small, 1) == 1_000_000 * BYTES_PER_BORROWER
    per_worker = task_bytes(1_001_000, large.simulation.months)
    assert run_bytes(large, 4) - run_bytes(large, 2) == 2 * per_worker, "workers multiply the figure"
    assert available_memory().bytes > 0


def test_the_memory_limit_setting_reads_sizes(monkeypatch):
    for text, expected in (("24G", 24 * 10**9), ("512M", 512 * 10**6), ("8GB", 8 * 10**9), ("1000", 1000)):
        monkeypatch.setenv(MEMORY_ENV, text)
        assert available_memory().bytes == expected
    monkeypatch.setenv(MEMORY_ENV, "-1G")
    with pytest.raises(BudgetError):
        available_memory()


# --------------------------------------------------------------------------- 4. no NumPy warnings

SHOCK = "macro.shocks=[{{start_month=1, duration_months=1200, depth={depth}}}]"
EXTREMES: dict[str, tuple[str, ...]] = {
    "one-consumer-no-smes": ("population.consumers.count=1", "population.smes.count=0"),
    "one-sme-no-consumers": ("population.consumers.count=0", "population.smes.count=1"),
    "nobody": ("population.consumers.count=0", "population.smes.count=0"),
    "two-months": ("simulation.months=2",),  # the shortest: months must exceed the default horizon
    "cutoff-lowest": ("underwriting.cutoff=350",),
    "cutoff-highest": ("underwriting.cutoff=950",),
    "zero-capital": ("platform.capital_rmb=0",),
    "shock-deepest": (SHOCK.format(depth=-1e15),),
    "shock-highest": (SHOCK.format(depth=1e15), "macro.income_beta=1"),
    "no-reviewers": ("underwriting.hitl.reviewers=0",),
    "reviewers-galore": (
        "underwriting.hitl.reviewers=100000",
        "underwriting.hitl.reviews_per_reviewer_month=100000",
    ),
    "zero-risk-weights": ("regulation.retail_risk_weight=0", "regulation.corporate_risk_weight=0"),
    "everything-distressed": (
        "population.consumers.annual_distress_pd=0.999999999",
        "population.smes.annual_distress_pd=0.999999999",
        "population.consumers.distress_income_loss=1",
        "population.smes.distress_revenue_loss=1",
    ),
    "tiny-money": (
        "population.consumers.income_median_rmb=1e-300",
        "population.smes.revenue_median_rmb=1e-300",
        "population.smes.margin=1e-300",
    ),
    "huge-money": (
        "population.consumers.income_median_rmb=1e15",
        "population.smes.revenue_median_rmb=1e15",
        "population.consumers.income_dispersion=3",
        "population.smes.revenue_dispersion=3",
        "underwriting.consumer_limit_cap_rmb=1e15",
        "underwriting.sme_limit_cap_rmb=1e15",
        "regulation.consumer_loan_cap_rmb=1e15",
        "regulation.sme_loan_cap_rmb=1e15",
    ),
    "irb-at-the-edges": (
        "regulation.risk_weights='irb'",
        "underwriting.model.initial_consumer_default_rate=0.999999999",
        "underwriting.model.initial_sme_default_rate=1e-300",
    ),
    "capacity-nearly-none": (
        "capacity.requests_per_month=1e-300",
        "capacity.peak_capacity_multiplier=0",
    ),
    "always-down": ("calendar.maintenance=[{start_month=1, duration_months=1200, downtime_share=1}]",),
    "all-suspended": ("policy.regulator_orders=[{start_month=1, duration_months=1200, share=1}]",),
    "no-partners": ("platform.own_funding_share=1", "platform.partners=[]"),
    "rate-cap-tiny": ("regulation.apr_cap=1e-300",),
    "two-months-one-consumer-top-cutoff": (
        "simulation.months=2",
        "simulation.default_horizon_months=1",
        "population.consumers.count=1",
        "population.smes.count=0",
        "underwriting.cutoff=950",
        "underwriting.hitl.reviewers=0",
        "platform.capital_rmb=0",
    ),
}


def _run_extreme(tmp_path: Path, extra: tuple[str, ...], report: bool) -> str:
    out = tmp_path / "run"
    options = ["--seeds", "2", "--workers", "1", "--quiet", *([] if report else ["--no-report"])]
    result = invoke(
        ["run", str(BASELINE), "--out", str(out), *options, *sets(*TINY_SETS, "simulation.months=6", *extra)]
    )
    return judge(result, out, parent_before=set(), report=report)


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("name", sorted(EXTREMES))
def test_extreme_but_valid_scenarios_run_without_numpy_warnings(tmp_path, name):
    label = _run_extreme(tmp_path, EXTREMES[name], report=name in ("nobody", "one-consumer-no-smes"))
    assert label == "ran: complete run folder"


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_tiny_limit_doubling_distance_runs_without_numpy_warnings(tmp_path):
    assert _run_extreme(tmp_path, ("underwriting.limit_doubling_points=1e-300",), report=False)


def test_the_console_script_runs_several_extremes_at_once_with_warnings_as_errors(tmp_path):
    extremes = [*EXTREMES["two-months-one-consumer-top-cutoff"], *EXTREMES["shock-highest"]]
    env = subprocess_env()
    env["PYTHONWARNINGS"] = "error::RuntimeWarning"
    done = console(
        ["run", str(BASELINE), "--out", "run", "--seeds", "2", "--workers", "1", *sets(*extremes)],
        tmp_path,
        env,
    )
    assert done.returncode == 0, stderr_of(done)
    assert "Warning" not in stderr_of(done), stderr_of(done)


# --------------------------------------------------------------------------- 5. killed sweeps


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"]
)
def test_a_sweep_stopped_with_workers_running_leaves_no_resource_tracker_noise(tmp_path, sig, code):
    out = tmp_path / "sweep"
    command = [
        *lendsim_executable(),
        "sweep",
        str(BASELINE),
        "--grid",
        "underwriting.cutoff=560,600,640,680",
        "--seeds",
        "3",
        "--workers",
        "2",
        "--no-report",
        "--out",
        str(out),
        *sets("population.consumers.count=20000", "population.smes.count=4000", "simulation.months=24"),
    ]
    process = subprocess.Popen(
        command, env=subprocess_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    everything: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            everything |= descendants(process.pid)
            if sum("spawn_main" in cmdline(pid) for pid in everything) >= 2:
                break
            time.sleep(0.1)
        assert process.poll() is None, "the sweep ended before its workers started"
        time.sleep(0.5)
        everything |= descendants(process.pid)
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=60)  # waits for the resource tracker's stderr too
        assert process.returncode == code, (process.returncode, stderr)
        assert "leaked" not in stderr and "resource_tracker" not in stderr, stderr
        assert "Traceback" not in stderr, stderr
        assert len(stderr.splitlines()) == 1 and stderr.startswith("interrupted"), stderr
        assert "--resume" in stderr, stderr
    finally:
        if process.poll() is None:
            process.kill()
        for pid in everything:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
