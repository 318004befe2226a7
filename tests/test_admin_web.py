"""The admin web as a newcomer meets it (issue 14), through Flask's test client, CSRF on:
a subscriber's alerts and their delivery, forced password change, errors in French from codes,
aria on untouched fields, scheduling, drafts, 404s, subscriber search, the simulator's inbox.
(Browser checks at 360 px and the axe-core pass are in test_browser.py.)
"""

from __future__ import annotations

import pytest

from alerts import jobs
from alerts.store import Language, Subscription, current_store
from tests.conftest import work
from tests.test_admin import ADMIN, job_form, login, make_account, token

OFF, ON, BLOCKED, STOPPED = "+22376200000", "+22376200001", "+22376200002", "+22376200003"


@pytest.fixture()
def admin_client(app, client):
    make_account(*ADMIN)
    assert login(client, *ADMIN).status_code == 302
    return client


def _publish_to_four(admin_client, at_server) -> jobs.Job:
    st = current_store()
    st.subscribe(OFF, [Subscription(district="niono")], language=Language.FR)
    st.subscribe(ON, [Subscription(district="niono")], language=Language.BM)
    st.subscribe(BLOCKED, [Subscription(district="macina")], language=Language.FR)
    st.subscribe(STOPPED, [Subscription(district="macina")], language=Language.BM)
    at_server.blacklist = {BLOCKED}
    answer = admin_client.post("/admin/jobs/new", data={
        **job_form(), "action": "draft", "csrf_token": token(admin_client, "/admin/jobs/new")})
    assert answer.status_code == 302
    (job,) = jobs.list_jobs()
    # Stopped after planning, before the batch leaves: skipped at send time.
    st.stop(STOPPED)
    answer = admin_client.post(f"/admin/jobs/{job.id}/publish",
                               data={"csrf_token": token(admin_client)})
    assert answer.status_code == 302
    work()
    ids = {m["to"]: m["id"] for m in at_server.messages}
    for phone, status, reason in ((OFF, "Failed", "AbsentSubscriber"), (ON, "Success", "")):
        report = {"id": ids[phone], "status": status, "phoneNumber": phone}
        if reason:
            report["failureReason"] = reason
        assert admin_client.post("/sms/delivery", data=report).status_code == 200
    return job


@pytest.mark.parametrize(
    ("phone", "outcome", "status", "reason"),
    [
        (OFF, "f", "Non remise", "Téléphone éteint ou hors réseau"),
        (ON, "d", "Remise sur le téléphone", "—"),
        (BLOCKED, "f", "Non remise", "Numéro en liste noire"),
    ],
    ids=["switched-off-fr", "delivered-bm", "blacklisted-fr"],
)
def test_subscriber_page_shows_each_alert_its_status_and_failure_reason(
    app, admin_client, at_server, phone, outcome, status, reason
) -> None:
    job = _publish_to_four(admin_client, at_server)
    page = admin_client.get(f"/admin/subscribers/{phone}").text
    row = page.split(f'data-job="{job.id}"', 1)[1].split("</tr>", 1)[0]
    assert f'class="alert-{outcome}"' in page
    assert job.code in row and "Mobilisateur communautaire" in row
    assert status in row and reason in row
    record = current_store().alert_history(phone)[0]
    assert record.at is not None
    if outcome in "df":
        assert record.report_at is not None or phone == BLOCKED


def test_subscriber_who_stopped_before_the_send_sees_why_nothing_came(
    app, admin_client, at_server
) -> None:
    job = _publish_to_four(admin_client, at_server)
    st = current_store()
    # What a batch records for someone who stopped between the plan and the send.
    st.redis.hset(f"fan:{job.id}:st", STOPPED, "q")
    st.record_alerts(job.id, 99, [(STOPPED, "x", "stopped", "", "")], segments=1, price=25,
                     finish=False, ttl=3600)
    page = admin_client.get(f"/admin/subscribers/{STOPPED}").text
    assert "Non envoyée" in page and "Numéro arrêté (STOP) avant l&#39;envoi" in page


def test_alert_history_keeps_the_newest_jobs_and_goes_with_erasure(app) -> None:
    from alerts.store import ALERT_HISTORY_KEEP

    st = current_store()
    for n in range(1, ALERT_HISTORY_KEEP + 6):
        st.redis.hset(f"fan:{n}:st", ON, "q")
        st.record_alerts(str(n), 0, [(ON, "s", "", f"mid{n}", "")], segments=1, price=25,
                         finish=False, ttl=3600)
    kept = [r.job_id for r in st.alert_history(ON)]
    assert len(kept) == ALERT_HISTORY_KEEP
    assert kept[0] == str(ALERT_HISTORY_KEEP + 5) and kept[-1] == "6"
    assert st.record_alert_delivery(str(ALERT_HISTORY_KEEP + 5), ON, "d", "")
    assert st.alert_history(ON)[0].outcome == "d"
    assert st.redis.ttl(f"alh:{ON}") > 0
    st.subscribe(ON, [Subscription(district="niono")])
    st.erase_subscriber(ON)
    assert st.alert_history(ON) == []
