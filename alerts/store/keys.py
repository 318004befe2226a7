"""Every Redis key Baara writes: the store's modules name keys only through this module.

    sub:{bucket}                      hash; field = last two digits of the phone, value = packed
                                      subscriber (bucketing keeps ~100 small records per listpack)
    idx:{lang}:d:{district}:{cat}     set of phones of *active* subscribers, by language
    idx:{lang}:r:{region}:{cat}       same for whole-region subscriptions; cat '*' = every category
    seen:sms:{phone}                  zset: the number's last 50 AT message ids (AT retries
                                      callbacks until it gets a 200), SEEN_DAYS (7)
    inbox:sms                         list: inbound SMS accepted by the webhook, to handle
    inbox:sms:busy                    list: the item the drainer is handling (back to the inbox
                                      if it dies)
    inbox:sms:dead                    list: the last 1000 items whose handling failed
    inbox:sms:lease                   the RQ job draining the inbox, seconds (one at a time)
    inbox:sms:suspect                 the drainer a sweep found missing, to act on a second look
    inbox:sweep                       who looked for a lost drainer last (expires after an interval)
    pend:{phone}                      a question we asked and wait an answer for, 1 day
    out:{id}                          hash: one outgoing reply (phone, text, status, ...),
                                      RECORD_DAYS (30)
    outs:{phone}                      ids of the replies sent to a number (for erasure),
                                      RECORD_DAYS (30)
    out:pending                       zset: ids of replies not sent yet, by when they are due
                                      (what the reply sweep looks at; alerts/sending/outbox.py)
    out:sender                        the worker whose reply sender holds the lease (seconds)
    out:sweep                         who swept for lost replies last (expires after an interval)
    out:suspect:{id}                  the RQ job a reply sweep found missing, to act on a second
                                      look (a few sweep intervals)
    gw:{gateway message id}           which outgoing message or alert a delivery report is for;
                                      DELIVERY_REF_DAYS (14) for replies
    hist:{phone}                      the last 30 messages to and from a number (admin view),
                                      HISTORY_DAYS (90)
    alh:{phone}                       hash: job id -> '{outcome}|{reason}|{sent at}|{report at}'
                                      of the alerts sent to a number (admin view), the last
                                      ALERT_HISTORY_KEEP jobs (+9), HISTORY_DAYS (90)
    relay:{phone}                     hash: a community relay (status, districts, figures)
    relays                            set of relay phones (approved and pending)
    consent:{phone}                   hash: a relay's pending enrollment of this number, 72 h
    consentid:{request id}            the number a consent request is for (so the RQ job that
                                      lapses it carries the request id, never the number)
    refused:{relay}                   set of numbers that said no to this relay
    relayday:{relay}:{yyyymmdd}       enrollment requests a relay made that day, 2 days
    gwb:{name}                        hash: a gateway's circuit breaker (fails = consecutive
                                      failed requests); gwb:{name}:open while it cools down
    gws:{name}                        hash: a gateway's figures (requests, errors, sent, failed,
                                      cost) for the admin and /metrics
    gwl:{phone}                       the gateway the number last wrote to us through,
                                      RECORD_DAYS (30)
    gwsub:{name}:{kind}               list: the ids of the notification subscriptions
                                      `flask gateways orange-subscribe` made (kind: inbound,
                                      delivery), for platforms that do not list them
    sim:sms, sim:sms:{phone}          messages recorded by the simulated gateway (development)
    adm:acct:{email}                  hash: an admin web account (password hash, role, created)
    adm:accts                         set of admin account emails
    adm:sess:{token}                  '{email}|{nonce}' of a signed-in admin session, 12 h (the
                                      account's nonce changes with its password, role, re-creation)
    adm:fail:{kind}:{id}              sign-in attempts per (account, address), account, address
                                      or (account, trusted device), 15 min
    adm:audit                         list: who exported, erased, stopped, published, and when
    adm:aud:{token}:{lang}            a preview's audience, deleted as soon as it is counted
    job:seq                           counter: the last job id
    job:{id}                          hash: one job posting (status, title, places, deadline...)
    jobcode:{code}                    the job id a code (J482) belongs to; until deadline + 90 days
    jobs:all                          zset: job ids by creation time
    jobs:open                         zset: published job ids by publication time
    jobs:sched                        zset: jobs waiting for the end of quiet hours, by that time
    fan:active                        set: job ids whose alert fan-out is pending or sending
    fan:sweep                         who swept for lost batches last (expires after an interval)
    fan:{job}:plan                    hash: state (pending|planned|done), batches, text and
                                      segments per language, the planner's RQ job id
    fan:{job}:b:{n}                   batch n: '{lang}|{phone},{phone},...'; gone once finished
    fan:{job}:todo                    set: batch numbers not finished yet
    fan:{job}:rq                      hash: batch number -> the RQ job in charge of it
    fan:{job}:try                     hash: retries and re-enqueues per batch
    fan:{job}:lease:{n|plan}          a sender's lock on a batch (or the planner's), seconds
    fan:{job}:suspect:{n|plan}        the RQ job a sweep found missing, to act on a second look
    fan:{job}:st                      hash: phone -> q(ueued), then its outcome: s(ent)
                                      d(elivered) f(ailed) x (skipped); what makes exactly-once
    fan:{job}:stats                   hash: counted, queued, sent, delivered, failed, skipped,
                                      segments, cost, last_sent_at, batch_errors, last_error,
                                      r:{failure reason}, x:{skip reason}
    fan:{job}:m:{lang}, :n:{lang}     transient unions while planning and counting
    ussd:{phone}                      the number's last USSD call: session id, first screen,
                                      answers; 5 min, so a call cut off can resume
    ussd:jobs:{phone}                 the open jobs that call is looking at (numbers stay put)
    rate:{kind}:{phone}:{minute}      inbound messages (kind sms|ussd) a number sent in that
                                      window, 2 windows
    muted:{kind}:{phone}              a number ignored after sending too much; cool-down seconds
    restore:state                     hash: the backup a `flask restore` loads, running|done
    urgent:sms:{phone}:{stop|start}   STOPs / STARTs let past flood control this cool-down
    tps:{gateway}                     zset: the gateway's last second of requests,
                                      '{kind}:{messages}:{nonce}' by Redis' clock (AT_MAX_TPS)
    tps:{gateway}:waiting:{kind}      a reply or alert waits for room in that window (1 s)
    metrics:count                     hash: cross-process counters for /metrics
                                      ('{name}|{label}|...' -> value)
    metrics:hist                      hash: cross-process histograms ('{name}|{le}' -> count,
                                      '{name}|sum' -> seconds)

Subscribers are indexed only while active, so matching a posting is a union of the few index sets
it names: its cost is the number of subscribers matched, never the number of subscribers.
Three Lua scripts spell keys themselves, because they compute them per row: batch_targets.lua
(sub:), record_alerts.lua (gw:, through its ref prefix) and alert_history.lua (alh:).
RQ's own keys (rq:*) are RQ's business: backups leave them out, erasure skips them.
"""

