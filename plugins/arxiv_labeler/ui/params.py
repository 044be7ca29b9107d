"""Query parameters of the labels API, validated: a bad one is a :class:`ParameterError` naming it (a 400)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from arxiv_labeler.errors import ConfigError
from arxiv_labeler.settings import parse_day
from arxiv_labeler.ui.days import MAX_DAYS, DayRange, resolve_range
from arxiv_labeler.ui.reader import ReadSession

MODEL_ID = re.compile(r"^[A-Za-z0-9_.:@/-]{1,200}$")
_LABEL = re.compile(r"^[A-Za-z0-9_.:+-]{1,100}$")
_CATEGORY = re.compile(r"^[a-z][a-z-]{0,19}(\.[A-Za-z][A-Za-z-]{0,19})?$")  # cs.LG, hep-th, cond-mat.str-el
# New-style ids (0704.0001, 2611.00001v2) and old-style ones (hep-th/9901001, math.GT/0309136).
ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z][a-z-]{0,19}(\.[A-Z]{2})?/\d{7})(v\d{1,3})?$")
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
MAX_SEARCH_CHARS = 200
MIN_SEARCH_WORD = 3  # a trigram index cannot help with shorter words; one longer word is required
MAX_SEARCH_WORDS = 8


class ParameterError(ConfigError):
    """A query parameter the API refuses; the message names it and says what is allowed."""


@dataclass(frozen=True)
class RangeParams:
    """The day range as asked (either end may be missing: then :func:`resolve_days` fills it)."""

    start: dt.date | None
    end: dt.date | None


def check_names(params: Mapping[str, str] | Sequence[tuple[str, str]], allowed: Collection[str]) -> dict[str, str]:
    """The parameters as a dict, refusing unknown names (a typo would silently widen the result) and repeated ones.

    Raises:
        ParameterError: an unknown or repeated parameter.
    """
    items = list(params.items()) if isinstance(params, Mapping) else list(params)
    seen: dict[str, str] = {}
    for name, value in items:
        if name not in allowed:
            raise ParameterError(f"unknown query parameter {name[:40]!r}; this endpoint takes {', '.join(sorted(allowed))}")
        if name in seen:
            raise ParameterError(f"query parameter {name} is given more than once")
        seen[name] = value
    return seen


def date_param(params: Mapping[str, str], name: str) -> dt.date | None:
    """A ``YYYY-MM-DD`` day, or None when absent or empty.

    Raises:
        ParameterError: not in that form, or not a real day.
    """
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return parse_day(value[:40], f"query parameter {name}")
    except ValueError as exc:
        raise ParameterError(str(exc)) from None


def range_params(params: Mapping[str, str]) -> RangeParams:
    """``from`` and ``until``, each validated; the order is checked once both are known (:func:`resolve_days`)."""
    return RangeParams(date_param(params, "from"), date_param(params, "until"))


def resolve_days(session: ReadSession, asked: RangeParams, model_id: str | None = None) -> DayRange:
    """The range to use (:func:`resolve_range`), checked.

    Raises:
        ParameterError: ``from`` after ``until``, or a range longer than ``MAX_DAYS``.
    """
    days = resolve_range(session, asked.start, asked.end, model_id)
    if days.start > days.end:
        raise ParameterError(f"from ({days.start}) is after until ({days.end})")
    if (days.end - days.start).days >= MAX_DAYS:
        raise ParameterError(f"the range {days.start}..{days.end} is longer than {MAX_DAYS} days")
    return days


def model_param(params: Mapping[str, str], name: str = "model") -> str | None:
    """A model id (``name@sha256:...``), or None.

    Raises:
        ParameterError: characters a model id never has.
    """
    value = params.get(name) or None
    if value is not None and not MODEL_ID.match(value):
        raise ParameterError(f"query parameter {name} is not a model id: {value[:80]!r}")
    return value


def label_param(params: Mapping[str, str], name: str, known: Collection[str]) -> str | None:
    """A label the warehouse's models have (or ``unclassified``); None when absent.

    Raises:
        ParameterError: a label no model in the warehouse has.
    """
    value = params.get(name) or None
    if value is None:
        return None
    if not _LABEL.match(value) or (known and value not in known):
        allowed = ", ".join(sorted(known)) if known else "a label name"
        raise ParameterError(f"query parameter {name} must be one of {allowed}, got {value[:80]!r}")
    return value


def category_param(params: Mapping[str, str], name: str = "category") -> str | None:
    """An arXiv category such as ``cs.LG`` or ``hep-th``; None when absent.

    Raises:
        ParameterError: not shaped like an arXiv category.
    """
    value = params.get(name) or None
    if value is not None and not _CATEGORY.match(value):
        raise ParameterError(f"query parameter {name} must be an arXiv category such as cs.LG or hep-th, got {value[:80]!r}")
    return value


def search_param(params: Mapping[str, str], name: str = "q") -> tuple[str, ...]:
    """The search words (every one must occur in the title or abstract); empty when absent.

    Raises:
        ParameterError: too long, too many words, or no word of ``MIN_SEARCH_WORD`` characters.
    """
    value = (params.get(name) or "").strip()
    if not value:
        return ()
    if len(value) > MAX_SEARCH_CHARS:
        raise ParameterError(f"query parameter {name} is longer than {MAX_SEARCH_CHARS} characters")
    if any(ord(c) < 32 for c in value):
        raise ParameterError(f"query parameter {name} contains control characters")
    words = tuple(dict.fromkeys(value.split()))
    if len(words) > MAX_SEARCH_WORDS:
        raise ParameterError(f"query parameter {name} has more than {MAX_SEARCH_WORDS} words")
    if max(len(w) for w in words) < MIN_SEARCH_WORD:
        raise ParameterError(f"query parameter {name} needs a word of at least {MIN_SEARCH_WORD} characters, got {value!r}")
    return words


def choice_param(params: Mapping[str, str], name: str, choices: Sequence[str], default: str) -> str:
    """One of ``choices`` (the first listed is not implied: ``default`` when absent).

    Raises:
        ParameterError: any other value.
    """
    value = params.get(name) or default
    if value not in choices:
        raise ParameterError(f"query parameter {name} must be one of {', '.join(choices)}, got {value[:40]!r}")
    return value


def int_param(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """An integer in [low, high]; ``default`` when absent.

    Raises:
        ParameterError: not an integer, or out of range.
    """
    value = params.get(name)
    if value is None or value == "":
        return default
    if not re.fullmatch(r"\d{1,9}", value):
        raise ParameterError(f"query parameter {name} must be a whole number from {low} to {high}, got {value[:40]!r}")
    number = int(value)
    if not low <= number <= high:
        raise ParameterError(f"query parameter {name} must be from {low} to {high}, got {number}")
    return number


def arxiv_id_param(value: str) -> str:
    """An arXiv identifier from the path (``2611.00001``, ``hep-th/9901001``).

    Raises:
        ParameterError: not shaped like one.
    """
    if not ARXIV_ID.match(value):
        raise ParameterError(f"path parameter arxiv_id is not an arXiv identifier: {value[:80]!r}")
    return value
