"""The SSH transport against a real sshd in a lab host namespace."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import asyncssh
import pytest

from executors.lab.lifecycle import HOST_KEY, KEY_TYPE, Lab, run_coroutine
from executors.ssh import FileHostKeyStore, HostKeyChangedError, SshTimeout, SshTransport

from .documents import S7
from .support import needs_lab, snapshot_of

pytestmark = needs_lab

DOC = S7.replace("name: lab-s07-iocage", "name: lab-transport")


@pytest.fixture(scope="module")
def lab(bring_up) -> Lab:  # type: ignore[no-untyped-def]
    snapshot, state_dir = bring_up(snapshot_of(DOC))
    return Lab(snapshot, state_dir)


def test_commands_are_argv_and_output_streams_with_exit_status(lab: Lab):
    async def go():  # type: ignore[no-untyped-def]
        async with lab.transport.connect(lab.target("jailhost")) as session:
            echoed = await session.run(["echo", "a b; rm -rf /nonexistent", "$HOME"], check=True)
            stream = session.stream(["sh", "-c", "echo out1; echo err1 >&2; echo out2; exit 3"])
            lines = [item async for item in stream]
            return echoed.stdout, lines, stream.exit_status

    echoed, lines, status = run_coroutine(lambda: go())
    assert echoed == "a b; rm -rf /nonexistent $HOME"  # one quoted word each, nothing interpreted
    assert [x for x in lines if x[0] == "stdout"] == [("stdout", "out1"), ("stdout", "out2")]
    assert ("stderr", "err1") in lines
    assert status == 3


def test_upload_is_atomic_and_keeps_a_backup(lab: Lab):
    path = f"{lab.state_dir}/hosts/jailhost/uploaded.conf"

    async def go():  # type: ignore[no-untyped-def]
        async with lab.transport.connect(lab.target("jailhost")) as session:
            first = await session.upload(path, b"one\n")
            second = await session.upload(path, b"two\n", mode=0o600)
            return first, second

    first, second = run_coroutine(lambda: go())
    assert first.backup_path is None
    assert Path(path).read_text() == "two\n" and Path(second.backup_path or "").read_text() == "one\n"
    assert oct(Path(path).stat().st_mode & 0o777) == "0o600"
    assert not [p for p in Path(path).parent.iterdir() if ".jailnet-" in p.name and "backup" not in p.name]


def test_commands_time_out(lab: Lab):
    async def go():  # type: ignore[no-untyped-def]
        async with lab.transport.connect(lab.target("jailhost")) as session:
            await session.run(["sleep", "5"], timeout=0.3)

    with pytest.raises(SshTimeout):
        run_coroutine(lambda: go())


def test_connections_per_target_are_bounded(lab: Lab):
    transport = SshTransport(host_keys=FileHostKeyStore(lab.state_dir / "known_hosts.json"), max_per_target=2)
    open_now = peak = 0

    async def one():  # type: ignore[no-untyped-def]
        nonlocal open_now, peak
        async with transport.connect(lab.target("jailhost")) as session:
            open_now += 1
            peak = max(peak, open_now)
            await session.run(["sleep", "0.2"])
            open_now -= 1

    async def go():  # type: ignore[no-untyped-def]
        await asyncio.gather(*(one() for _ in range(5)))

    run_coroutine(lambda: go())
    assert peak == 2


def test_a_changed_host_key_is_refused(lab: Lab):
    async def connect():  # type: ignore[no-untyped-def]
        async with lab.transport.connect(lab.target("jailhost")) as session:
            await session.run(["true"], check=True)

    run_coroutine(lambda: connect())  # pinned by now
    key_path = lab.state_dir / "hosts" / "jailhost" / HOST_KEY
    key_path.unlink()
    key_path.with_name(key_path.name + ".pub").unlink()
    key = asyncssh.generate_private_key(KEY_TYPE)
    key.write_private_key(str(key_path))
    key_path.chmod(0o600)
    sshd_pid = int((lab.state_dir / "hosts" / "jailhost" / "run" / "sshd.pid").read_text())
    os.kill(sshd_pid, signal.SIGHUP)  # sshd re-executes itself and loads the new host key
    with pytest.raises(HostKeyChangedError, match="does not match the pinned key"):
        for _ in range(50):  # until the re-executed sshd listens again
            try:
                run_coroutine(lambda: connect())
            except HostKeyChangedError:
                raise
            except Exception:
                time.sleep(0.05)