from __future__ import annotations

from alerts.domain.subscribers import Language, Subscription

INBOX = "inbox:sms"
INBOX_BUSY = "inbox:sms:busy"
INBOX_DEAD = "inbox:sms:dead"
INBOX_LEASE = "inbox:sms:lease"
INBOX_SUSPECT = "inbox:sms:suspect"
OUT_PENDING = "out:pending"
OUT_SENDER = "out:sender"
RELAYS = "relays"
SIMULATED = "sim:sms"
ACCOUNTS = "adm:accts"
AUDIT = "adm:audit"
JOB_SEQ = "job:seq"
JOBS_ALL = "jobs:all"
JOBS_OPEN = "jobs:open"
JOBS_SCHEDULED = "jobs:sched"
FAN_ACTIVE = "fan:active"
#: Who swept last, per kind of sweep: fan (alert batches), out (replies), inbox (drainers).
SWEEP = "{what}:sweep"
RESTORE_STATE = "restore:state"
METRICS_COUNT = "metrics:count"
METRICS_HIST = "metrics:hist"
#: SCAN patterns: every subscriber bucket, every index set.
SUBSCRIBER_PATTERN = "sub:*"
INDEX_PATTERN = "idx:*"
#: Prefix of the keys RQ writes (not Baara's: see above).
RQ_PREFIX = "rq:"


def subscriber(phone: str) -> tuple[str, str]:
    """The bucket hash holding a subscriber, and the field within it."""
    digits = phone.lstrip("+")
    return f"sub:{digits[:-2]}", digits[-2:]


def phone_of(bucket_key: str, field_name: str) -> str:
    """Inverse of subscriber(): the phone a bucket field belongs to."""
    return "+" + bucket_key[4:] + field_name


def index(language: Language | str, sub: Subscription) -> str:
    """The set of active subscribers holding this subscription in this language."""
    lang = language.value if isinstance(language, Language) else language
    return f"idx:{lang}:{sub.code}"


