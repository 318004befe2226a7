"""Africa's Talking's SDK, adapted: the raw HTTP answer, and a keep-alive session per thread."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import requests
from africastalking.Service import DEFAULT_TIMEOUT_S
from africastalking.SMS import SMSService


class RawResponseSMSService(SMSService):
    """The SDK's SMSService, handing back the raw requests.Response.

    SMSService.send validates numbers, builds the form and headers, then calls
    `_make_request`, which raises `AfricasTalkingException(body)` on any non-2xx and so loses
    the HTTP status we need to tell 5xx from 4xx. Its `callback` mode does not help either: it
    wraps the response the same way, and runs in a thread where network errors are lost.
    """

    def _make_request(
        self,
        url: str,
        method: str,
        headers: Mapping[str, str],
        data: Any,
        params: Any,
        callback: Any = None,
        timeout: Any = DEFAULT_TIMEOUT_S,
    ) -> requests.Response:
        # Same call as Service.__make_post_request in africastalking 2.0.3, on a session of
        # this thread's: a reply sender's threads each keep their connection to AT alive.
        return _session().request(
            method, url=url, headers=headers, params=params, data=data, timeout=timeout
        )


_local = threading.local()


def _session() -> requests.Session:
    """This thread's keep-alive session to AT."""
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session
