"""What ``make run`` does: demo users, and the launcher that starts Redis, web and worker and stops them again."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command

from project.embedded_redis import free_loopback_port
from project.roles import ROLES, user_roles

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_demo_users_hold_their_role_and_log_in_with_the_documented_password(settings):
    # The real hasher costs ~0.3 s per password on this machine; the command's logic is what is tested here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = io.StringIO()
    call_command("demo_users", stdout=out)
    call_command("demo_users", stdout=out)  # again: resets, does not duplicate
    assert "demo-designer" in out.getvalue()
    assert User.objects.filter(username__in=ROLES).count() == len(ROLES)
    for role in ROLES:
        user = authenticate(username=role, password=f"demo-{role}")
        assert user is not None, role
        assert role in user_roles(user)
        assert user.is_superuser == (role == "admin")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose (its parent has not reaped it yet).
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


def test_launcher_serves_the_app_and_stops_everything_it_started(tmp_path):
    port = free_loopback_port()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"} | {"JAILNET_VAR_DIR": str(tmp_path)}
    log_path = tmp_path / "run.log"
    with open(log_path, "wb") as log:
        launcher = subprocess.Popen(
            [sys.executable, "-m", "project.run", "--port", str(port)],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while "jailnet is running" not in log_path.read_text():
            assert launcher.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/docs/", timeout=10) as response:
            assert response.status == 200
    finally:
        launcher.send_signal(signal.SIGTERM)
        status = launcher.wait(timeout=60)

    output = log_path.read_text()
    assert status == 0, output
    assert re.search(r"embedded Valkey \(pid \d+\) stopped", output), output
    # Valkey's pid, and web's and worker's as honcho reports them when it stops them.
    started = {int(pid) for pid in re.findall(r"\(pid (\d+)\)", output)}
    assert len(started) >= 3, output
    time.sleep(0.5)
    assert not [pid for pid in started if _alive(pid)], output
