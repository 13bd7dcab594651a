"""One contract for folders: the writer (store, sweep) and the reader (the report) name every file,
column and manifest key through lendsim.contract, so what one writes the other reads.

Each test would fail if a module kept a list of its own again: a file name spelled out in code, a
run or sweep folder the report cannot read, summary columns that drift from the metric registry.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

import lendsim
from lendsim import contract, metrics, store
from lendsim.experiment import paired_comparison, run_replications
from lendsim.metrics import REGISTRY, headline_names
from lendsim.report import folders
from lendsim.report.folders import RunContents, SweepContents, read_folder
from lendsim.scenario import with_overrides
from lendsim.sweep import grid_design, parse_grid, run_sweep
from tests.test_metric_registry import LATE_INSTALMENT_RATE

PACKAGE = Path(lendsim.__file__).resolve().parent
SMALL = {"population.consumers.count": 300, "population.smes.count": 60}
"""A population small enough that each simulate() takes a fraction of a second."""


@pytest.fixture(scope="module")
def small(tiny_scenario):
    return with_overrides(tiny_scenario, SMALL)


def test_store_and_report_use_the_contracts_file_lists():
    assert store.RUN_OWNED == contract.RUN.files == (*contract.RUN_FILES, contract.REPORT_FILE)
    assert folders.RUN_FILES is contract.RUN_FILES  # the report's tests name files through here
    assert set(store.SWEEP_OWNED) == set(contract.SENSITIVITY.files) >= set(contract.SWEEP.files)
    for kind in contract.FOLDER_KINDS:
        assert set(kind.required) <= set(kind.files), kind.name  # a reader needs only what is written
    assert all(contract.MANIFEST_FILE in kind.required for kind in contract.FOLDER_KINDS)


def test_no_module_spells_out_a_file_name_of_the_contract():
    """Every file name of a folder is a constant of lendsim.contract; any other module that wrote
    "summary.csv" as a string of its own would be a second list that can drift from the first."""
    names = {
        value
        for name, value in vars(contract).items()
        if name.endswith("_FILE") and isinstance(value, str)
    }
    spelled_out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "contract.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in names:
                spelled_out.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.value}")
    assert spelled_out == []


def test_summary_columns_are_mode_seed_and_the_registrys_headline_metrics(monkeypatch):
    assert contract.summary_columns() == ("mode", "seed", *headline_names())
    assert contract.summary_columns()[2:] == tuple(m.name for m in REGISTRY.headline())
    monkeypatch.setattr(metrics, "REGISTRY", REGISTRY.with_metrics(LATE_INSTALMENT_RATE))
    assert contract.summary_columns()[-1] == "late_instalment_rate"  # read when asked, not at import


def test_the_manifest_holds_the_contracts_keys_in_order(small):
    manifest = store.build_manifest(small, started_at=0.0, finished_at=1.0, command=["lendsim"], extra=1)
    assert tuple(manifest) == (*contract.MANIFEST_KEYS, "extra")
    assert set(contract.MANIFEST_REQUIRED) <= set(contract.MANIFEST_KEYS)
    assert set(contract.MANIFEST_REQUIRED) <= set(folders.MANIFEST_FIELDS)  # the report checks them


def test_a_run_folder_written_by_the_store_is_read_by_the_report(small, tmp_path: Path):
    summary, monthly = run_replications(small)
    comparison = paired_comparison(summary)
    manifest = store.build_manifest(small, started_at=0.0, finished_at=1.0, command=["lendsim", "run"])
    out = store.write_run_folder(tmp_path / "run", small, summary, monthly, comparison, manifest)

    assert sorted(p.name for p in out.iterdir()) == sorted(contract.RUN_FILES)
    contents = read_folder(out)
    assert isinstance(contents, RunContents)
    assert tuple(contents.summary.columns) == contract.summary_columns()
    pd.testing.assert_frame_equal(contents.summary, summary, check_exact=True)
    assert tuple(contents.comparison.columns) == contract.COMPARISON_COLUMNS
    assert list(contents.comparison["metric"]) == list(headline_names())
    assert tuple(contents.monthly.columns[:4]) == contract.MONTHLY_KEYS
    assert contents.manifest[contract.FOLDER_MARK]["files"] == list(contract.RUN.files)
    assert store.is_run_folder(out)


def test_a_sweep_folder_written_by_the_sweep_is_read_by_the_report(small, tmp_path: Path):
    design = grid_design([parse_grid("underwriting.cutoff=560,640")])
    outcome = run_sweep(with_overrides(small, {"simulation.seeds": 2}), design, out=tmp_path / "sweep")
    written = store.SweepFolder(outcome.folder)

    for name in contract.SWEEP.files:
        if name != contract.REPORT_FILE:  # built afterwards, by the command line
            assert (outcome.folder / name).is_file(), name
    assert written.is_sweep() and folders.is_sweep_folder(outcome.folder)
    contents = read_folder(outcome.folder)
    assert isinstance(contents, SweepContents)
    assert contents.parameters == ["underwriting.cutoff"]
    assert tuple(contents.summary.columns[:1]) == contract.SWEEP_SUMMARY_KEYS[:1]
    pd.testing.assert_frame_equal(contents.summary, pd.read_csv(written.summary_path), check_dtype=False)

    keys = sorted(written.finished_keys())
    assert keys == [contract.task_key(p, r) for p in (0, 1) for r in (0, 1)]
    assert all(contract.TASK_NAME.fullmatch(key) for key in keys)
    assert written.task_path(keys[0]).name == keys[0] + contract.TASK_SUFFIX
    assert written.task_path(keys[0]).parent.name == contract.TASKS_DIR
