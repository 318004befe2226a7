"""Reference data: the 75 health districts, 11 health regions, job categories, and the loader."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from alerts.domain.text import key
from config.reference import (
    Category,
    District,
    Reference,
    ReferenceDataError,
    Region,
    default_reference,
    load_reference,
)

CONFIG = Path(__file__).resolve().parent.parent / "config"

# From /work/shared/reference/mali-health-districts.md, in its order.
EXPECTED_REGIONS = {
    "kayes": [
        "kayes",
        "bafoulabe",
        "kenieba",
        "yelimane",
        "oussoubidiagna",
        "diema",
        "nioro",
        "kita",
        "sagabari",
        "sefeto",
    ],
    "koulikoro": [
        "koulikoro",
        "kati",
        "kalaban-coro",
        "kangaba",
        "kolokani",
        "banamba",
        "ouelessebougou",
        "dioila",
        "fana",
        "nara",
    ],
    "sikasso": [
        "sikasso",
        "kadiolo",
        "kignan",
        "niena",
        "bougouni",
        "kolondieba",
        "yanfolila",
        "selingue",
        "koutiala",
        "yorosso",
    ],
    "segou": ["segou", "baroueli", "bla", "macina", "markala", "niono", "san", "tominian"],
    "mopti": [
        "mopti",
        "djenne",
        "tenenkou",
        "youwarou",
        "bandiagara",
        "bankass",
        "koro",
        "douentza",
    ],
    "tombouctou": ["tombouctou", "dire", "goundam", "gourma-rharous", "niafunke"],
    "gao": ["gao", "ansongo", "bourem", "almoustarat"],
    "menaka": ["menaka", "anderamboukane", "inekar", "tidermene"],
    "kidal": ["kidal", "abeibara", "tessalit", "tin-essako"],
    "taoudenit": ["taoudenit", "achouratt", "al-ourche", "araouane", "boujbeha", "foum-elba"],
    "bamako": ["commune-1", "commune-2", "commune-3", "commune-4", "commune-5", "commune-6"],
}

# Districts whose 2023 administrative region differs from their historic health region's name.
EXPECTED_2023_MOVES = {
    "diema": "Nioro",
    "nioro": "Nioro",
    "kita": "Kita",
    "sagabari": "Kita",
    "sefeto": "Kita",
    "ouelessebougou": "Bougouni",
    "dioila": "Dioïla",
    "fana": "Dioïla",
    "nara": "Nara",
    "bougouni": "Bougouni",
    "kolondieba": "Bougouni",
    "yanfolila": "Bougouni",
    "selingue": "Bougouni",
    "koutiala": "Koutiala",
    "yorosso": "Koutiala",
    "san": "San",
    "tominian": "San",
    "bandiagara": "Bandiagara",
    "bankass": "Bandiagara",
    "koro": "Bandiagara",
    "douentza": "Douentza",
}

REQUIRED_CATEGORIES = [
    "community-mobilizer",
    "district-officer",
    "medical-coordinator",
    "head-of-mission",
    "technical-advisor",
    "doctor",
    "nurse",
    "midwife",
    "community-health-worker",
    "nutrition",
    "logistics",
    "admin-finance",
    "driver",
    "other",
]

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@pytest.fixture(scope="module")
def ref() -> Reference:
    return load_reference()


def copy_config(tmp_path: Path) -> Path:
    """A private copy of the shipped YAML files to break on purpose."""
    for name in ("districts.yaml", "categories.yaml"):
        shutil.copy(CONFIG / name, tmp_path / name)
    return tmp_path


def edit_yaml(path: Path, change: Any) -> None:
    """Load path, let change mutate the data, write it back."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def row(data: dict[str, Any], section: str, slug: str) -> dict[str, Any]:
    return next(r for r in data[section] if r["slug"] == slug)


# --- the shipped data ------------------------------------------------------------------------


def test_counts(ref: Reference) -> None:
    assert len(ref.districts) == 75
    assert len(ref.regions) == 11


def test_each_region_has_its_districts(ref: Reference) -> None:
    assert set(ref.regions) == set(EXPECTED_REGIONS)
    for region, slugs in EXPECTED_REGIONS.items():
        assert list(ref.regions[region].districts) == slugs, region
        assert [d.slug for d in ref.districts_in(region)] == slugs, region
        assert all(ref.districts[s].region == region for s in slugs)
    assert sum(len(s) for s in EXPECTED_REGIONS.values()) == 75


def test_districts_in_unknown_region(ref: Reference) -> None:
    with pytest.raises(KeyError, match="atlantis"):
        ref.districts_in("atlantis")


def test_region_2023(ref: Reference) -> None:
    names_2023 = {d.region_2023 for d in ref.districts.values()}
    # 19 administrative regions plus the District of Bamako (laws 2023-006/007).
    assert len(names_2023) == 20
    for district in ref.districts.values():
        if district.region == "bamako":
            expected = "District de Bamako"
        else:
            expected = EXPECTED_2023_MOVES.get(district.slug, ref.regions[district.region].name)
        assert district.region_2023 == expected, district.slug


