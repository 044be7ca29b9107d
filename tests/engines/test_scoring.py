"""Scores as Spark NLP computes and prints them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from arxiv_labeler.engines.scoring import categories_for, java_float_to_string, sigmoid, softmax

JAVA_SOURCE = Path(__file__).parent / "jvm" / "FloatToString.java"


def test_softmax_is_double_exp_over_sequential_sum_cast_to_float() -> None:
    logits = np.array([[1.5, -2.25, 0.125, 3.0, 0.0, -0.5, 2.0, 1.0, 0.75]], dtype=np.float32)
    exp = [np.exp(np.float64(x)) for x in logits[0]]
    total = 0.0
    for value in exp:  # Scala's exp.sum: left to right
        total += value
    expected = np.array([np.float32(v / total) for v in exp])
    assert softmax(logits)[0].tobytes() == expected.tobytes()


def test_sigmoid_and_threshold() -> None:
    scores = sigmoid(np.array([0.0, 2.0, -2.0], dtype=np.float32))
    assert scores[0] == np.float32(0.5)
    chosen = categories_for(scores, ["a", "b", "c"], "sigmoid", 0.5, 0, 9)
    assert [c.result for c in chosen] == ["b"]  # 0.5 is not > 0.5


def test_softmax_annotation_metadata() -> None:
    scores = softmax(np.array([[0.1, 2.0, 0.3]], dtype=np.float32))[0]
    (category,) = categories_for(scores, ["cs", "math", "physics"], "softmax", 0.5, 0, 41)
    assert category.result == "math" and (category.begin, category.end) == (0, 41)
    assert category.metadata["sentence"] == "0"
    assert set(category.metadata) == {"sentence", "cs", "math", "physics"}
    assert float(category.metadata["math"]) == pytest.approx(float(scores[1]))


def test_ties_keep_the_first_label() -> None:
    (category,) = categories_for(np.array([0.25, 0.5, 0.5], dtype=np.float32), ["a", "b", "c"], "softmax", 0.5, 0, 1)
    assert category.result == "b"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.5, "0.5"),
        (1.2345e-4, "1.2345E-4"),
        (0.001, "0.001"),
        (1e7, "1.0E7"),
        (123.0, "123.0"),
        (1.0, "1.0"),
        (0.0, "0.0"),
        (3.4028235e38, "3.4028235E38"),
        (float("nan"), "NaN"),
    ],
)
def test_java_float_to_string_known_values(value: float, text: str) -> None:
    assert java_float_to_string(value) == text


def run_java_float_to_string(values: np.ndarray, tmp_path: Path) -> list[str]:
    source = tmp_path / "bits.txt"
    source.write_text("\n".join(f"{b:08x}" for b in values.astype(np.float32).view(np.uint32)))
    java = subprocess.run(["java", str(JAVA_SOURCE), str(source)], capture_output=True, text=True, check=True, timeout=120)
    return java.stdout.split("\n")[: len(values)]


@pytest.mark.skipif(shutil.which("java") is None, reason="no java on PATH")
def test_scores_print_exactly_as_this_jvm(tmp_path: Path) -> None:
    """Every softmax/sigmoid score (the values Spark NLP prints) matches Java 17's Float.toString."""
    rng = np.random.default_rng(3)
    logits = rng.normal(0, 4, size=(4000, 8)).astype(np.float32)
    values = np.concatenate([softmax(logits).ravel(), sigmoid(logits[:500]).ravel()])
    expected = run_java_float_to_string(values, tmp_path)
    different = [(float(v), e) for v, e in zip(values, expected, strict=True) if java_float_to_string(float(v)) != e]
    assert different == []


@pytest.mark.skipif(shutil.which("java") is None, reason="no java on PATH")
def test_large_magnitudes_round_trip(tmp_path: Path) -> None:
    """Outside [0, 1] JDK 17's older algorithm sometimes prints extra digits (JDK 19+ does not);
    the text always denotes the same float. Scores never leave [0, 1]."""
    rng = np.random.default_rng(4)
    values = np.concatenate([rng.uniform(-1e9, 1e9, 1000), 10.0 ** rng.uniform(-40, 38, 1000)]).astype(np.float32)
    expected = run_java_float_to_string(values, tmp_path)
    for value, text in zip(values, expected, strict=True):
        assert np.float32(java_float_to_string(float(value))) == np.float32(text) == value
