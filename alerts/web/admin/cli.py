"""`flask admin ...`: create and manage admin web accounts from the server's shell."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from alerts.store import current_store
from alerts.web import accounts
from alerts.web.accounts import AccountError, Role

admin_cli = AppGroup("admin", help="Admin web accounts.")


class NewPassword(click.ParamType):
    """A password strong enough for an account: click asks again at the prompt when it is not."""

    name = "password"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> str:
        """The password, or a usage error saying what is wrong with it."""
        text = str(value)
        try:
            accounts.check_password(text)
        except AccountError as exc:
            self.fail(str(exc), param, ctx)
        return text


@admin_cli.command("create")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.ADMIN.value,
    show_default=True,
    help="admin manages everything; poster posts jobs and sees their own.",
)
@click.password_option(
    "--password",
    prompt="Mot de passe",
    confirmation_prompt="Répéter le mot de passe",
    type=NewPassword(),
    help="Asked for when not given (prefer the prompt: options end up in shell history).",
)
def create(email: str, role: str, password: str) -> None:
    """Create an account; asks for its password."""
    try:
        account = accounts.create_account(current_store(), email, password, role)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    accounts.audit(
        current_store(), "cli", "account_created", account=account.email, role=account.role.value
    )
    click.echo(f"Compte créé : {account.email} ({account.role.value})")


@admin_cli.command("password")
@click.argument("email")
@click.password_option(
    "--password",
    prompt="Nouveau mot de passe",
    confirmation_prompt="Répéter le mot de passe",
    type=NewPassword(),
)
def password(email: str, password: str) -> None:
    """Set a new password (ends the account's sessions)."""
    try:
        accounts.set_password(current_store(), accounts.normalize_email(email), password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    accounts.audit(current_store(), "cli", "password_changed", account=email)
    click.echo("Mot de passe changé.")


@admin_cli.command("list")
def list_() -> None:
    """List accounts and their roles."""
    for account in accounts.list_accounts(current_store()):
        click.echo(f"{account.email}\t{account.role.value}")


@admin_cli.command("delete")
@click.argument("email")
def delete(email: str) -> None:
    """Delete an account (ends its sessions)."""
    if not accounts.delete_account(current_store(), email.strip().lower()):
        raise click.ClickException("Compte inconnu.")
    accounts.audit(current_store(), "cli", "account_deleted", account=email)
    click.echo("Compte supprimé.")
