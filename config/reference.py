"""Loader for the reference data: health districts, health regions and job categories."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from alerts.domain.text import key

HERE = Path(__file__).resolve().parent
DISTRICTS_FILE = "districts.yaml"
CATEGORIES_FILE = "categories.yaml"
COMMON_WORDS_FILE = "common_words.txt"

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class ReferenceDataError(ValueError):
    """The reference YAML files are malformed or ambiguous."""


@dataclass(frozen=True)
class District:
    """A health district (district sanitaire)."""

    slug: str
    name: str
    region: str
    region_2023: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Region:
    """A historic health region and the slugs of its districts, in file order."""

    slug: str
    name: str
    aliases: tuple[str, ...]
    districts: tuple[str, ...]


@dataclass(frozen=True)
class Category:
    """A job category with its display names and the words people use for it."""

    slug: str
    fr: str
    bm: str
    en: str
    synonyms: tuple[str, ...]


@dataclass(frozen=True)
class Reference:
    """All reference data, keyed by slug."""

    districts: dict[str, District]
    regions: dict[str, Region]
    categories: dict[str, Category]

    def districts_in(self, region_slug: str) -> list[District]:
        """Return the districts of a health region, in file order."""
        try:
            region = self.regions[region_slug]
        except KeyError:
            raise KeyError(f"unknown region {region_slug!r}") from None
        return [self.districts[slug] for slug in region.districts]


def load_reference(folder: Path | None = None) -> Reference:
    """Load and validate districts.yaml and categories.yaml from folder (default: config/)."""
    folder = HERE if folder is None else Path(folder)
    geo = _read(folder / DISTRICTS_FILE, top_keys={"regions", "districts"})
    cats = _read(folder / CATEGORIES_FILE, top_keys={"categories"})

    region_rows = _rows(geo, "regions", DISTRICTS_FILE)
    region_fields = {"slug": str, "name": str, "aliases": list}
    for row in region_rows:
        _check_row(row, region_fields, "region", DISTRICTS_FILE)
    _check_unique_slugs(region_rows, "region", DISTRICTS_FILE)

    district_rows = _rows(geo, "districts", DISTRICTS_FILE)
    district_fields = {"slug": str, "name": str, "region": str, "region_2023": str, "aliases": list}
    for row in district_rows:
        _check_row(row, district_fields, "district", DISTRICTS_FILE)
    _check_unique_slugs(district_rows, "district", DISTRICTS_FILE)

    category_rows = _rows(cats, "categories", CATEGORIES_FILE)
    category_fields = {"slug": str, "fr": str, "bm": str, "en": str, "synonyms": list}
    for row in category_rows:
        _check_row(row, category_fields, "category", CATEGORIES_FILE)
    _check_unique_slugs(category_rows, "category", CATEGORIES_FILE)

    region_slugs = {row["slug"] for row in region_rows}
    for row in district_rows:
        if row["region"] not in region_slugs:
            raise ReferenceDataError(
                f"district {row['slug']} has unknown region {row['region']!r} in {DISTRICTS_FILE}"
            )

    _check_unique_keys(
        (
            (r["slug"], [("slug", r["slug"]), ("name", r["name"])], r["aliases"])
            for r in region_rows
        ),
        "alias",
        "regions",
        DISTRICTS_FILE,
    )
    _check_unique_keys(
        (
            (d["slug"], [("slug", d["slug"]), ("name", d["name"])], d["aliases"])
            for d in district_rows
        ),
        "alias",
        "districts",
        DISTRICTS_FILE,
    )
    _check_unique_keys(
        (
            (c["slug"], [(f, c[f]) for f in ("slug", "fr", "bm", "en")], c["synonyms"])
            for c in category_rows
        ),
        "synonym",
        "categories",
        CATEGORIES_FILE,
    )

    districts = {
        d["slug"]: District(
            slug=d["slug"],
            name=d["name"],
            region=d["region"],
            region_2023=d["region_2023"],
            aliases=tuple(d["aliases"]),
        )
        for d in district_rows
    }
    regions = {
        r["slug"]: Region(
            slug=r["slug"],
            name=r["name"],
            aliases=tuple(r["aliases"]),
            districts=tuple(d.slug for d in districts.values() if d.region == r["slug"]),
        )
        for r in region_rows
    }
    categories = {
        c["slug"]: Category(
            slug=c["slug"], fr=c["fr"], bm=c["bm"], en=c["en"], synonyms=tuple(c["synonyms"])
        )
        for c in category_rows
    }
    return Reference(districts=districts, regions=regions, categories=categories)


@functools.lru_cache(maxsize=1)
def default_reference() -> Reference:
    """Return the reference data shipped in config/, loaded once per process."""
    return load_reference()


def _read(path: Path, top_keys: set[str]) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except OSError as exc:
        raise ReferenceDataError(f"cannot read {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ReferenceDataError(f"{path.name} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or set(data) != top_keys:
        found = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise ReferenceDataError(
            f"{path.name} must be a mapping with exactly the keys {sorted(top_keys)}, found {found}"
        )
    return data


def _rows(data: dict[str, Any], section: str, filename: str) -> list[dict[str, Any]]:
    rows = data[section]
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ReferenceDataError(f"{section} in {filename} must be a list of mappings")
    return rows


def _check_row(row: dict[str, Any], fields: Mapping[str, type], kind: str, filename: str) -> None:
    label = f"{kind} {row.get('slug')!r}"
    if set(row) != set(fields):
        missing = sorted(set(fields) - set(row))
        extra = sorted(set(row) - set(fields))
        raise ReferenceDataError(
            f"{label} in {filename}: missing fields {missing}, unknown fields {extra}"
        )
    for field, typ in fields.items():
        value: Any = row[field]
        # YAML turns bare no/yes/on/off into booleans and 1 into an int: reject, don't coerce.
        if not isinstance(value, typ):
            raise ReferenceDataError(
                f"{label} in {filename}: {field} must be {typ.__name__}, "
                f"got {type(value).__name__} {value!r}"
            )
        if isinstance(value, list) and not all(isinstance(v, str) and v.strip() for v in value):
            raise ReferenceDataError(
                f"{label} in {filename}: every entry of {field} must be a non-empty string"
            )
        if isinstance(value, str) and not value.strip():
            raise ReferenceDataError(f"{label} in {filename}: {field} is empty")
    if not _SLUG.match(row["slug"]):
        raise ReferenceDataError(f"{label} in {filename}: slug must be lowercase ascii kebab-case")


def _check_unique_slugs(rows: list[dict[str, Any]], kind: str, filename: str) -> None:
    seen: set[str] = set()
    for row in rows:
        if row["slug"] in seen:
            raise ReferenceDataError(f"duplicate {kind} slug {row['slug']!r} in {filename}")
        seen.add(row["slug"])


def _check_unique_keys(
    owners: Iterable[tuple[str, list[tuple[str, str]], list[str]]],
    word: str,
    kind: str,
    filename: str,
) -> None:
    """Refuse a folded name, alias or synonym claimed by two owners: lookups must be unambiguous."""
    owners = list(owners)
    claimed: dict[str, str] = {}
    # Slugs and names claim their keys first, so a stray alias is reported as the culprit
    # ("duplicate alias 'niono' for districts niono and macina") wherever it sits in the file.
    labelled = [(slug, what, text) for slug, names, _ in owners for what, text in names]
    labelled += [(slug, word, text) for slug, _, extras in owners for text in extras]
    for slug, what, text in labelled:
        folded = key(text)
        if not folded:
            raise ReferenceDataError(
                f"{what} {text!r} of {slug} in {filename} has no letters or digits"
            )
        owner = claimed.setdefault(folded, slug)
        if owner != slug:
            raise ReferenceDataError(
                f"duplicate {what} {folded!r} for {kind} {owner} and {slug} in {filename}"
            )


def common_words(folder: Path = HERE) -> frozenset[str]:
    """Everyday French words never read as a misspelt place or job (common_words.txt)."""
    text = (folder / COMMON_WORDS_FILE).read_text(encoding="utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )
