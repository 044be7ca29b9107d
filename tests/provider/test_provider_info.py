"""The provider's metadata as Airflow reads it: its schemas, the classes it names, the connection forms it builds.

The discovery tests run Airflow in a subprocess that sees this project's entry points once: the
venv's editable install (``make venv``), or a stand-in ``dist-info`` (what ``pip install`` writes)
where the project is not installed, without building a wheel; the slow
``test_installed_provider.py`` does it with the real wheel in a fresh venv.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from importlib import import_module
from importlib.metadata import distributions
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from arxiv_labeler import settings
from arxiv_labeler.airflow_plugin import PLUGIN_ENTRY_POINT, registered_by_entry_point
from arxiv_labeler.harvest.client import OAI_CLIENT_OPTIONS, oai_client
from arxiv_labeler.provider_info import get_provider_info

PROJECT = Path(__file__).resolve().parents[2]
AIRFLOW = Path(import_module("airflow").__file__).parent  # type: ignore[arg-type]


def load(dotted: str) -> Any:
    module, _, name = dotted.rpartition(".")
    return getattr(import_module(module), name)


def test_the_provider_info_is_valid_for_airflow() -> None:
    info = get_provider_info()
    jsonschema.validate(info, json.loads((AIRFLOW / "provider_info.schema.json").read_text()))
    behaviours = json.loads((AIRFLOW / "customized_form_field_behaviours.schema.json").read_text())
    for connection_type in info["connection-types"]:
        behaviour = connection_type["ui-field-behaviour"]
        jsonschema.validate(
            {
                "hidden_fields": behaviour["hidden-fields"],
                "relabeling": behaviour["relabeling"],
                "placeholders": behaviour["placeholders"],
            },
            behaviours,
        )
    assert info["package-name"] == tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]["name"]


def test_every_class_it_names_exists_and_the_hooks_declare_their_types() -> None:
    info = get_provider_info()
    types = {c["connection-type"]: load(c["hook-class-name"]) for c in info["connection-types"]}
    assert set(types) == {settings.OAI_CONN_TYPE, settings.SPARK_CONN_TYPE} == {"arxiv_oai_pmh", "arxiv_labeler_spark"}
    for conn_type, hook in types.items():
        assert hook.conn_type == conn_type and hook.hook_name
        assert hook(**{hook.conn_name_attr: hook.default_conn_name}).__dict__[hook.conn_name_attr] == hook.default_conn_name
    for link in info["extra-links"]:
        assert load(link)().name == "arXiv labels"
    (plugin,) = info["plugins"]
    assert load(plugin["plugin-class"]).name == plugin["name"]
    for group in info["hooks"] + info["operators"]:
        for module in group["python-modules"]:
            import_module(module)


def test_the_oai_form_has_a_field_per_client_option_typed_as_the_client_reads_it() -> None:
    (oai,) = [c for c in get_provider_info()["connection-types"] if c["connection-type"] == "arxiv_oai_pmh"]
    fields = oai["conn-fields"]
    assert list(fields) == list(OAI_CLIENT_OPTIONS)
    for name, field in fields.items():
        expected = "integer" if OAI_CLIENT_OPTIONS[name] is int else "number"
        assert field["schema"]["type"] == [expected, "null"] and field["label"] and field["description"]
    saved = {"delay_seconds": 4, "read_timeout": 60.5, "max_retries": 1, "backoff_seconds": 2, "max_backoff_seconds": 30}
    client = oai_client("https://oaipmh.arxiv.org/oai", saved)  # what the form saves, the client takes
    assert (client.delay_seconds, client.timeout[1], client.retry.max_retries, client.retry.max_backoff_seconds) == (
        4,
        60.5,
        1,
        30,
    )


def test_the_spark_form_fields_are_the_extras_the_hook_reads() -> None:
    (spark,) = [c for c in get_provider_info()["connection-types"] if c["connection-type"] == "arxiv_labeler_spark"]
    assert set(spark["conn-fields"]) == {"driver_memory", "executor_memory", "sparknlp_jars", "sparknlp_jar_uri"}
    pattern = spark["conn-fields"]["sparknlp_jar_uri"]["schema"]["pattern"]
    jsonschema.validate("s3://jars/spark-nlp-assembly-7.0.0.jar", {"type": "string", "pattern": pattern})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate("https://repo1.maven.org/spark-nlp.jar", {"type": "string", "pattern": pattern})


def stand_in_distribution(root: Path) -> Path:
    """A ``site`` directory holding what ``pip install`` records for this project: METADATA and the entry points."""
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    dist = root / f"arxiv_labeler-{project['version']}.dist-info"
    dist.mkdir(parents=True)
    dist.joinpath("METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
    lines = [
        f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in points.items())
        for group, points in project["entry-points"].items()
    ]
    dist.joinpath("entry_points.txt").write_text("\n".join(lines))
    return root


DISCOVER = """
import json, logging
logging.disable(logging.WARNING)
from airflow.providers_manager import ProvidersManager
from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService
from airflow import plugins_manager

