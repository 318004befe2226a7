"""The running app's store: the one store module that imports Flask."""

from __future__ import annotations

from flask import current_app

from alerts.store.store import Store


def current_store() -> Store:
    """The store of the running app."""
    return current_app.extensions["baara"].store
