"""`flask gateways orange-subscribe`: point Orange's inbound SMS and delivery receipts at Baara."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import click
from flask.cli import AppGroup

from alerts.gateways import orange
from alerts.gateways.base import GatewayError
from alerts.gateways.orange_subscriptions import (
    DELIVERY,
    INBOUND,
    Outcome,
    SubscriptionError,
    Subscriptions,
    callback_urls,
)
from alerts.services import current_services

gateways_cli = AppGroup("gateways", help="The SMS gateways beside Africa's Talking.")


def _base_url(given: str, notify_url: str) -> str:
    """The public base URL: --base-url, else the origin of ORANGE_NOTIFY_URL."""
    raw = given or notify_url
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.UsageError(
            "give Baara's public URL: --base-url https://baara.example.org "
            "(or set ORANGE_NOTIFY_URL)"
        )
    path = parts.path.rstrip("/") if given else ""
    return f"{parts.scheme}://{parts.netloc}{path}"


def _destination(given: str, sender: str) -> str:
    """The address people text: a number (any form) as tel:+223..., a short code as given."""
    text = given.strip()
    if not text:
        return sender
    phone = orange.phone_of(text)
    return f"tel:{phone}" if phone else text


def _say(outcome: Outcome, key: str) -> None:
    shown = outcome.notify_url
    if key:  # the key is a secret: never in a terminal's scrollback, raw or URL-quoted
        shown = shown.replace(quote(key, safe=""), "****").replace(key, "****")
    done = f"kept {outcome.kept}" if outcome.kept else f"created {outcome.created}"
    gone = f"; deleted {', '.join(outcome.deleted)}" if outcome.deleted else ""
    click.echo(f"{outcome.kind}: {done} -> {shown}{gone}")


@gateways_cli.command("orange-subscribe")
@click.option("--base-url", default="", help="Baara's public URL (default: ORANGE_NOTIFY_URL's).")
@click.option(
    "--destination",
    default="",
    help="The Orange number or short code people text (default: ORANGE_SENDER_ADDRESS).",
)
@click.option("--criteria", default="", help="Only SMS starting with this keyword (default: all).")
def orange_subscribe(base_url: str, destination: str, criteria: str) -> None:
    """Subscribe Baara to Orange's inbound SMS and delivery receipts; safe to run again."""
    services = current_services()
    settings = services.settings
    try:
        gateway = orange.OrangeGateway.from_settings(settings)
    except GatewayError as exc:
        raise click.ClickException(str(exc)) from exc
    urls = callback_urls(_base_url(base_url, settings.orange_notify_url), settings.webhook_token)
    api = Subscriptions(gateway, _destination(destination, settings.orange_sender_address))
    store = services.store
    try:
        for kind, kind_criteria in ((INBOUND, criteria.strip()), (DELIVERY, "")):
            remembered = store.gateway_subscriptions(orange.NAME, kind)
            outcome = api.ensure(kind, urls[kind], kind_criteria, remembered)
            store.remember_gateway_subscriptions(orange.NAME, kind, [outcome.current])
            _say(outcome, settings.webhook_token)
    except SubscriptionError as exc:
        raise click.ClickException(str(exc)) from exc
    if not settings.webhook_token:
        click.echo("warning: WEBHOOK_TOKEN is not set: anyone may post to /orange/inbound")
