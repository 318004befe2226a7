"""The store's layout: every Lua script loads and compiles, and keys are named in keys.py only."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from alerts.store import Store, keys
from alerts.store.scripts import LUA_DIR, source

STORE_DIR = Path(keys.__file__).parent
SCRIPTS = sorted(p.stem for p in LUA_DIR.glob("*.lua"))
FRAGMENTS = {"rate", "alert_history"}  # spliced into others, never run alone
MODULES = sorted(p for p in STORE_DIR.glob("*.py") if p.name != "keys.py")
#: The first word of every key family keys.py documents.
FAMILIES = sorted({m.group(1) for m in re.finditer(r"^    ([a-z]+):", keys.__doc__ or "", re.M)})


@pytest.mark.parametrize("name", [n for n in SCRIPTS if n not in FRAGMENTS])
def test_every_script_loads_with_its_includes_and_compiles(redis, name):
    text = source(name)
    assert "--#include" not in text
    # SCRIPT LOAD compiles the script: a syntax error or a bad include fails here.
    assert redis.script_load(text) == Store(redis).script(name).sha


def test_every_script_is_used_and_every_used_script_exists():
    code = "\n".join(p.read_text() for p in MODULES)
    used = set(re.findall(r'script\("(\w+)"\)', code))
    used |= set(re.findall(r'name, args = "(\w+)"', code))
    included = {
        m
        for n in SCRIPTS
        for m in re.findall(r"^--#include (\w+)\.lua$", (LUA_DIR / f"{n}.lua").read_text(), re.M)
    }
    assert included == FRAGMENTS
    assert used == set(SCRIPTS) - FRAGMENTS


def test_keys_lists_the_families():
    assert {"sub", "idx", "fan", "inbox", "out", "gw", "ussd", "adm", "metrics"} <= set(FAMILIES)


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_no_store_module_spells_a_key(module):
    """A string literal that starts like a key family ('job:', 'fan:{...}') belongs in keys.py."""
    spelled = []
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif (
            isinstance(node, ast.JoinedStr)
            and node.values
            and isinstance(node.values[0], ast.Constant)
        ):
            text = str(node.values[0].value)
        else:
            continue
        if re.match(rf"^({'|'.join(FAMILIES)}):", text):
            spelled.append(text)
    assert spelled == [], f"{module.name} spells keys itself: {spelled}"
