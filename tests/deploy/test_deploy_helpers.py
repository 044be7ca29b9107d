"""The deploy helpers without Docker Engine: image keys, constraints, the merged compose file, dockerd's pid file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from include.docker import compose_stack, dockerd, standin_images


def test_constraints_are_the_locks_pins_without_includes_or_comments(tmp_path: Path) -> None:
    lock = tmp_path / "requirements-dev.txt"
    lock.write_text("# header\n-r requirements.txt\nmoto==5.2.5\ntorch==2.13.0  # CPU build\n\n")
    assert standin_images.pinned_lines(lock) == b"moto==5.2.5\ntorch==2.13.0\n"


def test_an_image_key_changes_with_any_input_and_with_the_parent(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM ${BASE}\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "script.sh").write_text("echo one\n")
    key = standin_images.tree_hash("parent-a", tmp_path)
    assert standin_images.tree_hash("parent-a", tmp_path) == key
    assert standin_images.tree_hash("parent-b", tmp_path) != key
    (tmp_path / "sub" / "script.sh").write_text("echo two\n")
    assert standin_images.tree_hash("parent-a", tmp_path) != key


def test_the_base_context_carries_how_the_host_reaches_the_registries(tmp_path: Path) -> None:
    if not standin_images.HOST_CA_BUNDLE.exists():
        pytest.skip(f"no {standin_images.HOST_CA_BUNDLE} on this machine")
    standin_images.copy_host_registry_access(tmp_path)
    assert (tmp_path / "host" / "ca-bundle.crt").read_bytes() == standin_images.HOST_CA_BUNDLE.read_bytes()
    assert (tmp_path / "host" / "apt" / "sources.list").exists()  # replaces debootstrap's list, even when empty
    for source in (tmp_path / "host" / "apt" / "sources.list.d").iterdir():
        assert source.suffix in {".list", ".sources"}


def test_the_merged_compose_file_has_no_port_bindings_on_host_networking(tmp_path: Path) -> None:
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose not installed (apt-get install docker-compose)")
    merged = yaml.safe_load(compose_stack.resolved_compose_file(tmp_path / "stack.yaml").read_text())
    services = merged["services"]
    assert set(services) == set(compose_stack.LONG_RUNNING_SERVICES) | set(compose_stack.ONE_SHOT_SERVICES)
    for name, service in services.items():
        assert service["network_mode"] == "host" and "ports" not in service, name
    assert services["minio"]["image"] == standin_images.S3_IMAGE
    assert services["airflow-scheduler"]["environment"]["ARXIV_LABELER_DATA_DIR"] == "/opt/airflow/data"  # the base's env kept


def test_dockerd_is_stopped_only_when_the_pid_file_names_a_live_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pid_file = tmp_path / "dockerd.pid"
    monkeypatch.setattr(dockerd, "PID_FILE", pid_file)
    assert dockerd.started_pid() is None
    pid_file.write_text("999999999\n")  # no such process
    assert dockerd.started_pid() is None
    assert dockerd.stop() is False and not pid_file.exists()