def test_fields_and_types(ref: Reference) -> None:
    for slug, d in ref.districts.items():
        assert isinstance(d, District)
        assert d.slug == slug and SLUG.match(slug)
        assert d.name and d.region_2023
        assert isinstance(d.aliases, tuple)
    for slug, r in ref.regions.items():
        assert isinstance(r, Region)
        assert r.slug == slug and SLUG.match(slug)
        assert isinstance(r.aliases, tuple) and isinstance(r.districts, tuple)


@pytest.mark.parametrize(
    ("slug", "name"),
    [
        ("kalaban-coro", "Kalaban Coro"),
        ("segou", "Ségou"),
        ("commune-1", "Commune I"),
        ("commune-6", "Commune VI"),
        ("kenieba", "Kéniéba"),
        ("dioila", "Dioïla"),
        ("gourma-rharous", "Gourma-Rharous"),
        ("menaka", "Ménaka"),
    ],
    ids=lambda v: v,
)
def test_display_names(ref: Reference, slug: str, name: str) -> None:
    assert ref.districts[slug].name == name


@pytest.mark.parametrize(
    ("alias", "district"),
    [
        ("Segu", "segou"),
        ("Sɛgu", "segou"),
        ("ke macina", "macina"),
        ("Ké-Macina", "macina"),
        ("commune 1", "commune-1"),
        ("c1", "commune-1"),
        ("cI", "commune-1"),
        ("sevare", "mopti"),
        ("Kalabancoro", "kalaban-coro"),
        ("Oussoubidiagnia", "oussoubidiagna"),
        ("Baraouéli", "baroueli"),
        ("Youvarou", "youwarou"),
        ("Bandjagara", "bandiagara"),
        ("Rharous", "gourma-rharous"),
        ("Tinessako", "tin-essako"),
        ("Arawane", "araouane"),
        ("Boudjbéha", "boujbeha"),
        ("Nioro du Sahel", "nioro"),
        ("Timbuktu", "tombouctou"),
    ],
    ids=lambda v: v,
)
def test_spelling_variants_are_aliases(ref: Reference, alias: str, district: str) -> None:
    d = ref.districts[district]
    assert key(alias) in {key(a) for a in (d.slug, d.name, *d.aliases)}


@pytest.mark.parametrize(
    ("region", "aliases"),
    [
        ("segou", ["Segou", "Sɛgu", "Segu"]),
        ("tombouctou", ["Timbuktu", "Tomboctou"]),
        ("bamako", ["Bamako", "Bamakɔ"]),
        ("koulikoro", ["Koulikouro"]),
        ("taoudenit", ["Taoudeni", "Taoudenit"]),
    ],
    ids=lambda v: v if isinstance(v, str) else "-".join(v),
)
def test_region_aliases(ref: Reference, region: str, aliases: list[str]) -> None:
    keys = {key(a) for a in ref.regions[region].aliases}
    assert {key(a) for a in aliases} <= keys


def test_aliases_unambiguous_within_each_namespace(ref: Reference) -> None:
    for owners in (ref.districts.values(), ref.regions.values()):
        seen: dict[str, str] = {}
        for o in owners:
            for k in {key(t) for t in (o.slug, o.name, *o.aliases)}:
                assert seen.setdefault(k, o.slug) == o.slug, (k, seen[k], o.slug)


def test_cv_is_not_commune_v(ref: Reference) -> None:
    # "cv" is the curriculum vitae of every job SMS.
    assert "cv" not in {key(a) for a in ref.districts["commune-5"].aliases}


def test_required_categories(ref: Reference) -> None:
    for slug in REQUIRED_CATEGORIES:
        category = ref.categories[slug]
        assert isinstance(category, Category)
        assert category.fr.strip() and category.bm.strip() and category.en.strip(), slug
        assert SLUG.match(slug)


@pytest.mark.parametrize(
    ("word", "category"),
    [
        ("mobilisatrice", "community-mobilizer"),
        ("mobilisatɛri", "community-mobilizer"),
        ("relais", "community-mobilizer"),
        ("animateur", "community-mobilizer"),
        ("mobilizer", "community-mobilizer"),
        ("infirmiere", "nurse"),
        ("infirmie", "nurse"),
        ("nurses", "nurse"),
        ("dɔkɔtɔrɔ", "doctor"),
        ("docteur", "doctor"),
        ("sage-femme", "midwife"),
        ("matrone", "midwife"),
        ("asc", "community-health-worker"),
        ("logistique", "logistics"),
        ("comptable", "admin-finance"),
        ("sofɛrɛ", "driver"),
        ("autre", "other"),
    ],
    ids=lambda v: v,
)
def test_category_synonyms(ref: Reference, word: str, category: str) -> None:
    c = ref.categories[category]
    assert key(word) in {key(t) for t in (c.slug, c.fr, c.bm, c.en, *c.synonyms)}


