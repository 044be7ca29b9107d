"""Build the local stand-ins for the images no registry serves here, and the project's image on them.

``make images`` and the deploy test run this. Images, in build order:

- ``arxiv-labeler-standin/debian:bookworm``: ``debootstrap --variant=minbase bookworm``, imported.
- ``arxiv-labeler-standin/base:bookworm``: plus the host's apt sources and CA bundle, curl, dumb-init.
- ``arxiv-labeler-standin/airflow:3.3.2-python3.11``: for ``apache/airflow:3.3.2-python3.11``.
- ``arxiv-labeler-standin/postgres:15``: for ``postgres:16``.
- ``arxiv-labeler-standin/s3:moto-5.2.5``: for MinIO (and ``mc``).
- ``arxiv-labeler-airflow:standin``: the project's own Dockerfile, unchanged, with
  ``--build-arg AIRFLOW_BASE_IMAGE=arxiv-labeler-standin/airflow:3.3.2-python3.11``.

Each stand-in carries a label with a hash of what it is built from (its parent's hash, its
build context: Dockerfile, scripts, pins, the host's apt and CA files); a second run finds the
label in ``docker image inspect`` and builds nothing. The project image relies on Docker's layer
cache (its Dockerfile orders the slow steps first).

    python include/docker/standin_images.py            # build what is missing, print the times
    python include/docker/standin_images.py --log FILE # docker's output to FILE instead of the terminal
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STANDINS_DIR = Path(__file__).resolve().parent / "standins"
KEY_LABEL = "org.arxiv-labeler.standin-key"

DEBOOTSTRAP_IMAGE = "arxiv-labeler-standin/debian:bookworm"
BASE_IMAGE = "arxiv-labeler-standin/base:bookworm"
AIRFLOW_BASE_IMAGE = "arxiv-labeler-standin/airflow:3.3.2-python3.11"
POSTGRES_IMAGE = "arxiv-labeler-standin/postgres:15"
S3_IMAGE = "arxiv-labeler-standin/s3:moto-5.2.5"
PROJECT_IMAGE = "arxiv-labeler-airflow:standin"

DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
# Bump to rebuild the debootstrap image when how it is made changes.
DEBOOTSTRAP_RECIPE = f"debootstrap --variant=minbase {DEBIAN_SUITE} {DEBIAN_MIRROR} v1"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
HOST_APT = Path("/etc/apt")
# requirements.txt pins soupsieve 4.1.2 (Requires-Python >= 3.11.5); bookworm's python3 is 3.11.2.
MIN_PYTHON_MICRO = 5


class ImageBuildError(RuntimeError):
    """A build step failed; the message names the image and where its output went."""


@dataclass(frozen=True)
class BuildResult:
    """One image: how long this run spent on it and whether it was already there."""

    image: str
    seconds: float
    cached: bool


@dataclass(frozen=True)
class StandIn:
    """A stand-in image built ``FROM`` its parent, passed as ``parent_arg``."""

    image: str
    directory: str
    parent: str
    parent_arg: str
    extra_files: Callable[[Path], None] | None = None


def docker(*args: str, output: IO[str] | None = None, stdin: IO[bytes] | None = None) -> None:
    """Run ``docker ARGS`` (legacy builder: no buildx here), its output to ``output`` or the terminal.

    Raises:
        ImageBuildError: it exited non-zero.
    """
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}
    result = subprocess.run(["docker", *args], stdout=output, stderr=subprocess.STDOUT, stdin=stdin, env=env, check=False)
    if result.returncode != 0:
        where = f"; its output is in {output.name}" if output is not None and hasattr(output, "name") else ""
        raise ImageBuildError(f"docker {' '.join(args[:2])} ... failed with {result.returncode}{where}")


def image_key(image: str) -> str | None:
    """The stand-in key label of a local image, or None when the image is absent or unlabeled."""
    result = subprocess.run(
        ["docker", "image", "inspect", "--format", f'{{{{ index .Config.Labels "{KEY_LABEL}" }}}}', image],
        capture_output=True,
        text=True,
        check=False,
    )
    key = result.stdout.strip()
    return key if result.returncode == 0 and key and key != "<no value>" else None


def image_id(image: str) -> str | None:
    """The local image's id, or None when absent."""
    result = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Id}}", image], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() if result.returncode == 0 else None


def remove_if_untagged(image: str | None) -> None:
    """Remove the image a rebuild replaced, unless something still uses or names it (a few GB each)."""
    if image is None:
        return
    tags = subprocess.run(["docker", "image", "inspect", "--format", "{{len .RepoTags}}", image], capture_output=True, text=True)
    if tags.returncode == 0 and tags.stdout.strip() == "0":
        subprocess.run(["docker", "image", "rm", image], capture_output=True, check=False)


