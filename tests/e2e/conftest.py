"""Browser tests of the designer: Debian's Chromium driven by Playwright against a live Django server.

The frontend must be built first (``npm --prefix frontend run build``); the tests are skipped without it.
Never ``playwright install``: the browser is /usr/bin/chromium (Debian package ``chromium``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

ROOT = Path(__file__).resolve().parents[2]
DIST_INDEX = ROOT / "frontend" / "dist" / "index.html"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("JAILNET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 15_000
T = TypeVar("T")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: browser end-to-end tests (Chromium + Playwright)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = None
    if not DIST_INDEX.exists():
        reason = "frontend not built: run `npm --prefix frontend ci && npm --prefix frontend run build`"
    elif not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM}: apt-get install chromium"
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the tests' own ORM calls are
    # still plain synchronous code, so Django's guard against ORM use inside a loop does not apply.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class _RequestsInFlight:
    """Wraps the live server's WSGI app and counts the requests it is still answering.

    A page closed at the end of a test may leave a request running in the server's thread (a validation
    read, say). The database flush between tests must not run beside it: on PostgreSQL the flush's TRUNCATE
    and the request's reads can deadlock, and whichever loses leaves either a 500 or the last test's rows
    behind for the next test.
    """

    def __init__(self, app: Callable[..., object]) -> None:
        self.app = app
        self.count = 0
        self.lock = threading.Condition()

    def __call__(self, environ: dict[str, object], start_response: Callable[..., object]) -> object:
        with self.lock:
            self.count += 1
        try:
            body = self.app(environ, start_response)
        except BaseException:
            self._done()
            raise
        return _Closing(body, self._done)

    def _done(self) -> None:
        with self.lock:
            self.count -= 1
            self.lock.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self.lock:
            return self.lock.wait_for(lambda: self.count == 0, timeout=timeout)


class _Closing:
    """A WSGI response body that reports when the server has closed it (the request is then over)."""

    def __init__(self, body: object, on_close: Callable[[], None]) -> None:
        self.body = body
        self.on_close = on_close

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.body)  # type: ignore[call-overload]

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.on_close()


@pytest.fixture
def quiet_server(live_server, transactional_db) -> Iterator[_RequestsInFlight]:
    """After the test (its pages closed first), wait until the live server answers no request, so the
    database flush that follows runs alone."""
    httpd = live_server.thread.httpd
    app = httpd.get_app()
    if not isinstance(app, _RequestsInFlight):
        app = _RequestsInFlight(app)
        httpd.set_app(app)
    yield app
    assert app.wait_idle(timeout=30), f"the live server still answers {app.count} request(s) 30 s after the test"


@pytest.fixture
def app_url(live_server, quiet_server) -> str:
    """The live server's address; the frontend's static files are found through STATICFILES_DIRS."""
    assert any(str(p).endswith("dist") for p in settings.STATICFILES_DIRS), (
        "frontend/dist missing from STATICFILES_DIRS"
    )
    return live_server.url


@pytest.fixture
def make_browser_user(transactional_db) -> Callable[..., User]:
    """A user with the given roles and the password ``pw-<username>``."""

    def _make(username: str, *roles: str) -> User:
        user = User.objects.create_user(username=username, password=f"pw-{username}")
        for role in roles:
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        return user

    return _make


class PageOpener:
    """Opens pages in fresh browser contexts (own cookies) on one server; closes them at the end of the test."""

    def __init__(self, browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[BrowserContext] = []

    def __call__(self, username: str | None = None):
        # The app's CSP stays on (script-src 'self', no 'unsafe-eval'): what the browser tests click works under it.
        # Wait predicates are written as arrow functions ("() => ..."), which Playwright runs without eval.
        context = self.browser.new_context(viewport={"width": 1500, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        page.goto(self.base_url + "/")
        if username:
            login(page, username)
        return page

    def close(self, request: pytest.FixtureRequest) -> None:
        failed = getattr(request.node, "rep_call", None)
        for index, context in enumerate(self.contexts):
            if failed is not None and failed.failed:
                # A picture of what the browser showed when the test failed (not kept in the repository).
                for page in context.pages:
                    page.screenshot(path=str(Path(tempfile.gettempdir()) / f"e2e-{request.node.name}-{index}.png"))
            context.close()


@pytest.fixture
def new_page(browser, app_url, request) -> Iterator[Callable[..., object]]:
    """Open a page in a fresh browser context (its own cookies), logged in as ``username`` when given."""
    opener = PageOpener(browser, app_url)
    yield opener
    opener.close(request)


@dataclass
class AsgiServer:
    """The whole app (HTTP and websockets) under uvicorn, on the test database and an embedded Redis."""

    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    @property
    def pid(self) -> int:
        """Process id of the server."""
        return self.process.pid

    def log(self) -> str:
        """What the server has written so far (for failure messages)."""
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
def events_redis_url() -> Iterator[str]:
    """Redis for the ASGI server's channel layer: ``REDIS_URL`` if set, else an embedded Valkey stopped by its pid."""
    from project.embedded_redis import start_embedded_redis

    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    server = start_embedded_redis()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_url(events_redis_url: str) -> str:
    """The Redis of the Celery worker of the executors' tests (``celery_worker``): the ASGI server's own."""
    return events_redis_url


