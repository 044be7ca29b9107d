"""arXiv's eight groups and the OAI set names (``group[:archive[:CATEGORY]]``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from arxiv_labeler.errors import ConfigError

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
# arXiv's current sets below the groups (ListSets of oaipmh.arxiv.org): archive -> its categories' suffixes.
_CATEGORIES: dict[str, str] = {
    "cs": "AI AR CC CE CG CL CR CV CY DB DC DL DM DS ET FL GL GR GT HC IR IT LG LO MA MM MS NA NE NI OH OS PF PL RO SC SD "
    "SE SI SY",
    "econ": "EM GN TH",
    "eess": "AS IV SP SY",
    "math": "AC AG AP AT CA CO CT CV DG DS FA GM GN GR GT HO IT KT LO MG MP NA NT OA OC PR QA RA RT SG SP ST",
    "astro-ph": "CO EP GA HE IM SR",
    "cond-mat": "dis-nn mes-hall mtrl-sci other quant-gas soft stat-mech str-el supr-con",
    "gr-qc": "",
    "hep-ex": "",
    "hep-lat": "",
    "hep-ph": "",
    "hep-th": "",
    "math-ph": "",
    "nlin": "AO CD CG PS SI",
    "nucl-ex": "",
    "nucl-th": "",
    "physics": "acc-ph ao-ph app-ph atm-clus atom-ph bio-ph chem-ph class-ph comp-ph data-an ed-ph flu-dyn gen-ph geo-ph "
    "hist-ph ins-det med-ph optics plasm-ph pop-ph soc-ph space-ph",
    "quant-ph": "",
    "q-bio": "BM CB GN MN NC OT PE QM SC TO",
    "q-fin": "CP EC GN MF PM PR RM ST TR",
    "stat": "AP CO ME ML OT TH",
}
ARXIV_CATEGORIES: dict[str, frozenset[str]] = {archive: frozenset(cats.split()) for archive, cats in _CATEGORIES.items()}
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


def arxiv_sets() -> frozenset[str]:
    """Every set arXiv's OAI-PMH endpoint offers: groups, ``group:archive`` and ``group:archive:CATEGORY``."""
    sets = set(GROUPS)
    for archive, categories in ARXIV_CATEGORIES.items():
        group = group_of(archive)
        sets.add(f"{group}:{archive}")
        sets.update(f"{group}:{archive}:{category}" for category in categories)
    return frozenset(sets)


def validate_set(spec: str, known_sets: frozenset[str] | None = None) -> str:
    """Check an OAI set name like ``cs``, ``physics:astro-ph`` or ``math:math:NA`` against the sets that exist.

    ``known_sets`` is the endpoint's ``ListSets`` answer; by default, arXiv's own sets.

    Raises:
        ConfigError: naming the bad set and what is close or allowed.
    """
    known = known_sets if known_sets is not None else arxiv_sets()
    if spec in known:
        return spec
    match = _SET_PATTERN.match(spec)
    if not match or match.group("group") not in GROUPS:
        raise ConfigError(
            f"unknown arXiv set {spec!r}: expected group[:archive[:CATEGORY]] with group one of {', '.join(GROUPS)}"
        )
    below = sorted(s for s in known if s.startswith(match.group("group") + ":") and s.count(":") == 1)
    raise ConfigError(
        f"unknown arXiv set {spec!r}: the endpoint has no such set; sets under {match.group('group')!r}: {', '.join(below)}"
    )


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


# Categories listed under two names (arXiv's taxonomy): each alias -> the name arXiv files it under.
CATEGORY_ALIASES = {
    "math.MP": "math-ph",
    "stat.TH": "math.ST",
    "math.IT": "cs.IT",
    "q-fin.EC": "econ.GN",
    "cs.SY": "eess.SY",
    "cs.NA": "math.NA",
}
LabelMapping = Literal["groups", "categories"]


def arxiv_categories() -> frozenset[str]:
    """Every category name: ``cs.LG``, ``hep-th`` (an archive without subdivisions), retired ones like ``chao-dyn``."""
    names = {f"{archive}.{suffix}" for archive, suffixes in ARXIV_CATEGORIES.items() for suffix in suffixes}
    names.update(archive for archive, suffixes in ARXIV_CATEGORIES.items() if not suffixes)
    names.update(PHYSICS_ARCHIVES - set(ARXIV_CATEGORIES), _OLD_MATH, {"cmp-lg"})
    names.update({"astro-ph", "cond-mat"})  # papers from before these archives were subdivided carry the bare name
    return frozenset(names)


def canonical_category(category: str) -> str:
    """One name per category: an alias (``math.MP``) becomes the name arXiv files it under (``math-ph``)."""
    return CATEGORY_ALIASES.get(category, category)


def label_mapping(labels: Iterable[str]) -> LabelMapping | None:
    """What a model's labels are in arXiv's taxonomy: ``groups``, ``categories``, or None (neither: no comparison).

    Every label must be one (``cs``, ``math``, ...; or ``cs.LG``, ``hep-th``, ...): a model whose labels
    are partly something else cannot be compared label for label with the authors' categories.
    """
    names = set(labels)
    if not names:
        return None
    if names <= set(GROUPS):
        return "groups"
    if names <= arxiv_categories():
        return "categories"
    return None
