"""The manifest says which locked dependency versions a result was computed with."""

from __future__ import annotations

import hashlib
import time

from lendsim.scenario import load_scenario
from lendsim.store import LOCK_FILE, build_manifest, lock_record


def test_the_manifest_records_the_lock_file_hash():
    scenario = load_scenario(LOCK_FILE.parent / "scenarios" / "baseline.toml")
    manifest = build_manifest(scenario, started_at=time.time(), finished_at=time.time(), command=["x"])
    assert manifest["lock"]["sha256"] == hashlib.sha256(LOCK_FILE.read_bytes()).hexdigest()
    assert manifest["lock"]["file"] == "requirements.lock"


def test_the_test_environment_is_installed_as_locked():
    """`make setup` installs requirements.lock: every pinned package must be at its pinned version."""
    assert lock_record()["not_as_locked"] == []


def test_packages_that_differ_from_the_lock_are_named(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("numpy==0.0.1 \\\n    --hash=sha256:00\nnot-a-real-package-xyz==1.0\n", encoding="utf-8")
    record = lock_record(lock)
    assert record["not_as_locked"][0].startswith("not-a-real-package-xyz==1.0 (installed: None)")
    assert record["not_as_locked"][1].startswith("numpy==0.0.1 (installed: ")
    assert lock_record(tmp_path / "absent.lock") is None
