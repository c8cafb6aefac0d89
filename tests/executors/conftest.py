"""A real Redis and a real Celery worker for the tests of the executors room.

``redis_url`` (session): ``REDIS_URL`` from the environment (CI: the machine's Redis), otherwise an embedded
Valkey server started for this test process and stopped by its pid at the end.

``celery_worker`` (session, started on first use): a ``celery -A project worker`` subprocess (thread pool,
concurrency 2) on that Redis and on the test database, consuming a queue of its own so that test processes
sharing one Redis (pytest-xdist, parallel CI runs) never take each other's tasks. Tests that give it work must
commit their data where it can see it: use ``transactional_db`` (the SQLite test database is a file, see
``DATABASES`` in project/settings.py; with ``DATABASE_URL`` it is a PostgreSQL database).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from project.celery import app as celery_app
from project.embedded_redis import exit_with_parent, start_embedded_redis, stop_process

BASE_DIR = Path(__file__).resolve().parents[2]
WORKER_READY_TIMEOUT = 60.0
WORKER_STOP_TIMEOUT = 20.0


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """URL of a Redis server for this test process: ``REDIS_URL`` if set, else an embedded Valkey."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    server = start_embedded_redis()
    try:
        yield server.url
    finally:
        server.stop()


def database_url(settings_dict: dict[str, Any]) -> str:
    """A ``DATABASE_URL`` naming the database of ``settings_dict`` (the test database once it is set up)."""
    engine = settings_dict["ENGINE"].rsplit(".", 1)[-1]
    query = urlencode({k: v for k, v in settings_dict.get("OPTIONS", {}).items() if isinstance(v, str | int)})
    suffix = f"?{query}" if query else ""
    if engine == "sqlite3":
        return f"sqlite:///{Path(settings_dict['NAME']).resolve()}{suffix}"
    if engine == "postgresql":
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
        return f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'], safe='')}{suffix}"
    raise NotImplementedError(f"no worker database URL for engine {settings_dict['ENGINE']}")


def _point_app_at(app: Celery, **conf: Any) -> dict[str, Any]:
    """Change the test process's Celery configuration; return the previous values.

    Settings were read before any fixture ran, and Celery caches what it built from them (queues and
    router in ``app.amqp``, the producer pool, the result backend), so those caches are dropped too.
    """
    previous = {key: app.conf.get(key) for key in conf}
    app.conf.update(conf)
    app.__dict__.pop("amqp", None)
    app._pool = None
    app._backend_cache = None
    app._local = threading.local()
    return previous


@dataclass
class CeleryWorker:
    """A running ``celery worker`` subprocess and the queue it consumes."""

    process: subprocess.Popen[bytes]
    queue: str
    log_path: Path
    app: Celery

    @property
    def hosts_queue(self) -> str:
        """The host-work queue (jobs) this worker consumes besides its default queue."""
        return f"{self.queue}-hosts"

    @property
    def pid(self) -> int:
        """Process id of the worker."""
        return self.process.pid

    def log(self) -> str:
        """What the worker has written so far (for assertion messages)."""
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), SIGKILL if it does not finish in time."""
        stop_process(self.process, WORKER_STOP_TIMEOUT)


def _wait_until_ready(worker: CeleryWorker) -> None:
    deadline = time.monotonic() + WORKER_READY_TIMEOUT
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            raise RuntimeError(f"celery worker exited with status {worker.process.returncode}:\n{worker.log()}")
        if " ready." in worker.log():
            return
        time.sleep(0.1)
    worker.stop()
    raise RuntimeError(f"celery worker not ready within {WORKER_READY_TIMEOUT:.0f} s:\n{worker.log()}")


def start_worker(
    *,
    redis_url: str,
    queues: list[str],
    log_path: Path,
    pool: str = "solo",
    concurrency: int = 1,
    extra_env: dict[str, str] | None = None,
) -> CeleryWorker:
    """Start a ``celery worker`` process consuming ``queues`` on ``redis_url`` and the test database; return it
    once it is ready. The caller stops it (``worker.stop()``, or SIGKILL by its pid)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "REDIS_URL": redis_url,
        "JAILNET_CELERY_QUEUE": queues[0],
        "DATABASE_URL": database_url(connection.settings_dict),
        # The worker must decrypt what the tests encrypted and sign what they verify.
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "JAILNET_CREDENTIAL_KEY": settings.CREDENTIAL_ENCRYPTION_KEY,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    command = [
        sys.executable, "-m", "celery", "-A", "project", "worker",
        "--pool", pool, "--concurrency", str(concurrency), "--queues", ",".join(queues),
        "--hostname", f"{queues[0]}-{uuid.uuid4().hex[:6]}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=exit_with_parent,
        )
    worker = CeleryWorker(process=process, queue=queues[0], log_path=log_path, app=celery_app)
    _wait_until_ready(worker)
    return worker


@pytest.fixture(scope="session")
def celery_worker(
    django_db_setup: None, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CeleryWorker]:
    """A real Celery worker process on ``redis_url`` and the test database, stopped by its pid at the end.

    It consumes a default queue of its own and a host-work queue of its own (jobs: ``JAILNET_HOSTS_QUEUE``),
    so that test processes sharing one Redis never take each other's tasks. Depends on ``django_db_setup`` so
    that it starts after the test database exists and is stopped before the database is dropped (PostgreSQL
    refuses to drop a database with open connections).
    """
    queue = f"jailnet-test-{uuid.uuid4().hex[:12]}"
    previous = _point_app_at(
        celery_app, broker_url=redis_url, result_backend=redis_url, task_default_queue=queue, task_always_eager=False
    )
    try:
        worker = start_worker(
            redis_url=redis_url,
            queues=[queue, f"{queue}-hosts"],
            log_path=tmp_path_factory.mktemp("celery") / "worker.log",
            pool="threads",
            concurrency=2,
            extra_env={"JAILNET_HOSTS_QUEUE": f"{queue}-hosts"},
        )
        try:
            yield worker
        finally:
            worker.stop()
    finally:
        _point_app_at(celery_app, **previous)


@pytest.fixture
def live_events(settings: Any, redis_url: str) -> Iterator[None]:
    """Point this process's channel layer and event publishing at the test Redis (the app's own layer config)."""
    from channels.layers import channel_layers

    from project.settings import channel_layers_for

    settings.REDIS_URL = redis_url
    settings.CHANNEL_LAYERS = channel_layers_for(redis_url)
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def jobs_on_worker(settings: Any, live_events: None, celery_worker: CeleryWorker) -> CeleryWorker:
    """Jobs created by the test go to the real worker's host-work queue; their events to the test Redis."""
    settings.JAILNET_HOSTS_QUEUE = celery_worker.hosts_queue
    return celery_worker
