"""The package's layers, read from its imports: no arrow runs back up, no cycle, the runtime never imports devstack/."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "plugins" / "arxiv_labeler"

# Bottom to top; a unit may import its own modules and any unit of a lower layer, nothing else.
LAYERS: list[tuple[str, ...]] = [
    ("settings", "errors", "text"),  # the ground floor
    ("object_cache",),  # S3 objects cached once per ETag: the model zip's fetch and Spark NLP's jar share it
    ("parquet_batches",),  # Parquet read a row group at a time: the load's streams
    ("model", "harvest", "spark"),  # the model zip, OAI-PMH, Spark sessions: independent of each other
    ("engines",),  # a model's graph run on Spark
    ("classify",),  # the classify stage
    ("run",),  # what a run covers and what it did, from the stages' hand-offs
    ("warehouse",),  # the load stage
    ("quality",),  # checks on what was loaded
    ("hooks", "lineage"),  # Airflow connections and OpenLineage datasets over the stages
    ("alerts",),  # notifications of a run: a failed task, quality warnings, a missed deadline
    ("ui",),  # the labels page
    ("operators",),  # Airflow's tasks: wiring only
    ("example_dags", "airflow_plugin", "provider_info"),  # what Airflow loads: the DAGs, the plugin, the provider's metadata
    ("devstack",),  # the local development stack
    ("cli",),  # the command line over all of it
    ("__main__",),  # python -m arxiv_labeler
]
LAYER_OF = {unit: index for index, units in enumerate(LAYERS) for unit in units}
GROUND = ("settings", "errors")  # import nothing of the project at all


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ("arxiv_labeler", *path.relative_to(PACKAGE).with_suffix("").parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported(path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The project modules ``path`` imports anywhere in it (lazy imports inside functions count too)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        for name in names:
            while name not in known and "." in name:
                name = name.rsplit(".", 1)[0]  # `from package.module import function` -> package.module
            if name in known and name.startswith("arxiv_labeler."):
                yield name


def unit(module: str) -> str:
    """The top-level folder or module of the package a module belongs to."""
    return module.split(".")[1]


GRAPH = {name: sorted(set(imported(path, modules())) - {name}) for name, path in modules().items() if name != "arxiv_labeler"}


def test_every_unit_has_a_layer() -> None:
    assert {unit(m) for m in GRAPH} == set(LAYER_OF)


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_no_import_runs_back_up(module: str) -> None:
    upward = [
        target for target in GRAPH[module] if unit(target) != unit(module) and LAYER_OF[unit(target)] >= LAYER_OF[unit(module)]
    ]
    assert not upward, f"{module} imports {upward}: a layer may only import the layers below it (tests/test_architecture.py)"


def test_the_ground_floor_imports_nothing_of_the_project() -> None:
    for module in GROUND:
        assert GRAPH[f"arxiv_labeler.{module}"] == [], module
    assert {unit(t) for t in GRAPH["arxiv_labeler.text"]} <= set(GROUND)


def test_no_import_cycle_between_modules() -> None:
    seen: set[str] = set()
    on_path: list[str] = []

    def visit(module: str) -> None:
        if module in on_path:
            raise AssertionError("import cycle: " + " -> ".join([*on_path[on_path.index(module) :], module]))
        if module in seen:
            return
        on_path.append(module)
        for target in GRAPH.get(module, []):
            visit(target)
        on_path.pop()
        seen.add(module)

    for module in sorted(GRAPH):
        visit(module)


def test_the_runtime_never_imports_the_development_stack() -> None:
    runtime = [m for m in GRAPH if unit(m) not in ("devstack", "cli", "__main__")]
    offenders = {m: [t for t in GRAPH[m] if unit(t) == "devstack"] for m in runtime}
    assert not {m: t for m, t in offenders.items() if t}
    plugin = Path(PACKAGE.parent / "arxiv_labeler_plugin.py")
    assert {unit(t) for t in imported(plugin, modules())} == {"airflow_plugin"}  # the plugins-folder file only re-exports
    assert {unit(t) for t in GRAPH["arxiv_labeler.airflow_plugin"]} <= {"ui", "alerts"}
