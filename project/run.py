"""``python -m project.run`` — run jailnet on this machine: web (uvicorn, ASGI) and a Celery worker under honcho.

Without ``REDIS_URL`` it first starts an embedded Valkey server (project.embedded_redis) and hands its URL to
web and worker in ``REDIS_URL``. Ctrl-C (or SIGTERM) stops honcho, which stops web and worker; then the
embedded server is stopped by its pid. ``make run`` prepares the database and calls this.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from project.embedded_redis import EmbeddedRedis, start_embedded_redis, stop_process
from project.secrets import load_or_create_secrets

BASE_DIR = Path(__file__).resolve().parent.parent
STOP_TIMEOUT = 20.0
READY_TIMEOUT = 60.0


class _Stop(Exception):
    """Raised in the main loop by the SIGINT and SIGTERM handlers."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    """Start Redis if needed, then web and worker; return when they have stopped."""
    parser = argparse.ArgumentParser(prog="python -m project.run", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("JAILNET_HOST", "127.0.0.1"), help="web listens here")
    parser.add_argument("--port", type=int, default=int(os.environ.get("JAILNET_PORT", "8000")))
    parser.add_argument("--procfile", type=Path, default=BASE_DIR / "Procfile")
    args = parser.parse_args(argv)

    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "JAILNET_HOST": args.host,
        "JAILNET_PORT": str(args.port),
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "PYTHONUNBUFFERED": "1",
    }
    if _listening(args.host, args.port):
        print(f"jailnet: {args.host}:{args.port} is already in use; choose another (--port, make run PORT=...)")
        return 1
    redis: EmbeddedRedis | None = None
    honcho: subprocess.Popen[bytes] | None = None
    status = 0
    stop_requested = False
    # Installed explicitly: a process started in the background can inherit an ignored SIGINT.
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    try:
        if not env.get("REDIS_URL"):
            # The password is kept in the secrets file: the server is new every run, the password is not.
            var_dir = Path(os.environ.get("JAILNET_VAR_DIR", BASE_DIR / "var"))
            password = load_or_create_secrets(var_dir / "secrets.json")["valkey_password"]
            redis = start_embedded_redis(password=password)
            env["REDIS_URL"] = redis.url
            print(f"jailnet: embedded Valkey (pid {redis.pid}) at {redis.display_url}", flush=True)
        honcho = subprocess.Popen(
            [sys.executable, "-m", "honcho", "start", "--procfile", str(args.procfile), "--app-root", str(BASE_DIR)],
            cwd=BASE_DIR,
            env=env,
        )
        url = f"http://{args.host}:{args.port}/"
        deadline = time.monotonic() + READY_TIMEOUT
        announced = False
        while honcho.poll() is None:
            if not announced and _listening(args.host, args.port):
                print(f"\njailnet is running: {url}  (API docs {url}api/docs/, admin {url}admin/; Ctrl-C stops)\n")
                announced = True
            elif not announced and time.monotonic() > deadline:
                print(f"jailnet: web did not start listening on {url} within {READY_TIMEOUT:.0f} s", file=sys.stderr)
                announced = True
            time.sleep(0.5)
        status = honcho.returncode
    except _Stop:
        stop_requested = True
        print("\njailnet: stopping web and worker ...", flush=True)
    finally:
        # A second Ctrl-C (or SIGTERM) while stopping must not abandon honcho half-way: its web and worker would
        # be left running. Stopping is bounded anyway (STOP_TIMEOUT, then SIGKILL).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if honcho is not None:
            honcho_status = stop_process(honcho, STOP_TIMEOUT)  # honcho stops web and worker
            # Stopped on request, honcho reports how its processes ended (signals), which is no failure.
            status = status if stop_requested else (status or honcho_status)
        if redis is not None:
            redis.stop()
            print(f"jailnet: embedded Valkey (pid {redis.pid}) stopped", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
