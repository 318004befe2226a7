"""Admin web accounts: roles, hashed passwords, sign-in rate limits, sessions, the audit log.

Sessions live in Redis (the cookie carries only a random token) and name the account's nonce, a
random value replaced whenever the password or the role changes and drawn afresh when an email is
created again: signing out, deleting, demoting or re-creating an account ends its sessions at once,
which a signed cookie alone cannot do.

Sign-in limits (README, "Security"): attempts are counted before the password is checked, in one
Redis script, per (account, address) strictly, per account and per address more loosely; a browser
the owner signed in from before (a signed device cookie) has its own budget, so a stranger
guessing from elsewhere cannot lock the owner out of their own device.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash

from alerts.domain.errors import ErrorCode, FieldError
from alerts.store import Store
from messages.errors import french

MIN_PASSWORD = 10
#: Failed sign-ins allowed within WINDOW seconds: per (account, address), per (account, trusted
#: device), per account from untrusted browsers (any address), per address (any account).
PAIR_LIMIT = 5
DEVICE_LIMIT = 5
ACCOUNT_LIMIT = 20
ADDRESS_LIMIT = 20
WINDOW = 15 * 60
SESSION_TTL = 12 * 3600

_EMAIL = re.compile(r"^[^@\s|]+@[^@\s|]+\.[^@\s|]+$")


class Role(StrEnum):
    """What an account may do: an admin manages everything, a poster posts and sees their jobs."""

    ADMIN = "admin"
    POSTER = "poster"


class AccountError(ValueError):
    """An account cannot be created or changed: `error` says why, as data; the message is its
    French wording (the admin web and its shell speak French)."""

    def __init__(self, field: str, code: ErrorCode, **params: str | int) -> None:
        self.error = FieldError(field, code, params)
        super().__init__(french(self.error))


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
    nonce: str = ""
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
        raise AccountError("email", ErrorCode.BAD_EMAIL)
    return email


def check_password(password: str) -> None:
    """AccountError when a new password is too weak to protect subscribers' phone numbers."""
    if len(password) < MIN_PASSWORD:
        raise AccountError("password", ErrorCode.SHORT_PASSWORD, min=MIN_PASSWORD)
    if password.strip() != password or not password.strip():
        raise AccountError("password", ErrorCode.PASSWORD_SPACES)


def _from_record(email: str, data: dict) -> Account:
    return Account(
        email=email,
        role=Role(data.get("role", Role.POSTER)),
        created_at=int(data.get("created", 0)),
        nonce=str(data.get("gen", "")),
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
        raise AccountError("email", ErrorCode.ACCOUNT_EXISTS)
    store.save_account(
        email,
        {
            "hash": generate_password_hash(password),
            "role": Role(role).value,
            "created": store.now(),
            "gen": _new_nonce(),
            "must_change": int(temporary),
        },
    )
    account = get_account(store, email)
    assert account is not None
    return account


def set_password(store: Store, email: str, password: str) -> None:
    """Change a password; every open session of the account ends."""
    data = store.get_account(email)
    if not data:
        raise AccountError("email", ErrorCode.UNKNOWN_ACCOUNT)
    check_password(password)
    store.save_account(
        email, {"hash": generate_password_hash(password), "gen": _new_nonce(), "must_change": 0}
    )


def set_role(store: Store, email: str, role: Role | str) -> None:
    """Change an account's role; every open session of the account ends (sign in again)."""
    data = store.get_account(email)
    if not data:
        raise AccountError("email", ErrorCode.UNKNOWN_ACCOUNT)
    if data.get("role") != Role(role).value:
        # A session keeps the rights it signed in with, never more or less: a demoted admin is
        # out at once rather than on some later check.
        store.save_account(email, {"role": Role(role).value, "gen": _new_nonce()})


def delete_account(store: Store, email: str) -> bool:
    """Remove an account; its sessions stop working at once."""
    return store.delete_account(email)


def _new_nonce() -> str:
    # Random, not a counter: a deleted and re-created email must not match an old session.
    return secrets.token_hex(8)


@cache
def _decoy_hash() -> str:
    # Checked against when the email is unknown, so timing does not reveal which emails exist.
    return generate_password_hash(secrets.token_urlsafe(16))


def _limits(email: str, address: str, device: str | None) -> list[tuple[str, str, int]]:
    """The counters one attempt is charged to, the strict one first."""
    if device:
        return [("dev", f"{email}|{device}", DEVICE_LIMIT)]
    return [
        ("pair", f"{email}|{address}", PAIR_LIMIT),
        ("a", email, ACCOUNT_LIMIT),
        ("ip", address, ADDRESS_LIMIT),
    ]


def authenticate(
    store: Store, email: str, password: str, address: str, device: str | None = None
) -> Account | None:
    """The account when email and password match; None otherwise; TooManyAttempts when limited.

    `device` is the id of a trusted-device cookie issued to this very email, if the browser
    has one: its attempts have their own budget instead of the account's and address's.
    """
    try:
        email = normalize_email(email)
    except AccountError:
        email = (email or "").strip().lower()[:254]
    limits = _limits(email, address, device)
    wait = store.reserve_sign_in(limits, WINDOW)
    if wait:
        raise TooManyAttempts(wait)
    data = store.get_account(email)
    good = check_password_hash(data["hash"] if data else _decoy_hash(), password or "")
    if data and good:
        store.release_sign_in([(kind, ident) for kind, ident, _ in limits])
        return _from_record(email, data)
    return None


def open_session(store: Store, account: Account) -> str:
    """A new session token for a signed-in account."""
    token = secrets.token_urlsafe(32)
    store.open_session(token, f"{account.email}|{account.nonce}", SESSION_TTL)
    return token


def session_account(store: Store, token: str | None) -> Account | None:
    """The account behind a session token, if the session and the account are still valid."""
    if not token:
        return None
    value = store.session_value(token, SESSION_TTL)
    if not value:
        return None
    email, _, nonce = value.rpartition("|")
    account = get_account(store, email)
    if account is None or not secrets.compare_digest(account.nonce, nonce):
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
