"""Fixtures of the security tests: the real Redis and channel layer of the executors' tests."""

from tests.executors.conftest import live_events, redis_url  # noqa: F401 - fixtures
