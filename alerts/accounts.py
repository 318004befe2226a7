"""Admin web accounts: roles, hashed passwords, sign-in rate limits, sessions, the audit log.

Sessions live in Redis (the cookie carries only a random token), so signing out, deleting an
account or changing its password ends its sessions at once, which a signed cookie alone cannot do.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash

from alerts.store import Store

MIN_PASSWORD = 10
#: Failed sign-ins allowed per account and per address within WINDOW seconds.
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW = 15 * 60
SESSION_TTL = 12 * 3600

_EMAIL = re.compile(r"^[^@\s|]+@[^@\s|]+\.[^@\s|]+$")


class Role(StrEnum):
    """What an account may do: an admin manages everything, a poster posts and sees their jobs."""

    ADMIN = "admin"
    POSTER = "poster"


class AccountError(ValueError):
    """An account cannot be created or changed: `code` says why (the admin web words it from its
    catalog); the message is the shell's French wording."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class TooManyAttempts(Exception):
    """Sign-in refused without checking the password: too many recent failures."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins, retry in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Account:
    """A person who signs in to the admin web."""

    email: str
    role: Role
    created_at: int = 0
    generation: int = 0
    #: Made by an admin with a temporary password: nothing but a new password until it is set.
    must_change_password: bool = False

    @property
    def is_admin(self) -> bool:
        """True for the admin role."""
        return self.role is Role.ADMIN


def normalize_email(raw: str) -> str:
    """Trimmed, lower-case email; AccountError when it does not look like one."""
    email = (raw or "").strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise AccountError("Adresse e-mail invalide.", "bad_email")
    return email


def check_password(password: str) -> None:
    """AccountError when a new password is too weak to protect subscribers' phone numbers."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"Le mot de passe doit compter au moins {MIN_PASSWORD} caractères.",
                           "short_password")
    if password.strip() != password or not password.strip():
        raise AccountError("Le mot de passe ne doit pas commencer ni finir par un espace.",
                           "password_spaces")


def _from_record(email: str, data: dict) -> Account:
    return Account(
        email=email,
        role=Role(data.get("role", Role.POSTER)),
        created_at=int(data.get("created", 0)),
        generation=int(data.get("gen", 0)),
        must_change_password=data.get("must_change") == "1",
    )


def get_account(store: Store, email: str) -> Account | None:
    """The account with this email, or None."""
    data = store.get_account(email)
    return _from_record(email, data) if data else None


def list_accounts(store: Store) -> list[Account]:
    """Every account, by email."""
    return [a for e in store.account_emails() if (a := get_account(store, e))]


def create_account(
    store: Store, email: str, password: str, role: Role | str, *, temporary: bool = False
) -> Account:
    """A new account (temporary: its first sign-in must set a new password); AccountError when
    the email is taken or the password too short."""
    email = normalize_email(email)
    check_password(password)
    if store.get_account(email):
        raise AccountError("Un compte existe déjà pour cette adresse.", "exists")
    store.save_account(
        email,
        {"hash": generate_password_hash(password), "role": Role(role).value,
         "created": store.now(), "gen": 1, "must_change": int(temporary)},
    )
    account = get_account(store, email)
    assert account is not None
    return account


def set_password(store: Store, email: str, password: str) -> None:
    """Change a password; every open session of the account ends."""
    data = store.get_account(email)
    if not data:
        raise AccountError("Compte inconnu.", "unknown")
    check_password(password)
    store.save_account(
        email, {"hash": generate_password_hash(password), "gen": int(data.get("gen", 0)) + 1,
                "must_change": 0}
    )


def set_role(store: Store, email: str, role: Role | str) -> None:
    """Change an account's role; its sessions pick the new role up on their next request."""
    if not store.get_account(email):
        raise AccountError("Compte inconnu.", "unknown")
    store.save_account(email, {"role": Role(role).value})


def delete_account(store: Store, email: str) -> bool:
    """Remove an account; its sessions stop working at once."""
    return store.delete_account(email)


@cache
def _decoy_hash() -> str:
    # Checked against when the email is unknown, so timing does not reveal which emails exist.
    return generate_password_hash(secrets.token_urlsafe(16))


def _blocked_for(store: Store, email: str, address: str) -> int:
    """Seconds until sign-in is allowed again for this account or address, 0 when allowed."""
    waits = []
    for kind, ident, limit in (("a", email, ACCOUNT_LIMIT), ("ip", address, ADDRESS_LIMIT)):
        count, ttl = store.failures(kind, ident)
        if count >= limit:
            waits.append(ttl or WINDOW)
    return max(waits, default=0)


def authenticate(store: Store, email: str, password: str, address: str) -> Account | None:
    """The account when email and password match; None otherwise; TooManyAttempts when limited."""
    try:
        email = normalize_email(email)
    except AccountError:
        email = (email or "").strip().lower()[:254]
    wait = _blocked_for(store, email, address)
    if wait:
        raise TooManyAttempts(wait)
    data = store.get_account(email)
    good = check_password_hash(data["hash"] if data else _decoy_hash(), password or "")
    if data and good:
        # The address counter is kept: one valid account must not reset an attacker's budget.
        store.clear_failures("a", email)
        return _from_record(email, data)
    store.count_failure("a", email, WINDOW)
    store.count_failure("ip", address, WINDOW)
    return None


def open_session(store: Store, account: Account) -> str:
    """A new session token for a signed-in account."""
    token = secrets.token_urlsafe(32)
    store.open_session(token, f"{account.email}|{account.generation}", SESSION_TTL)
    return token


def session_account(store: Store, token: str | None) -> Account | None:
    """The account behind a session token, if the session and the account are still valid."""
    if not token:
        return None
    value = store.session_value(token, SESSION_TTL)
    if not value:
        return None
    email, _, generation = value.rpartition("|")
    account = get_account(store, email)
    if account is None or str(account.generation) != generation:
        store.close_session(token)
        return None
    return account


def close_session(store: Store, token: str | None) -> None:
    """End a session (sign-out)."""
    if token:
        store.close_session(token)


def audit(store: Store, who: str, action: str, address: str = "", **detail: object) -> None:
    """Record who did what (exports, erasures, stops, accounts, job actions) in the audit log."""
    store.add_audit({"who": who, "action": action, "address": address, **detail})
