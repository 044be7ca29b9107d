"""Spark NLP's text-to-ids path for DistilBertForSequenceClassification, in plain Python.

Reproduces, rule for rule, ``Tokenizer`` (default settings) ->
``DistilBertClassification.tokenizeWithAlignment`` (lower-case, ``BasicTokenizer``,
first piece only) -> ``WordpieceEncoder`` -> ``XXXForClassification.encode``.
Java semantics matter: strings are UTF-16 (lengths count code units, and the
character tests see surrogates one at a time), ``trim`` removes chars <= U+0020.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

CONTEXT_CHARS = ".,;:!?*-()\"'"
# Tokenizer candidates: runs of anything but Java's \s and U+2187 (TokenizerModel's BREAK_CHAR).
_CANDIDATE = re.compile(r"[^ \t\n\x0b\x0c\r\u2187]+")
_TOKEN_RULE = re.compile(r"\A([{c}]*)([^{c}](?:.*[^{c}])*)([{c}]*)\Z".format(c=re.escape(CONTEXT_CHARS)), re.DOTALL)
# The Python Tokenizer wrapper sends maxLength=99999: longer tokens are dropped.
TOKEN_MAX_LENGTH = 99999
MAX_INPUT_CHARS_PER_WORD = 200
_JAVA_WHITESPACE_EXTRA = frozenset("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f")
_NON_BREAKING = frozenset("\u00a0\u2007\u202f")


@dataclass(frozen=True)
class Token:
    """A Spark NLP ``token`` annotation: text and inclusive UTF-16 offsets in the document."""

    text: str
    begin: int
    end: int


@dataclass(frozen=True)
class Encoding:
    """What the engine feeds the model for one document."""

    tokens: list[Token]
    pieces: list[str]
    ids: list[int]  # with [CLS] and [SEP], no padding


def utf16_len(text: str) -> int:
    """Java ``String.length()``: UTF-16 code units."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _java_is_whitespace(ch: str) -> bool:
    if ch in _JAVA_WHITESPACE_EXTRA or ch == " ":
        return True
    return unicodedata.category(ch) in ("Zs", "Zl", "Zp") and ch not in _NON_BREAKING


def _java_is_iso_control(ch: str) -> bool:
    cp = ord(ch)
    return cp <= 0x1F or 0x7F <= cp <= 0x9F


@lru_cache(maxsize=4096)
def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    # Java tests UTF-16 units one by one: a supplementary character is two surrogates, never punctuation.
    return cp <= 0xFFFF and "PUNCTUATION" in unicodedata.name(ch, "")


def _is_to_filter(ch: str) -> bool:
    return ch in ("\x00", "\ufffd") or (_java_is_iso_control(ch) and ch not in "\t\n\r")


def _is_chinese(ch: str) -> bool:
    cp = ord(ch)  # only BMP ranges can match a Java char
    return 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF


def _java_trim(text: str) -> str:
    start, end = 0, len(text)
    while start < end and ord(text[start]) <= 0x20:
        start += 1
    while end > start and ord(text[end - 1]) <= 0x20:
        end -= 1
    return text[start:end]


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not 0x300 <= ord(ch) <= 0x36F)


def _normalize_piece(text: str, case_sensitive: bool) -> str:
    result = "".join(ch for ch in _strip_accents(_java_trim(text)) if not _is_to_filter(ch))
    return result if case_sensitive else result.lower()


def basic_tokenizer_first_piece(token: str, case_sensitive: bool) -> str:
    """Spark NLP ``BasicTokenizer.tokenize`` on one token, keeping only the first piece ('' if none)."""
    content = token if case_sensitive else token.lower()
    i, n = 0, len(content)
    while i < n:
        while i < n and _java_is_whitespace(content[i]) and not _is_punctuation(content[i]):
            i += 1
        end = i
        while end < n:
            ch = content[end]
            if _is_to_filter(ch) or _is_punctuation(ch) or _is_chinese(ch) or _java_is_whitespace(ch):
                break
            end += 1
        if end > i:
            piece = _normalize_piece(content[i:end], case_sensitive)
            if piece:
                return piece
        if end < n and (_is_punctuation(content[end]) or _is_chinese(content[end])):
            piece = _normalize_piece(content[end], case_sensitive)
            if piece:
                return piece
        i = end + 1
    return ""