def seen(phone: str) -> str:
    """The AT message ids lately received from a number."""
    return f"seen:sms:{phone}"


def pending(phone: str) -> str:
    """The question we wait an answer for."""
    return f"pend:{phone}"


def outgoing(out_id: str) -> str:
    """One outgoing reply's record."""
    return f"out:{out_id}"


def outgoing_ids(phone: str) -> str:
    """The ids of the replies sent to a number."""
    return f"outs:{phone}"


def gateway_ref(gateway_id: str) -> str:
    """What a gateway message id is for."""
    return f"gw:{gateway_id}"


def gateway_breaker(name: str) -> str:
    """Hash: a gateway's consecutive failures."""
    return f"gwb:{name}"


def gateway_open(name: str) -> str:
    """Set while a gateway's breaker is open."""
    return f"gwb:{name}:open"


def gateway_stats(name: str) -> str:
    """Hash: a gateway's figures."""
    return f"gws:{name}"


def gateway_subscriptions(name: str, kind: str) -> str:
    """List: notification subscription ids we made at a gateway."""
    return f"gwsub:{name}:{kind}"


def last_gateway(phone: str) -> str:
    """The gateway a number last wrote through."""
    return f"gwl:{phone}"


def history(phone: str) -> str:
    """A number's message history."""
    return f"hist:{phone}"


def alert_history(phone: str) -> str:
    """The alerts sent to a number."""
    return f"alh:{phone}"


def relay(phone: str) -> str:
    """A community relay's record."""
    return f"relay:{phone}"


def consent(phone: str) -> str:
    """A relay's pending enrollment of this number."""
    return f"consent:{phone}"


def consent_id(request_id: str) -> str:
    """The number a consent request is for."""
    return f"consentid:{request_id}"


def refused(relay_phone: str) -> str:
    """The numbers that said no to this relay."""
    return f"refused:{relay_phone}"


def relay_day(relay_phone: str, day: str) -> str:
    """Enrollment requests a relay made that day."""
    return f"relayday:{relay_phone}:{day}"


def simulated(phone: str) -> str:
    """Messages the simulated gateway recorded for one number."""
    return f"{SIMULATED}:{phone}"


def account(email: str) -> str:
    """An admin account."""
    return f"adm:acct:{email}"


def session(token: str) -> str:
    """A signed-in admin session."""
    return f"adm:sess:{token}"


def sign_in_failures(kind: str, ident: str) -> str:
    """Sign-in attempts counted for (kind, id)."""
    return f"adm:fail:{kind}:{ident}"


def audience(token: str, language: Language) -> str:
    """A preview's audience in one language, while it is counted."""
    return f"adm:aud:{token}:{language.value}"


def job(job_id: str) -> str:
    """One job posting."""
    return f"job:{job_id}"


def job_code(code: str) -> str:
    """The job a code belongs to."""
    return f"jobcode:{code}"


def fan(job_id: str, part: str) -> str:
    """One of a job's fan-out keys: plan, b:{n}, todo, rq, try, lease:{n}, suspect:{n}, st,
    stats, m:{lang}, n:{lang}."""
    return f"fan:{job_id}:{part}"


def ussd_call(phone: str) -> str:
    """A number's last USSD call."""
    return f"ussd:{phone}"


def ussd_jobs(phone: str) -> str:
    """The open jobs that call is looking at."""
    return f"ussd:jobs:{phone}"


def rate(kind: str, phone: str, slot: int | str) -> str:
    """Inbound messages of a kind a number sent in one window ('*' patterns for SCAN)."""
    return f"rate:{kind}:{phone}:{slot}"


def muted(kind: str, phone: str) -> str:
    """A number ignored after sending too much."""
    return f"muted:{kind}:{phone}"


def urgent(phone: str, what: str) -> str:
    """STOPs or STARTs let past flood control ('-' for neither)."""
    return f"urgent:sms:{phone}:{what}"


def outgoing_suspect(out_id: str) -> str:
    """A reply the sweep found without its RQ job, to act on at the second look."""
    return f"out:suspect:{out_id}"


def tps(gateway: str) -> str:
    """A gateway's sliding window of requests sent, for its messages-per-second limit."""
    return f"tps:{gateway}"


def tps_waiting(gateway: str, kind: str) -> str:
    """Set while a reply or an alert waits for room under the gateway's limit."""
    return f"tps:{gateway}:waiting:{kind}"
