"""Which workers can run jobs: each worker of the host-work queue says so in Redis every few seconds.

The web process (which never runs jobs) reads it to tell the Lab page whether jobs can run and why not: no worker
of the queue, or none running as root (the lab creates namespaces). Every worker (``make run`` starts two: the
default queue's and the host-work queue's) also reaps, every ``PRESENCE_INTERVAL`` seconds, jobs whose worker
stopped heart-beating: a killed worker's job is marked interrupted within 30 s even when nobody looks at it, and
what it left running on hosts is stopped by a worker of the host-work queue. It also deletes stored live events
older than a day now and then.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from typing import Any

import redis
from celery import signals
from django.conf import settings

log = logging.getLogger(__name__)

PRESENCE_PREFIX = "jailnet:hosts-worker:"
PRESENCE_INTERVAL = 5.0
PRESENCE_TTL = 20
PRUNE_INTERVAL = 600.0  # seconds between deletions of old live events


def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=5)


def _presence_key(queue: str, name: str) -> str:
    return f"{PRESENCE_PREFIX}{queue}:{name}"


def hosts_workers() -> list[dict[str, Any]]:
    """Workers of the host-work queue alive in the last ``PRESENCE_TTL`` seconds (empty when Redis is away)."""
    try:
        client = _redis()
        pattern = _presence_key(settings.JAILNET_HOSTS_QUEUE, "*")
        keys = sorted(client.scan_iter(match=pattern, count=100))
        values = client.mget(keys) if keys else []
    except redis.RedisError:
        return []
    return [json.loads(v) for v in values if v]


def jobs_availability() -> dict[str, Any]:
    """Whether lab jobs can run now and, when not, why (for the Lab page)."""
    workers = hosts_workers()
    queue = settings.JAILNET_HOSTS_QUEUE
    if not workers:
        return {
            "available": False,
            "reason": f"no worker consumes the '{queue}' queue (start one: celery -A project worker -Q {queue})",
            "workers": [],
        }
    if not any(w.get("root") for w in workers):
        return {
            "available": False,
            "reason": "the lab needs root: the worker of the host-work queue does not run as root "
            "(start it as root, e.g. sudo make run)",
            "workers": workers,
        }
    return {"available": True, "reason": "", "workers": workers}


def _announce(name: str, queues: list[str], stop: threading.Event) -> None:
    from django.db import close_old_connections

    from topology.events import events_prune

    from .jobs.services import jobs_reap

    last_prune = 0.0
    value = json.dumps({"name": name, "root": os.geteuid() == 0, "pid": os.getpid(), "queues": queues})
    while True:
        try:
            if settings.JAILNET_HOSTS_QUEUE in queues:
                _redis().set(_presence_key(settings.JAILNET_HOSTS_QUEUE, name), value, ex=PRESENCE_TTL)
            close_old_connections()
            jobs_reap()
            if time.monotonic() - last_prune >= PRUNE_INTERVAL:
                last_prune = time.monotonic()
                events_prune()
        except Exception:  # Redis or the database away for a moment: try again next round
            log.warning("worker presence/reaper round failed", exc_info=True)
        if stop.wait(PRESENCE_INTERVAL):
            return


_stop = threading.Event()


@signals.worker_ready.connect
def _start_presence(sender: Any = None, **_: object) -> None:
    """Start announcing this worker (and reaping) in a daemon thread once it is ready."""
    try:
        queues = [q.name for q in sender.task_consumer.queues]
    except AttributeError:
        queues = []
    name = f"{socket.gethostname()}:{os.getpid()}"
    threading.Thread(target=_announce, args=(name, queues, _stop), name="jailnet-presence", daemon=True).start()


@signals.worker_shutdown.connect
def _stop_presence(**_: object) -> None:
    _stop.set()