manager = ProvidersManager()
manager.initialize_providers_hooks()
meta = {m.connection_type: m.model_dump(mode="json") for m in HookMetaService.hook_meta_data()}
plugins, errors = plugins_manager._get_plugins()
print("RESULT=" + json.dumps({
    "providers": {name: info.version for name, info in manager.providers.items()},
    "hooks": {t: manager.hooks[t].hook_class_name for t in ("arxiv_oai_pmh", "arxiv_labeler_spark")},
    "meta": {t: meta[t] for t in ("arxiv_oai_pmh", "arxiv_labeler_spark", "http")},
    "plugins": [(p.name, str(p.source)) for p in plugins],
    "plugin_errors": errors,
}))
"""


@pytest.fixture(scope="module")
def discovered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What Airflow discovers with the entry points installed and this project's plugins folder also set."""
    root = tmp_path_factory.mktemp("provider")
    # a second copy of the entry points would register the plugin twice: the stand-in only where none is installed
    paths = (
        [str(PROJECT / "plugins")]
        if registered_by_entry_point()
        else [str(stand_in_distribution(root / "site")), str(PROJECT / "plugins")]
    )
    env = dict(os.environ) | {
        "PYTHONPATH": os.pathsep.join(paths),
        "AIRFLOW_HOME": str(root / "home"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT / "plugins"),  # the Astro-style file too: loaded once all the same
        "AIRFLOW__CORE__DAGS_FOLDER": str(root / "dags"),
    }
    result = subprocess.run([sys.executable, "-c", DISCOVER], env=env, capture_output=True, text=True, timeout=300, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT=")]
    assert result.returncode == 0 and lines, result.stderr[-3000:]
    return json.loads(lines[0].removeprefix("RESULT="))  # type: ignore[no-any-return]


def test_airflow_discovers_the_provider_and_its_hooks(discovered: dict[str, Any]) -> None:
    assert discovered["providers"]["arxiv-labeler"] == "0.1.0"
    assert discovered["hooks"] == {
        "arxiv_oai_pmh": "arxiv_labeler.hooks.oai.OaiHook",
        "arxiv_labeler_spark": "arxiv_labeler.hooks.spark.SparkHook",
    }


def test_the_connection_forms_get_the_fields(discovered: dict[str, Any]) -> None:
    oai, spark = discovered["meta"]["arxiv_oai_pmh"], discovered["meta"]["arxiv_labeler_spark"]
    assert oai["hook_name"] == "arXiv OAI-PMH" and spark["hook_name"] == "Spark (arxiv-labeler)"
    assert set(oai["extra_fields"]) == {"delay_seconds", "read_timeout", "max_retries", "backoff_seconds", "max_backoff_seconds"}
    assert oai["extra_fields"]["max_retries"]["schema"] == {
        "type": ["integer", "null"],
        "minimum": 0,
        "title": "Retries per request",
    }
    assert oai["standard_fields"]["host"]["title"] == "Base URL" and oai["standard_fields"]["login"]["hidden"]
    assert {"driver_memory", "executor_memory", "sparknlp_jars", "sparknlp_jar_uri"} == set(spark["extra_fields"])
    assert spark["standard_fields"]["host"]["title"] == "Master"
    assert discovered["meta"]["http"]["connection_type"] == "http"  # the older type is still offered for arxiv_oai


def test_the_plugin_is_loaded_once_through_the_entry_point(discovered: dict[str, Any]) -> None:
    (plugin,) = [p for p in discovered["plugins"] if p[0] == "arxiv_labeler"]
    assert "arxiv_labeler.airflow_plugin:ArxivLabelerPlugin" in plugin[1]  # the entry point, not the plugins folder
    assert discovered["plugin_errors"] == {}  # no "already registered" error from the plugins-folder file


def test_no_second_copy_of_the_entry_points_is_on_the_path() -> None:
    """A build's ``plugins/arxiv_labeler.egg-info`` beside the editable install would make Airflow load the plugin twice."""
    declaring = [
        str(distribution.locate_file(""))
        for distribution in distributions()
        for point in distribution.entry_points
        if point.group == "airflow.plugins" and point.value == PLUGIN_ENTRY_POINT
    ]
    assert len(declaring) <= 1, f"the plugin's entry point is declared by {len(declaring)} distributions: {declaring}"
