"""Logits to Spark NLP ``category`` annotations: activation, threshold and Java number text."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    """Spark NLP's ``calculateSoftmax``: exp in double, no max subtraction, sequential sum, cast to float."""
    exp = np.exp(logits.astype(np.float64))
    total = np.cumsum(exp, axis=-1)[..., -1:]  # cumsum adds left to right like Scala's .sum
    return (exp / total).astype(np.float32)


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """Spark NLP's ``calculateSigmoid``: 1 / (1 + exp(-x)) in double, cast to float."""
    return (1.0 / (1.0 + np.exp(-logits.astype(np.float64)))).astype(np.float32)


def java_float_to_string(value: float) -> str:
    """``Float.toString`` text: shortest digits that round-trip, Java's layout.

    Decimal form for 1e-3 <= |x| < 1e7, else ``d.dddE±n``; always a digit after the point.
    This is the JDK 19+ algorithm; JDK 17's older one prints a longer string
    for a small fraction of floats (measured in tests/engines/test_scoring.py).
    """
    f = np.float32(value)
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "Infinity" if f > 0 else "-Infinity"
    if f == 0:
        return "-0.0" if math.copysign(1.0, float(f)) < 0 else "0.0"
    sign = "-" if f < 0 else ""
    digits_text = np.format_float_scientific(abs(f), unique=True, trim="-")
    mantissa, exponent_text = digits_text.split("e")
    digits = mantissa.replace(".", "")
    exponent = int(exponent_text)
    magnitude = abs(float(f))
    if 1e-3 <= magnitude < 1e7:
        if exponent >= 0:
            integer = digits[: exponent + 1].ljust(exponent + 1, "0")
            fraction = digits[exponent + 1 :] or "0"
        else:
            integer = "0"
            fraction = "0" * (-exponent - 1) + digits
        return f"{sign}{integer}.{fraction}"
    fraction = digits[1:] or "0"
    return f"{sign}{digits[0]}.{fraction}E{exponent}"


@dataclass(frozen=True)
class Category:
    """One ``category`` annotation in the ``class`` column."""

    begin: int
    end: int
    result: str
    metadata: dict[str, str]


def categories_for(
    scores: np.ndarray, labels: list[str], activation: str, threshold: float, begin: int, end: int
) -> list[Category]:
    """Spark NLP's annotations for one sentence's scores (softmax: argmax; sigmoid: all over threshold)."""
    metadata = {"sentence": "0"}
    metadata.update({label: java_float_to_string(score) for label, score in zip(labels, scores, strict=True)})
    if activation == "sigmoid":
        chosen = [labels[i] for i, s in enumerate(scores) if s > np.float32(threshold)]
    else:
        chosen = [labels[int(np.argmax(scores))]]  # argmax keeps the first maximum, like maxBy
    return [Category(begin, end, label, metadata) for label in chosen]