def tree_hash(parent_key: str, directory: Path) -> str:
    """sha256 over the parent's key and every file under ``directory`` (relative path and bytes)."""
    digest = hashlib.sha256(parent_key.encode())
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(directory)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_debootstrap_image(output: IO[str] | None) -> tuple[BuildResult, str]:
    """``debootstrap --variant=minbase bookworm`` imported as an image, unless the same recipe is there."""
    started = time.monotonic()
    key = hashlib.sha256(DEBOOTSTRAP_RECIPE.encode()).hexdigest()
    if image_key(DEBOOTSTRAP_IMAGE) == key:
        return BuildResult(DEBOOTSTRAP_IMAGE, time.monotonic() - started, cached=True), key
    if shutil.which("debootstrap") is None:
        raise ImageBuildError("debootstrap not found: apt-get install debootstrap")
    with tempfile.TemporaryDirectory(prefix="arxiv-labeler-rootfs-", dir="/var/tmp") as rootfs:
        result = subprocess.run(
            ["debootstrap", "--variant=minbase", DEBIAN_SUITE, rootfs, DEBIAN_MIRROR],
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
        if result.returncode != 0:
            raise ImageBuildError(f"debootstrap failed with {result.returncode} (see its log in {rootfs}/debootstrap)")
        with subprocess.Popen(["tar", "--numeric-owner", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE) as tar:
            docker("import", "--change", f"LABEL {KEY_LABEL}={key}", "-", DEBOOTSTRAP_IMAGE, output=output, stdin=tar.stdout)
        if tar.returncode != 0:
            raise ImageBuildError(f"tar of the debootstrap tree failed with {tar.returncode}")
    return BuildResult(DEBOOTSTRAP_IMAGE, time.monotonic() - started, cached=False), key


def copy_host_registry_access(context: Path) -> None:
    """The host's apt sources, its apt Acquire settings and its CA bundle: how this machine reaches the registries."""
    apt = context / "host" / "apt"
    (apt / "sources.list.d").mkdir(parents=True)
    (apt / "apt.conf.d").mkdir(parents=True)
    sources_list = HOST_APT / "sources.list"
    # Written even when empty: it replaces debootstrap's one-line list, so no suite is listed twice.
    (apt / "sources.list").write_bytes(sources_list.read_bytes() if sources_list.exists() else b"")
    for source in sorted(HOST_APT.glob("sources.list.d/*")):
        if source.suffix in {".list", ".sources"}:  # what apt reads; disabled files keep another suffix
            shutil.copy(source, apt / "sources.list.d" / source.name)
    for conf in sorted(HOST_APT.glob("apt.conf.d/*")):
        if conf.is_file() and "Acquire::" in conf.read_text(errors="replace"):
            shutil.copy(conf, apt / "apt.conf.d" / conf.name)
    shutil.copy(HOST_CA_BUNDLE, context / "host" / "ca-bundle.crt")


def pinned_lines(*requirement_files: Path) -> bytes:
    """The ``name==version`` lines of the project's locks, as one constraints file."""
    lines: list[str] = []
    for path in requirement_files:
        for line in path.read_text().splitlines():
            requirement = line.split("#", 1)[0].strip()
            if requirement and not requirement.startswith("-"):
                lines.append(requirement)
    return ("\n".join(lines) + "\n").encode()


def host_python_311() -> Path:
    """The prefix of this machine's own CPython 3.11 build (3.11.5 or newer).

    Raises:
        ImageBuildError: there is none, or it is older than the lock allows.
    """
    python = shutil.which(os.environ.get("ARXIV_LABELER_STANDIN_PYTHON", "python3.11"))
    if python is None:
        raise ImageBuildError("no python3.11 on PATH to put in the Airflow stand-in (set ARXIV_LABELER_STANDIN_PYTHON)")
    probe = subprocess.run(
        [python, "-c", "import sys; print(sys.base_prefix); print(*sys.version_info[:3])"],
        capture_output=True,
        text=True,
        check=True,
    )
    prefix, version = probe.stdout.splitlines()
    major, minor, micro = (int(part) for part in version.split())
    if (major, minor) != (3, 11) or micro < MIN_PYTHON_MICRO:
        raise ImageBuildError(f"{python} is {version.replace(' ', '.')}: the lock needs 3.11.{MIN_PYTHON_MICRO} or newer")
    return Path(prefix)


def copy_host_python(context: Path) -> None:
    """The host's Python 3.11 build, without its site-packages and test suite, for /usr/python."""
    shutil.copytree(
        host_python_311(),
        context / "python",
        symlinks=True,
        ignore=shutil.ignore_patterns("site-packages", "test", "idlelib", "tkinter", "turtledemo", "libpython3.11.a", "*.pyc"),
    )


def airflow_context(context: Path) -> None:
    """The runtime lock as the stand-in Airflow's constraints, and the Python it runs on."""
    (context / "constraints.txt").write_bytes(pinned_lines(PROJECT_ROOT / "requirements.txt"))
    copy_host_python(context)


def s3_constraints(context: Path) -> None:
    """The runtime and dev locks (moto, Flask, boto3) as the S3 stand-in's constraints."""
    (context / "constraints.txt").write_bytes(
        pinned_lines(PROJECT_ROOT / "requirements.txt", PROJECT_ROOT / "requirements-dev.txt")
    )


STANDINS = (
    StandIn(BASE_IMAGE, "base", DEBOOTSTRAP_IMAGE, "DEBOOTSTRAP_IMAGE", copy_host_registry_access),
    StandIn(AIRFLOW_BASE_IMAGE, "airflow", BASE_IMAGE, "STANDIN_BASE", airflow_context),
    StandIn(POSTGRES_IMAGE, "postgres", BASE_IMAGE, "STANDIN_BASE"),
    StandIn(S3_IMAGE, "s3", BASE_IMAGE, "STANDIN_BASE", s3_constraints),
)


def build_standin(standin: StandIn, parent_key: str, output: IO[str] | None) -> tuple[BuildResult, str]:
    """Build one stand-in from a context assembled in a temporary directory, unless its key matches."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"arxiv-labeler-{standin.directory}-") as tmp:
        context = Path(tmp)
        shutil.copytree(STANDINS_DIR / standin.directory, context, dirs_exist_ok=True)
        if standin.extra_files is not None:
            standin.extra_files(context)
        key = tree_hash(parent_key, context)
        if image_key(standin.image) == key:
            return BuildResult(standin.image, time.monotonic() - started, cached=True), key
        replaced = image_id(standin.image)
        docker(
            "build",
            "--force-rm",  # a failed step leaves no stopped container behind
            "--network",
            "host",
            "--build-arg",
            f"{standin.parent_arg}={standin.parent}",
            "--label",
            f"{KEY_LABEL}={key}",
            "--tag",
            standin.image,
            str(context),
            output=output,
        )
    remove_if_untagged(replaced)
    return BuildResult(standin.image, time.monotonic() - started, cached=False), key


def build_project_image(output: IO[str] | None) -> BuildResult:
    """The project's Dockerfile on the stand-in Airflow; Docker's layer cache decides what reruns."""
    started = time.monotonic()
    before = image_id(PROJECT_IMAGE)
    docker(
        "build",
        "--force-rm",
        "--network",
        "host",
        "--build-arg",
        f"AIRFLOW_BASE_IMAGE={AIRFLOW_BASE_IMAGE}",
        "--tag",
        PROJECT_IMAGE,
        str(PROJECT_ROOT),
        output=output,
    )
    return BuildResult(PROJECT_IMAGE, time.monotonic() - started, cached=image_id(PROJECT_IMAGE) == before)


def build_all(output: IO[str] | None = None) -> list[BuildResult]:
    """Every stand-in, then the project image; returns each image's time and whether it was cached."""
    results: list[BuildResult] = []
    result, debootstrap_key = build_debootstrap_image(output)
    results.append(result)
    keys = {DEBOOTSTRAP_IMAGE: debootstrap_key}
    for standin in STANDINS:
        result, keys[standin.image] = build_standin(standin, keys[standin.parent], output)
        results.append(result)
    results.append(build_project_image(output))
    return results


def main(argv: list[str] | None = None) -> int:
    """Build what is missing; print one line per image and the total."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--log", type=Path, help="write docker's and debootstrap's output here instead of the terminal")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        if args.log is not None:
            args.log.parent.mkdir(parents=True, exist_ok=True)
            with args.log.open("a") as log:
                results = build_all(log)
        else:
            results = build_all(None)
    except ImageBuildError as exc:
        print(f"images: error: {exc}", file=sys.stderr)
        return 1
    total = time.monotonic() - started
    if args.json:
        print(json.dumps({"total_seconds": round(total, 1), "images": [asdict(r) for r in results]}))
    else:
        for r in results:
            print(f"images: {r.image:48} {'cached' if r.cached else 'built':6} {r.seconds:7.1f} s")
        print(f"images: total {total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
