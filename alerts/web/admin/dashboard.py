"""The dashboard: subscribers by district, category and week; alerts sent, delivered, spend."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, render_template

from alerts.jobs import lifecycle as jobs
from alerts.services import current_services, current_settings
from alerts.store import Store
from alerts.web.admin.charts import bar_chart, column_chart
from alerts.web.admin.core import bp, current_account, number, store

WEEKS = 12
TOP_DISTRICTS = 12
#: Seconds a dashboard's figures are reused: counting scans every subscriber.
CACHE_SECONDS = 30


def _week_start(moment: datetime) -> datetime:
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def subscriber_figures(st: Store, reference: Any, tz: ZoneInfo, now: float) -> dict[str, Any]:
    """One pass over every subscriber: totals, by district, region, category, language, week."""
    total = active = 0
    by_district: Counter[str] = Counter()
    by_region: Counter[str] = Counter()
    by_category: Counter[str] = Counter()
    by_language: Counter[str] = Counter()
    by_source: Counter[str] = Counter()
    created: list[int] = []
    for sub in st.iter_subscribers():
        total += 1
        created.append(sub.created_at)
        if not sub.active:
            continue
        active += 1
        by_language[sub.language.value] += 1
        by_source[sub.source.value] += 1
        # One person counts once per district, region and category however they subscribed.
        for district in {s.district for s in sub.subscriptions if s.district}:
            by_district[district] += 1
        for region in {s.region for s in sub.subscriptions if s.region}:
            by_region[region] += 1
        for category in {s.category or "*" for s in sub.subscriptions}:
            by_category[category] += 1

    this_week = _week_start(datetime.fromtimestamp(now, tz))
    starts = [this_week - timedelta(weeks=WEEKS - 1 - i) for i in range(WEEKS)]
    weekly: Counter[int] = Counter()
    before = 0
    first = starts[0].timestamp()
    for stamp in created:
        if stamp < first:
            before += 1
            continue
        index = int((stamp - first) // (7 * 24 * 3600))
        weekly[min(index, WEEKS - 1)] += 1
    growth = []
    running = before
    for i, start in enumerate(starts):
        running += weekly[i]
        growth.append((start.strftime("%d/%m"), weekly[i], running))

    districts = [
        (
            reference.districts[d].name if d in reference.districts else d,
            reference.regions[reference.districts[d].region].name
            if d in reference.districts
            else "",
            n,
        )
        for d, n in by_district.most_common()
    ]
    regions = [
        (reference.regions[r].name if r in reference.regions else r, n)
        for r, n in by_region.most_common()
    ]
    categories = [
        (
            reference.categories[c].fr
            if c in reference.categories
            else ("Toutes les offres" if c == "*" else c),
            n,
        )
        for c, n in by_category.most_common()
    ]
    return {
        "total": total,
        "active": active,
        "stopped": total - active,
        "languages": dict(by_language),
        "sources": dict(by_source),
        "districts": districts,
        "regions": regions,
        "categories": categories,
        "growth": growth,
    }


def alert_figures(limit: int = 500) -> dict[str, Any]:
    """Totals over the newest jobs: alerts sent, delivered, failed, delivery rate, spend."""

    services = current_services()
    account = current_account()
    rows = []
    weekly: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    tz = current_settings().zone
    for job in jobs.list_jobs(services=services, limit=limit):
        if account is not None and not account.is_admin and job.created_by != account.email:
            continue
        try:
            stats = jobs.job_stats(services, job.id)
        except KeyError:
            continue
        for name in ("matched", "sent", "delivered", "failed"):
            totals[name] += stats.get(name, 0)
        totals["cost"] += stats.get("cost", 0) or 0
        if job.published_at:
            week = _week_start(datetime.fromtimestamp(job.published_at, tz))
            weekly[week.strftime("%Y-%m-%d")] += stats.get("sent", 0)
        rows.append((job, stats))
    sent = totals["sent"]
    now = datetime.now(UTC).astimezone(tz)
    starts = [_week_start(now) - timedelta(weeks=WEEKS - 1 - i) for i in range(WEEKS)]
    series = []
    running = 0
    for start in starts:
        value = weekly[start.strftime("%Y-%m-%d")]
        running += value
        series.append((start.strftime("%d/%m"), value, running))
    return {
        "rows": rows[:15],
        "jobs": len(rows),
        "matched": totals["matched"],
        "sent": sent,
        "delivered": totals["delivered"],
        "failed": totals["failed"],
        "rate": (totals["delivered"] / sent * 100) if sent else None,
        "cost": totals["cost"],
        "weekly": series,
    }


def _cached_subscribers() -> dict[str, Any]:
    cache = current_app.extensions.setdefault("baara.admin_dashboard", {})
    now = time.time()
    hit = cache.get("subscribers")
    if hit and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    tz = current_settings().zone
    figures = subscriber_figures(store(), current_app.extensions["baara.reference"], tz, now)
    cache["subscribers"] = (now, figures)
    return figures


@bp.get("/")
def dashboard():
    """Charts and tables: who subscribes where and to what, growth, alerts and spend."""
    subs = _cached_subscribers()
    alerts = alert_figures()
    top = subs["districts"][:TOP_DISTRICTS]
    return render_template(
        "admin/dashboard.html",
        subs=subs,
        alerts=alerts,
        currency=current_settings().sms_currency,
        district_chart=bar_chart([(f"{n}", v) for n, _, v in top]),
        category_chart=bar_chart([(n, v) for n, v in subs["categories"]]),
        growth_chart=column_chart(subs["growth"]),
        sent_chart=column_chart(alerts["weekly"]),
        delivery_chart=bar_chart(
            [
                ("Remis", alerts["delivered"]),
                ("Échoués", alerts["failed"]),
                ("En attente", max(alerts["sent"] - alerts["delivered"] - alerts["failed"], 0)),
            ],
            None,
        ),
        number=number,
    )
