"""arXiv's eight groups and the OAI set names (``group[:archive[:CATEGORY]]``)."""

from __future__ import annotations

import re

GROUPS = ("cs", "econ", "eess", "math", "physics", "q-bio", "q-fin", "stat")
PHYSICS_ARCHIVES = frozenset(
    {
        "astro-ph",
        "cond-mat",
        "gr-qc",
        "hep-ex",
        "hep-lat",
        "hep-ph",
        "hep-th",
        "math-ph",
        "nlin",
        "nucl-ex",
        "nucl-th",
        "physics",
        "quant-ph",
        # retired archives that still appear in old records
        "acc-phys",
        "adap-org",
        "ao-sci",
        "atom-ph",
        "bayes-an",
        "chao-dyn",
        "chem-ph",
        "comp-gas",
        "dg-ga",
        "funct-an",
        "mtrl-th",
        "patt-sol",
        "plasm-ph",
        "solv-int",
        "supr-con",
    }
)
_OLD_MATH = frozenset({"alg-geom", "dg-ga", "funct-an", "q-alg"})
_SET_PATTERN = re.compile(r"^(?P<group>[a-z-]+)(?::(?P<archive>[a-z-]+)(?::(?P<category>[A-Za-z.-]+))?)?$")


def group_of(category: str) -> str:
    """The group of a category: ``cs.LG`` -> cs, ``hep-th`` -> physics, ``q-bio.NC`` -> q-bio."""
    archive = category.split(".", 1)[0]
    if archive in _OLD_MATH:
        return "math"
    if archive in GROUPS:
        return archive
    if archive in PHYSICS_ARCHIVES or archive.startswith("astro-ph") or archive.startswith("cond-mat"):
        return "physics"
    if archive == "cmp-lg":
        return "cs"
    return "physics" if "-" in archive else archive


def validate_set(spec: str) -> str:
    """Check an OAI set name like ``cs``, ``physics:astro-ph`` or ``math:math:NA``.

    Raises:
        ValueError: naming the bad set and the allowed groups.
    """
    match = _SET_PATTERN.match(spec)
    if not match or match.group("group") not in GROUPS:
        raise ValueError(f"unknown arXiv set {spec!r}: expected group[:archive[:CATEGORY]] with group one of {', '.join(GROUPS)}")
    return spec


def record_in_set(categories: list[str], spec: str) -> bool:
    """Whether a record with these categories belongs to OAI set ``spec``."""
    parts = spec.split(":")
    for category in categories:
        archive = category.split(".", 1)[0]
        if group_of(category) != parts[0]:
            continue
        if len(parts) == 1:
            return True
        if archive != parts[1]:
            continue
        if len(parts) == 2 or category == f"{parts[1]}.{parts[2]}" or category == parts[2]:
            return True
    return False