def test_bamanankan_names_use_standard_orthography(ref: Reference) -> None:
    assert ref.categories["driver"].bm == "Sofɛri"
    assert ref.categories["other"].bm == "Wɛrɛ"
    assert ref.categories["doctor"].bm == "Dɔkɔtɔrɔ"


def test_default_reference_is_cached() -> None:
    assert default_reference() is default_reference()
    assert len(default_reference().districts) == 75


def test_load_from_folder_copy(tmp_path: Path) -> None:
    ref = load_reference(copy_config(tmp_path))
    assert len(ref.districts) == 75 and len(ref.categories) >= len(REQUIRED_CATEGORIES)


# --- the loader refuses broken files ---------------------------------------------------------


def test_duplicate_district_alias_names_alias_and_both_districts(tmp_path: Path) -> None:
    folder = copy_config(tmp_path)
    edit_yaml(
        folder / "districts.yaml",
        lambda d: row(d, "districts", "macina")["aliases"].append("Niono"),
    )
    with pytest.raises(ReferenceDataError) as err:
        load_reference(folder)
    message = str(err.value)
    assert message == "duplicate alias 'niono' for districts niono and macina in districts.yaml"


def test_duplicate_alias_after_folding(tmp_path: Path) -> None:
    # "Kɛ́-MACINA" and "ke macina" are the same key once folded.
    folder = copy_config(tmp_path)
    edit_yaml(
        folder / "districts.yaml",
        lambda d: row(d, "districts", "markala")["aliases"].append("Kɛ́-MACINA"),
    )
    with pytest.raises(ReferenceDataError, match=r"'ke macina'.*macina and markala"):
        load_reference(folder)


def test_duplicate_region_alias(tmp_path: Path) -> None:
    folder = copy_config(tmp_path)
    edit_yaml(
        folder / "districts.yaml",
        lambda d: row(d, "regions", "gao")["aliases"].append("Timbuktu"),
    )
    with pytest.raises(ReferenceDataError, match=r"'timbuktu'.*regions tombouctou and gao"):
        load_reference(folder)


def test_same_name_for_a_district_and_a_region_is_fine(ref: Reference) -> None:
    assert ref.districts["segou"].name == ref.regions["segou"].name == "Ségou"


def test_duplicate_category_synonym(tmp_path: Path) -> None:
    folder = copy_config(tmp_path)
    edit_yaml(
        folder / "categories.yaml",
        lambda d: row(d, "categories", "driver")["synonyms"].append("Infirmière"),
    )
    with pytest.raises(
        ReferenceDataError,
        match=r"duplicate synonym 'infirmiere' for categories nurse and driver in categories.yaml",
    ):
        load_reference(folder)


def test_unknown_region(tmp_path: Path) -> None:
    folder = copy_config(tmp_path)
    edit_yaml(folder / "districts.yaml", lambda d: row(d, "districts", "kati").update(region="x"))
    with pytest.raises(ReferenceDataError, match="kati has unknown region 'x'"):
        load_reference(folder)


def test_duplicate_slug(tmp_path: Path) -> None:
    folder = copy_config(tmp_path)

    def dup(data: dict[str, Any]) -> None:
        data["districts"].append(dict(row(data, "districts", "kati"), aliases=[]))

    edit_yaml(folder / "districts.yaml", dup)
    with pytest.raises(ReferenceDataError, match="duplicate district slug 'kati'"):
        load_reference(folder)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.pop("region_2023"), "missing fields \\['region_2023'\\]"),
        (lambda r: r.update(population=1), "unknown fields \\['population'\\]"),
        (lambda r: r.update(aliases="Kati"), "aliases must be list"),
        (lambda r: r.update(aliases=[False]), "every entry of aliases"),
        (lambda r: r.update(name=3), "name must be str"),
        (lambda r: r.update(slug="Kati Town"), "kebab-case"),
        (lambda r: r.update(aliases=["!!"]), "no letters or digits"),
    ],
    ids=["missing", "extra", "aliases-not-list", "bool-alias", "int-name", "bad-slug", "empty"],
)
def test_malformed_district(tmp_path: Path, change: Any, message: str) -> None:
    folder = copy_config(tmp_path)
    edit_yaml(folder / "districts.yaml", lambda d: change(row(d, "districts", "kati")))
    with pytest.raises(ReferenceDataError, match=message):
        load_reference(folder)


def test_malformed_category(tmp_path: Path) -> None:
    folder = copy_config(tmp_path)
    edit_yaml(folder / "categories.yaml", lambda d: row(d, "categories", "nurse").pop("bm"))
    with pytest.raises(ReferenceDataError, match="category 'nurse'.*missing fields \\['bm'\\]"):
        load_reference(folder)


def test_wrong_top_level(tmp_path: Path) -> None:
    folder = copy_config(tmp_path)
    (folder / "categories.yaml").write_text("- nurse\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="categories.yaml must be a mapping"):
        load_reference(folder)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReferenceDataError, match="cannot read"):
        load_reference(tmp_path)
