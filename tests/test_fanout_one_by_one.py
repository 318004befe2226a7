"""A batch through a one-recipient-a-request gateway is recorded recipient by recipient.

Orange and SMSGate take one recipient a request, so a batch of AT_BATCH_SIZE is that many
requests. The fan-out cuts it so (`Router.plan_requests`) and records each answer before the
next request: a run that loses its lease mid-batch (a stalled or killed worker) leaves at most
the request it had in flight to go twice, as with AT. Real redis-server, the real Orange client
(requests) and the real android-sms-gateway client against their loopback stand-ins.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest

from alerts.domain.subscribers import Language
from alerts.gateways.orange import OrangeGateway
from alerts.gateways.smsgate import SMSGateGateway
from alerts.jobs import lifecycle as jobs
from alerts.sending import fanout
from alerts.services import current_services
from alerts.store import Subscriber, Subscription, keys
from tests.support.gateways import gateway_config, orange_server, smsgate_server
from tests.test_fanout_faults import posting

#: Gateway -> (its class, a number its operator route sends there: Orange 7x, Moov 6x).
GATEWAYS = {"orange": (OrangeGateway, "+22374500"), "smsgate": (SMSGateGateway, "+22366500")}
LANGS = [Language.FR, Language.BM]
FIXTURES = (orange_server, smsgate_server)  # pytest finds them here by name


def make_app(redis_server, at_server, orange, smsgate, **settings: Any):
    from app import create_app

    settings = {"AT_BATCH_SIZE": 1000, **settings}
    config = gateway_config(redis_server, at_server, orange, smsgate, RQ_SYNC=False, **settings)
    return create_app(config)


@pytest.mark.parametrize("lang", LANGS, ids=["fr", "bm"])
@pytest.mark.parametrize("gateway", list(GATEWAYS))
def test_a_lost_lease_mid_batch_sends_at_most_one_recipient_twice(
    redis, redis_server, at_server, orange_server, smsgate_server, monkeypatch, gateway, lang
):
    cls, prefix = GATEWAYS[gateway]
    stand_in = orange_server if gateway == "orange" else smsgate_server
    apps = [
        make_app(redis_server, at_server, orange_server, smsgate_server, FANOUT_LEASE_SECONDS=30)
        for _ in range(2)
    ]
    with apps[0].app_context():
        services = current_services()
        phones = [f"{prefix}{i:03d}" for i in range(10)]
        services.store.seed_subscribers(
            Subscriber(phone=p, language=lang, subscriptions=(Subscription(district="niono"),))
            for p in phones
        )
        job, errors = jobs.create_job(services, posting())
        assert errors == {}
        assert fanout.plan(services, job.id)["matched"] == 10
        (batch,) = services.store.fanout_todo(job.id)
        second: dict[str, Any] = {}
        real_send_to = cls._send_to
        sends = []

        def stall_at_the_third(self, message: str, phone: str):
            result = real_send_to(self, message, phone)
            sends.append(phone)
            if len(sends) == 3:
                # This worker stalls past its lease with the third answer not yet recorded:
                # the sweeper's rerun takes the batch and sends what has no outcome.
                redis.delete(keys.fan(job.id, f"lease:{batch}"))

                def rerun() -> None:
                    with apps[1].app_context():
                        second["out"] = fanout.send_batch(current_services(), job.id, batch)

                other = threading.Thread(target=rerun)
                other.start()
                other.join(60)
            return result

        monkeypatch.setattr(cls, "_send_to", stall_at_the_third)
        first = fanout.send_batch(services, job.id, batch)
        assert first["result"] == "lease lost", (first, second, sends)
        assert second["out"]["result"] == "sent"
        got = Counter(stand_in.phones())
        assert set(got) == set(phones), "a recipient was missed"
        assert [p for p, c in got.items() if c > 1] == [sends[2]]  # the one in flight only
        assert at_server.messages == []  # nobody went through another gateway
        figures = jobs.job_stats(services, job.id)
        assert (figures["sent"], figures["queued"]) == (10, 0)  # each counted once
        assert services.store.fanout_todo(job.id) == set()


def test_requests_are_cut_per_gateway_to_what_each_takes(
    redis, redis_server, at_server, orange_server, smsgate_server
):
    app = make_app(redis_server, at_server, orange_server, smsgate_server, AT_BATCH_SIZE=3)
    with app.app_context():
        router = current_services().gateway
        orange = [f"+2237000000{i}" for i in range(2)]
        moov = [f"+2236600000{i}" for i in range(2)]
        telecel = [f"+2235000000{i}" for i in range(4)]
        interleaved = [orange[0], telecel[0], moov[0], telecel[1], orange[1], telecel[2]]
        interleaved += [moov[1], telecel[3]]
        assert router.plan_requests(interleaved) == [
            [orange[0]],
            [orange[1]],
            telecel[:3],  # AT: AT_BATCH_SIZE a request
            [telecel[3]],
            [moov[0]],
            [moov[1]],
        ]
