"""Fixtures of the benchmarks: the real Redis, Celery worker (as root) and channel layer of the executors' tests."""

from tests.executors.conftest import celery_worker, jobs_on_worker, live_events, redis_url  # noqa: F401
