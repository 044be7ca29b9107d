"""The classified text of a paper: title, a space, abstract; whitespace normalised, TeX kept."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")


def clean_text(value: str | None) -> str:
    """Drop control and unpaired-surrogate characters, collapse whitespace runs to one space, trim."""
    if not value:
        return ""
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace").replace("\ufffd", "")
    cleaned = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in value if ch not in ("\ufeff", "\x00"))
    return _WHITESPACE.sub(" ", cleaned).strip()


def paper_text(title: str | None, abstract: str | None) -> tuple[str, str]:
    """(text, source): source is ``title_abstract``, ``title_only``, ``abstract_only`` or ``empty``."""
    title, abstract = clean_text(title), clean_text(abstract)
    if title and abstract:
        return f"{title} {abstract}", "title_abstract"
    if title:
        return title, "title_only"
    if abstract:
        return abstract, "abstract_only"
    return "", "empty"


def text_sha256(text: str) -> str:
    """Hex sha256 of the UTF-8 text: the 'unchanged text' key for skipping reclassification."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
