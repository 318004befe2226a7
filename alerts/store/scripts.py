"""The store's Lua scripts: alerts/store/lua/*.lua, each registered once per client.

A line `--#include name.lua` is replaced by that file (shared fragments: flood control's
rate(), the alert history's writer). redis-py's registered scripts send EVALSHA with the hash
computed here, so a script costs one round trip, and load themselves again after a restart
(NOSCRIPT).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import redis as redis_lib
from redis.commands.core import Script

LUA_DIR = Path(__file__).with_name("lua")
_INCLUDE = re.compile(r"^--#include ([\w.-]+)\.lua$", re.MULTILINE)


@functools.cache
def source(name: str) -> str:
    """A script's Lua with its includes spliced in (read from disk once per process)."""
    text = (LUA_DIR / f"{name}.lua").read_text(encoding="utf-8")
    return _INCLUDE.sub(lambda m: source(m.group(1)).rstrip("\n"), text)


class Scripts:
    """The scripts registered on one Redis client, each on first use."""

    def __init__(self, client: redis_lib.Redis) -> None:
        self._client = client
        self._registered: dict[str, Script] = {}

    def __getitem__(self, name: str) -> Script:
        """The script alerts/store/lua/{name}.lua, ready to call (keys=..., args=...)."""
        script = self._registered.get(name)
        if script is None:
            script = self._registered[name] = self._client.register_script(source(name))
        return script