def spark_tokenize(text: str) -> list[Token]:
    """Spark NLP's default ``Tokenizer``: whitespace candidates, context characters split off the ends."""
    tokens: list[Token] = []
    offset, seen = 0, 0  # UTF-16 offset of text[:seen], advanced incrementally (linear in the text)
    for match in _CANDIDATE.finditer(text):
        candidate = match.group(0)
        offset += utf16_len(text[seen : match.start()])
        seen = match.end()
        start_offset = offset
        offset += utf16_len(candidate)
        rule = _TOKEN_RULE.match(candidate)
        parts = list(rule.groups()) if rule else [candidate]
        position = start_offset
        for part in parts:
            length = utf16_len(part)
            if part and length <= TOKEN_MAX_LENGTH:
                tokens.append(Token(part, position, position + length - 1))
            position += length
    return tokens


class WordpieceTokenizer:
    """Spark NLP's classifier tokenization with a given vocabulary and case handling."""

    def __init__(self, vocabulary: dict[str, int], case_sensitive: bool, max_sentence_length: int) -> None:
        self.vocabulary = vocabulary
        self.case_sensitive = case_sensitive
        self.max_sentence_length = max_sentence_length
        self.unk_id = vocabulary["[UNK]"]
        self.cls_id = vocabulary["[CLS]"]
        self.sep_id = vocabulary["[SEP]"]
        # Words repeat a lot across abstracts; caching the per-word work is the hot-path win.
        self._word_pieces = lru_cache(maxsize=200_000)(self._word_pieces_uncached)
        # The ids path caches whole whitespace candidates too (context splitting + word pieces).
        self._candidate_ids = lru_cache(maxsize=200_000)(self._candidate_ids_uncached)

    def _word_pieces_uncached(self, token: str) -> tuple[tuple[str, int], ...]:
        word = basic_tokenizer_first_piece(token, self.case_sensitive)
        if not word:
            return ()
        if utf16_len(word) > MAX_INPUT_CHARS_PER_WORD:
            return (("[UNK]", self.unk_id),)
        pieces: list[tuple[str, int]] = []
        start, n = 0, len(word)
        while start < n:
            end = n
            while end > start:
                candidate = ("##" if start > 0 else "") + word[start:end]
                found = self.vocabulary.get(candidate)
                if found is not None:
                    pieces.append((candidate, found))
                    break
                end -= 1
            if end == start:
                return (("[UNK]", self.unk_id),)
            start = end
        return tuple(pieces)

    def encode(self, text: str) -> Encoding | None:
        """Tokens, pieces and ids ([CLS] ... [SEP], truncated) for a document; None if it has no tokens."""
        tokens = spark_tokenize(text)
        if not tokens:
            return None
        pieces: list[tuple[str, int]] = []
        for token in tokens:
            if token.text != " ":
                pieces.extend(self._word_pieces(token.text))
            if len(pieces) >= self.max_sentence_length:
                break
        pieces = pieces[: self.max_sentence_length][: self.max_sentence_length - 2]
        ids = [self.cls_id, *(pid for _, pid in pieces), self.sep_id]
        return Encoding(tokens, [p for p, _ in pieces], ids)

    def _candidate_ids_uncached(self, candidate: str) -> tuple[bool, tuple[int, ...]]:
        """(whether the candidate yields a token, its ids): ``spark_tokenize`` + word pieces without offsets."""
        rule = _TOKEN_RULE.match(candidate)
        parts = rule.groups() if rule else (candidate,)
        has_token = False
        ids: list[int] = []
        for part in parts:
            # utf16_len <= 2 * len: the exact count is needed only for very long parts
            if part and (len(part) <= TOKEN_MAX_LENGTH // 2 or utf16_len(part) <= TOKEN_MAX_LENGTH):
                has_token = True
                ids.extend(pid for _, pid in self._word_pieces(part))
        return has_token, tuple(ids)

    def encode_ids(self, text: str) -> list[int] | None:
        """Only the ids (the engine's hot path): the same ids as :meth:`encode`, without building tokens."""
        limit = self.max_sentence_length
        has_token = False
        pieces: list[int] = []
        for candidate in _CANDIDATE.findall(text):
            yields, ids = self._candidate_ids(candidate)
            has_token = has_token or yields
            pieces.extend(ids)
            if len(pieces) >= limit:
                break
        if not has_token:
            return None
        return [self.cls_id, *pieces[: limit - 2], self.sep_id]


def pad_batch(id_lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad with id 0 to the longest in the batch; attention mask = id != 0 (as Spark NLP)."""
    width = max(len(ids) for ids in id_lists)
    input_ids = np.zeros((len(id_lists), width), dtype=np.int64)
    for row, ids in enumerate(id_lists):
        input_ids[row, : len(ids)] = ids
    return input_ids, (input_ids != 0).astype(np.int64)