@pytest.fixture
def asgi_extra_env() -> dict[str, str]:
    """Environment the ASGI server gets besides the test database and Redis (tests override it)."""
    return {}


@pytest.fixture
def asgi_server(
    transactional_db, events_redis_url: str, tmp_path: Path, asgi_extra_env: dict[str, str]
) -> Iterator[AsgiServer]:
    """``uvicorn project.asgi:application`` on a free port, for tests that need the live events websocket.

    pytest-django's ``live_server`` speaks WSGI only. This server runs in a subprocess against the test
    database (a file, see ``DATABASES``) and Redis for the channel layer, so that the events its requests
    publish reach the browsers' websockets. One per test: the database is flushed between tests, and a
    server kept across them would hold content types cached from the previous one. Stopped by its pid.
    """
    from django.db import connection

    from project.embedded_redis import exit_with_parent, free_loopback_port, stop_process
    from tests.executors.conftest import database_url

    port = free_loopback_port()
    log_path = tmp_path / "uvicorn.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.e2e.asgi_settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": events_redis_url,
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "JAILNET_CREDENTIAL_KEY": settings.CREDENTIAL_ENCRYPTION_KEY,
        "PYTHONUNBUFFERED": "1",
        **asgi_extra_env,
    }
    command = [sys.executable, "-m", "uvicorn", "project.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=exit_with_parent,
        )  # fmt: skip
    server = AsgiServer(process=process, url=f"http://127.0.0.1:{port}", log_path=log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"uvicorn exited with status {process.returncode}:\n{server.log()}")
            try:
                with urllib.request.urlopen(server.url + "/api/session/", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"uvicorn not ready within 60 s:\n{server.log()}") from None
                time.sleep(0.1)
        yield server
    finally:
        stop_process(process, 10)


@pytest.fixture
def new_live_page(browser, asgi_server, transactional_db, request) -> Iterator[Callable[..., object]]:
    """Like ``new_page``, on the ASGI server (live events over the websocket)."""
    opener = PageOpener(browser, asgi_server.url)
    yield opener
    opener.close(request)


def in_thread(function: Callable[[], T]) -> T:
    """Run ORM code off the Playwright thread: its event loop would stop signal handlers that use async_to_sync."""
    values: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            values.append(function())
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)
        finally:
            from django.db import connection

            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return values[0]


def login(page, username: str) -> None:
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(f"pw-{username}")
    page.get_by_role("button", name="Log in").click()
    page.get_by_test_id("current-user").wait_for()


def screenshot(page, name: str) -> None:
    """Keep a picture of a key screen for the docs (docs/screenshots/<name>.png) when JAILNET_SCREENSHOTS=1.

    Off by default, so that running the tests leaves the work tree as it was.
    """
    if os.environ.get("JAILNET_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


# The real Celery worker (lab jobs run there, as root) on the ASGI server's Redis and the test database.
from tests.executors.conftest import celery_worker  # noqa: E402, F401
