"""The embedded Valkey refuses clients without its password; var/ and its files are for their owner only."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import valkey

from project.embedded_redis import start_embedded_redis
from project.secrets import load_or_create_secrets

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server():
    server = start_embedded_redis()
    yield server
    server.stop()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_client_without_the_password_is_refused(server):
    anonymous = valkey.Valkey(host="127.0.0.1", port=server.port, socket_timeout=2)
    with pytest.raises(valkey.exceptions.AuthenticationError):
        anonymous.lpush("celery", "forged task")
    with pytest.raises(valkey.exceptions.AuthenticationError):
        anonymous.publish("asgi__group__design.1", b"forged event")
    wrong = valkey.Valkey(host="127.0.0.1", port=server.port, password="guess", socket_timeout=2)
    with pytest.raises(valkey.exceptions.AuthenticationError):
        wrong.ping()


def test_client_with_the_url_gets_in(server):
    client = valkey.Valkey.from_url(server.url, socket_timeout=2)
    assert client.ping()
    assert server.password in server.url
    assert server.password not in server.display_url


def test_password_is_not_on_the_command_line_and_its_config_is_private(server):
    cmdline = Path(f"/proc/{server.pid}/cmdline").read_bytes().decode(errors="replace")
    assert server.password not in cmdline
    config = server.data_dir / "valkey.conf"
    assert _mode(config) == 0o600
    assert _mode(server.data_dir) == 0o700


def test_celery_and_channels_use_the_password_from_the_url(server):
    """The app's own clients (Celery's broker and result backend, the channel layer) authenticate."""
    code = (
        "import django, os; django.setup(); from django.conf import settings; "
        "from project.celery import app; "
        "c = app.connection_for_write(); c.ensure_connection(max_retries=1); c.release(); "
        "import asyncio; from channels.layers import get_channel_layer; "
        "layer = get_channel_layer(); asyncio.run(layer.group_send('sec-test', {'type': 'x'})); print('ok')"
    )
    env = {**os.environ, "REDIS_URL": server.url, "DJANGO_SETTINGS_MODULE": "project.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-2000:]


def test_secrets_file_gets_a_valkey_password_and_stays_private(tmp_path):
    path = tmp_path / "var" / "secrets.json"
    path.parent.mkdir(mode=0o755)
    path.write_text(json.dumps({"django_secret_key": "k", "credential_key": "c"}))  # an earlier version's file
    path.chmod(0o644)
    values = load_or_create_secrets(path)
    assert values["django_secret_key"] == "k" and values["credential_key"] == "c"
    assert len(values["valkey_password"]) >= 40
    assert json.loads(path.read_text()) == values
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert load_or_create_secrets(path)["valkey_password"] == values["valkey_password"]  # kept, not rotated


def test_var_dir_database_and_secrets_are_private_also_when_created_later(tmp_path):
    """A fresh var/ after migrate and a write; then an existing world-readable one is put right on start."""
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SECRET_KEY", "REDIS_URL")}
    env.update(JAILNET_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="project.settings")
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, env=env, check=True, timeout=300)
    db = var / "jailnet.sqlite3"
    assert _mode(var) == 0o700
    assert _mode(var / "secrets.json") == 0o600
    assert _mode(db) == 0o600
    assert db.stat().st_size > 0
    # Loosened by someone (or made by an earlier version): the next start makes them private again.
    var.chmod(0o755)
    db.chmod(0o644)
    (var / "secrets.json").chmod(0o644)
    write = "from django.contrib.sessions.backends.db import SessionStore; s = SessionStore(); s['a'] = 1; s.save()"
    subprocess.run([*manage, "shell", "-c", write], cwd=BASE_DIR, env=env, check=True, timeout=120)
    assert _mode(var) == 0o700
    assert _mode(db) == 0o600
    assert _mode(var / "secrets.json") == 0o600
    for extra in ("-journal", "-wal", "-shm"):
        journal = Path(str(db) + extra)
        if journal.exists():
            assert _mode(journal) == 0o600, extra
