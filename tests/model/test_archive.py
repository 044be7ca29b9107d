"""ModelArchive: reading, identity, and a clear error for each way a model zip can be wrong."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from arxiv_labeler.errors import ModelArchiveError
from arxiv_labeler.model.archive import MODEL_CLASS, ModelArchive
from arxiv_labeler.model.package import parse_param, read_vocab_file, write_model_zip

from tests.support.tiny_model import LABELS, vocabulary


def rewrite(source: Path, target: Path, drop: set[str] = frozenset(), replace: dict[str, bytes] | None = None) -> Path:
    """Copy a zip, dropping or replacing entries."""
    replace = replace or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if info.filename in drop:
                continue
            new.writestr(info.filename, replace.get(info.filename, old.read(info)))
        for name, data in replace.items():
            if name not in old.namelist() or name in drop:
                new.writestr(name, data)
    return target


def metadata_of(zip_path: Path) -> dict:
    with zipfile.ZipFile(zip_path) as archive:
        return json.loads(archive.read("metadata/part-00000"))


def test_reads_labels_vocabulary_params_and_identity(tiny_zip: Path, tiny_dir: Path) -> None:
    archive = ModelArchive.open(tiny_zip).validate()
    assert archive.labels == LABELS
    assert archive.vocabulary == vocabulary()
    assert archive.params.case_sensitive is False
    assert archive.params.max_sentence_length == 128 and archive.params.batch_size == 8
    assert archive.engine == "onnx"
    assert archive.onnx_bytes == (tiny_dir / "tiny.onnx").read_bytes()
    assert archive.model_id == f"tiny@sha256:{archive.sha256}" and len(archive.sha256) == 64
    assert archive.uid.startswith("DistilBertForSequenceClassification_")


def test_directory_and_zip_read_the_same(tiny_zip: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(tiny_zip) as z:
        z.extractall(tmp_path / "model")
    a = ModelArchive.open(tiny_zip)
    b = ModelArchive.open(tmp_path / "model", sha256=a.sha256, name="tiny")
    assert (a.labels, a.vocabulary, a.onnx_bytes, a.model_id) == (b.labels, b.vocabulary, b.onnx_bytes, b.model_id)


def test_describe_has_what_inspect_prints(tiny_zip: Path) -> None:
    described = ModelArchive.open(tiny_zip).describe()
    assert described["class"] == MODEL_CLASS
    assert described["labels"] == LABELS and described["vocabulary_size"] == len(vocabulary())
    assert described["onnx"]["inputs"] == ["input_ids", "attention_mask"] and described["onnx"]["outputs"] == ["logits"]


def test_round_trip_package_then_read(tiny_dir: Path, tmp_path: Path) -> None:
    onnx_bytes = (tiny_dir / "tiny.onnx").read_bytes()
    vocab = read_vocab_file(tiny_dir / "vocab.txt")
    out = write_model_zip(tmp_path / "m.zip", onnx_bytes, vocab, ["b", "a", "c"], dict([parse_param("maxSentenceLength=64")]))
    archive = ModelArchive.open(out)
    assert (archive.labels, archive.vocabulary, archive.onnx_bytes) == (["b", "a", "c"], vocab, onnx_bytes)
    assert archive.params.max_sentence_length == 64
    assert archive.params.case_sensitive is False  # inferred: no upper-case pieces


def test_case_sensitive_inferred_from_vocabulary(tiny_dir: Path, tmp_path: Path) -> None:
    out = write_model_zip(tmp_path / "m.zip", (tiny_dir / "tiny.onnx").read_bytes(), vocabulary(uppercase=True), LABELS)
    assert ModelArchive.open(out).params.case_sensitive is True


def test_param_typo_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown param 'caseSensitve'"):
        parse_param("caseSensitve=false")


def test_wrong_class(tiny_zip: Path, tmp_path: Path) -> None:
    meta = metadata_of(tiny_zip) | {"class": "com.johnsnowlabs.nlp.annotators.classifier.dl.BertForSequenceClassification"}
    bad = rewrite(tiny_zip, tmp_path / "bad.zip", replace={"metadata/part-00000": json.dumps(meta).encode()})
    with pytest.raises(ModelArchiveError, match="BertForSequenceClassification'; expected .*DistilBertForSequenceClassification"):
        ModelArchive.open(bad).validate()


def test_tensorflow_model_says_which_engine_can_run_it(tiny_zip: Path, tmp_path: Path) -> None:
    meta = metadata_of(tiny_zip)
    meta["paramMap"]["engine"] = "tensorflow"
    bad = rewrite(
        tiny_zip,
        tmp_path / "tf.zip",
        drop={"distilbert_classification_onnx"},
        replace={"metadata/part-00000": json.dumps(meta).encode(), "distilbert_classification_tensorflow": b"PK"},
    )
    with pytest.raises(ModelArchiveError, match="TensorFlow-engine model; the onnx engine cannot run it. Use engine=sparknlp"):
        ModelArchive.open(bad).validate()


def test_dataset_serialization_is_named(tiny_zip: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(tiny_zip) as z:
        drop = {n for n in z.namelist() if n.startswith("fields/labels/")}
    bad = rewrite(tiny_zip, tmp_path / "ds.zip", drop=drop, replace={"fields/labels/part-00000-abc.snappy.parquet": b"PAR1"})
    with pytest.raises(ModelArchiveError, match="'dataset' \\(parquet\\) serialization"):
        ModelArchive.open(bad).validate()


def test_truncated_part_is_caught_by_its_crc(tiny_zip: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(tiny_zip) as z:
        data = z.read("fields/vocabulary/part-00000")
    bad = rewrite(tiny_zip, tmp_path / "t.zip", replace={"fields/vocabulary/part-00000": data[:-7]})
    with pytest.raises(ModelArchiveError, match="checksum mismatch"):
        ModelArchive.open(bad).validate()


def test_truncated_part_without_crc(tiny_zip: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(tiny_zip) as z:
        data = z.read("fields/vocabulary/part-00000")
    bad = rewrite(
        tiny_zip,
        tmp_path / "t.zip",
        drop={"fields/vocabulary/.part-00000.crc"},
        replace={"fields/vocabulary/part-00000": data[:-7]},
    )
    with pytest.raises(ModelArchiveError, match="vocabulary.*truncated"):
        ModelArchive.open(bad).validate()


def test_missing_part(tiny_zip: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(tiny_zip) as z:
        drop = {n for n in z.namelist() if n.startswith("fields/labels/")}
    with pytest.raises(ModelArchiveError, match="missing fields/labels/part-"):
        ModelArchive.open(rewrite(tiny_zip, tmp_path / "m.zip", drop=drop)).validate()
    with pytest.raises(ModelArchiveError, match="missing metadata/part-00000"):
        ModelArchive.open(rewrite(tiny_zip, tmp_path / "n.zip", drop={"metadata/part-00000"})).validate()


def test_vocabulary_without_special_tokens(tiny_dir: Path, tmp_path: Path) -> None:
    vocab = {k: v for k, v in vocabulary().items() if k != "[SEP]"}
    with pytest.raises(ModelArchiveError, match=r"vocabulary lacks \[SEP\]"):
        write_model_zip(tmp_path / "v.zip", (tiny_dir / "tiny.onnx").read_bytes(), vocab, LABELS)
    assert not (tmp_path / "v.zip").exists()  # nothing half-written


def test_labels_must_be_zero_to_n_minus_one(tiny_zip: Path, tmp_path: Path) -> None:
    from arxiv_labeler.model.java_serialization import write_tuple2_array
    from arxiv_labeler.model.sequence_file import sequence_file_bytes

    with zipfile.ZipFile(tiny_zip) as z:
        drop = {n for n in z.namelist() if n.startswith("fields/labels/")}
    part = sequence_file_bytes([write_tuple2_array([("cs", 0), ("math", 2), ("physics", 3)])])
    bad = rewrite(tiny_zip, tmp_path / "l.zip", drop=drop, replace={"fields/labels/part-00000": part})
    with pytest.raises(ModelArchiveError, match=r"label ids must be 0..2 without gaps, got \[0, 2, 3\]"):
        ModelArchive.open(bad).validate()


def test_onnx_with_wrong_io_names(tiny_zip: Path, tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["ids"], ["out"])],
        "g",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, [1, 2])],
        [helper.make_tensor_value_info("out", TensorProto.INT64, [1, 2])],
    )
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("model.onnx", helper.make_model(graph).SerializeToString())
    bad = rewrite(tiny_zip, tmp_path / "o.zip", replace={"distilbert_classification_onnx": inner.getvalue()})
    with pytest.raises(ModelArchiveError, match=r"ONNX graph has inputs \['ids'\] and outputs \['out'\]"):
        ModelArchive.open(bad).validate()
    _ = onnx


def test_not_a_zip(tmp_path: Path) -> None:
    bad = tmp_path / "model.zip"
    bad.write_bytes(b"<html>Access Denied</html>")
    with pytest.raises(ModelArchiveError, match="not a zip file"):
        ModelArchive.open(bad)
