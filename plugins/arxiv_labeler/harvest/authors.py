"""arXiv's free-text author lists (arXivRaw ``<authors>``, Kaggle ``authors``) split into names and affiliations.

arXiv writes affiliations in parentheses after a name, ``A. One (Inst, City)``, or
as numbers resolved by a trailing legend, ``A. One (1), B. Two (1 and 2) ((1) X, (2) Y)``.
Commas and ``and`` separate authors only outside parentheses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from arxiv_labeler.text import clean_text

_AND = re.compile(r"\s+and\s+|\s*&\s*", re.IGNORECASE)
_LEGEND_ITEM = re.compile(r"\(\s*(\d+)\s*\)\s*")
_REFERENCE = re.compile(r"^\s*\d+(?:\s*(?:,|and|&)\s*\d+)*\s*$")
_ET_AL = re.compile(r"^et\.?\s*al\.?$", re.IGNORECASE)
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}


@dataclass(frozen=True)
class Author:
    """One author as arXiv lists them: the name, and the affiliation when one is given."""

    name: str
    affiliation: str | None = None


def _top_level_parts(text: str) -> list[tuple[str, list[str]]]:
    """Comma/``and``-separated pieces outside parentheses, each as (name text, its parenthesised groups)."""
    pieces: list[tuple[str, list[str]]] = []
    name: list[str] = []
    groups: list[str] = []
    depth = 0
    group: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "(":
            if depth > 0:
                group.append(char)
            depth += 1
        elif char == ")" and depth > 0:
            depth -= 1
            if depth == 0:
                groups.append("".join(group).strip())
                group = []
            else:
                group.append(char)
        elif depth > 0:
            group.append(char)
        elif char in ",;:":
            pieces.append(("".join(name), groups))
            name, groups = [], []
        elif groups and not char.isspace() and char not in "-:.":
            # "A. One (1) B. Two": a name after an affiliation starts the next author (a missing comma)
            pieces.append(("".join(name), groups))
            name, groups = [char], []
        else:
            match = _AND.match(text, i)
            if match and match.start() == i and match.end() > i:
                pieces.append(("".join(name), groups))
                name, groups = [], []
                i = match.end()
                continue
            name.append(char)
        i += 1
    if depth > 0 and group:  # an unclosed parenthesis: keep its text as an affiliation
        groups.append("".join(group).strip())
    pieces.append(("".join(name), groups))
    return pieces


def _legend(group: str) -> dict[str, str] | None:
    """``(1) X, (2) Y`` -> {"1": "X", "2": "Y"}; None when the group is not such a legend."""
    if not _LEGEND_ITEM.match(group):
        return None
    items = _LEGEND_ITEM.split(group)[1:]
    return {items[k]: items[k + 1].strip().rstrip(",;").strip() for k in range(0, len(items) - 1, 2)}


def parse_authors(raw: str | None) -> list[Author]:
    """Authors in order, names only, with affiliations resolved where arXiv gives them."""
    text = clean_text(raw)
    if not text:
        return []
    legend: dict[str, str] = {}
    parsed: list[tuple[str, list[str]]] = []
    for name, groups in _top_level_parts(text):
        kept = []
        for group in groups:
            items = _legend(group)
            if items is not None:
                legend.update(items)
            else:
                kept.append(group)
        name = clean_text(name).strip(" -:")
        if _ET_AL.match(name):
            continue
        if not name:
            if parsed and kept:  # a stray group after a separator belongs to the previous author
                parsed[-1][1].extend(kept)
            continue
        if name.lower() in _SUFFIXES and parsed:  # "Smith, Jr." is one author
            parsed[-1] = (f"{parsed[-1][0]} {name}", parsed[-1][1])
            continue
        parsed.append((name, kept))
    return [Author(name, _affiliation(groups, legend)) for name, groups in parsed]


def _affiliation(groups: list[str], legend: dict[str, str]) -> str | None:
    resolved: list[str] = []
    for group in groups:
        if _REFERENCE.match(group):
            numbers = re.findall(r"\d+", group)
            resolved.extend(legend.get(n, n) for n in numbers)
        elif group:
            resolved.append(group)
    return "; ".join(resolved) if resolved else None
