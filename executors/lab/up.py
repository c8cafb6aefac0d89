"""Bring a design's lab up: namespaces and cabling (locally, as root) -> one ``sshd`` per host namespace -> each
host's files and commands pushed over SSH with the product's own transport -> the internet stub."""

from __future__ import annotations

import asyncio
import concurrent.futures
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh

from executors.ssh import SshError
from topology import snapshot as s
from topology.render.lab import LabCommand

from . import netns
from .common import (
    SSHD,
    LabError,
    NoProgress,
    Progress,
    missing_tools,
    now_iso,
    require_root,
    run_coroutine,
    write_state,
)
from .down import lab_down
from .hosts import HOST_KEY, KEY_TYPE, Lab, sshd_config, write_key
from .script import RUN_MARK, command_groups, command_script, script_failures, script_log_reader

HOST_CONCURRENCY = 8
LOCAL_CONCURRENCY = 4


@dataclass
class UpResult:
    """What ``lab_up`` did."""

    lab_id: str
    hosts: int
    namespaces: int
    commands: int
    seconds: float
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)  # wall seconds per phase of the bring-up


def host_progress_total(host_plan: Any) -> int:
    """How many steps of a host's configuration script its progress counts: files, then runs of commands."""
    return len(host_plan.files) + len(command_groups(host_plan.commands))


async def _push_host(lab: Lab, host_plan: Any, warnings: list[str], progress: Progress) -> int:
    """Configure one host over SSH; its output goes to ``progress`` line by line, with the commands done so far."""
    name = host_plan.name
    total = host_progress_total(host_plan)
    progress.step(name, state="running", done=0, total=total, message="connecting")
    cm, session = await lab.connect(name)
    try:
        # The files and the commands in one script over one channel: no SFTP session (see command_script).
        script = command_script(host_plan.commands, host_plan.files)
        command = session.stream(["sh", "-s"], input=script, timeout=120)
        lines: list[str] = []
        done = 0
        readable = script_log_reader(host_plan.commands, host_plan.files)
        async for _stream, line in command:  # the script sends stderr to stdout (exec 2>&1): one ordered stream
            lines.append(line)
            progress.write(readable(line) + "\n", host=name)
            if line.startswith(RUN_MARK):
                done += 1
                progress.step(name, done=min(done, total), message="configuring")
                progress.check_cancelled()
        found, fatal = script_failures(host_plan.commands, "\n".join(lines), name, host_plan.files)
        warnings.extend(found)
        if fatal or command.exit_status != 0:
            message = fatal or f"{name}: configuration script exited {command.exit_status}"
            progress.step(name, state="failed", message=message)
            raise LabError(message)
        progress.step(name, state="succeeded", done=total, message="configured")
        return len(host_plan.commands)
    finally:
        await cm.__aexit__(None, None, None)


def _run_local_script(commands: Sequence[LabCommand], where: str) -> None:
    if not commands:
        return
    done = subprocess.run(["sh", "-s"], input=command_script(commands), capture_output=True, text=True, timeout=300)
    _warnings, fatal = script_failures(commands, done.stdout, where)
    if fatal or done.returncode != 0:
        raise LabError(fatal or f"{where}: script exited {done.returncode}: {done.stderr.strip()[-300:]}")


def _start_sshd(lab: Lab, host: str) -> int:
    host_dir = lab.state_dir / "hosts" / host
    conf = host_dir / "sshd_config"
    conf.write_text(sshd_config(lab.state_dir, host_dir, str(lab.network.mgmt_address[host].ip)))
    log = open(host_dir / "run" / "sshd.log", "ab")  # noqa: SIM115 - handed to the child
    # -r: each connection is served by a fork of this sshd instead of a fresh exec of the binary (loading it
    # and its libraries costs more CPU than a lab host's whole key exchange); a SIGHUP still re-executes it.
    try:
        process = subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{lab.network.host_netns[host]}", SSHD, "-D", "-r", "-e", "-f", str(conf),
             "-h", str(host_dir / HOST_KEY)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
    finally:
        log.close()
    (host_dir / "run" / "sshd.pid").write_text(f"{process.pid}\n")
    return process.pid


def lab_up(
    snapshot: s.DesignSnapshot, state_dir: Path, *, keep_on_failure: bool = False, progress: Progress | None = None
) -> UpResult:
    """Bring the lab of ``snapshot`` up (tearing down any earlier one first). On failure or when cancelled
    (``progress.check_cancelled``), tear down and raise: nothing of a lab that did not come up is left."""
    require_root()
    progress = progress or NoProgress()
    started = time.monotonic()
    lab = Lab(snapshot, state_dir)
    missing = missing_tools(lab.plan)
    if missing:
        raise LabError("missing programs: " + ", ".join(missing))
    for h in lab.plan.hosts:
        progress.step(h.name, state="pending", done=0, total=host_progress_total(h))
    planned = time.monotonic()
    progress.line(f"lab {snapshot.name}: {len(lab.plan.hosts)} hosts, {len(lab.plan.namespaces)} namespaces")
    lab_down(snapshot.name, state_dir, progress=progress)
    phases = {"plan": round(planned - started, 3), "earlier lab down": round(time.monotonic() - planned, 3)}
    state = {
        "design": snapshot.name,
        "lab_id": lab.plan.lab_id,
        "namespaces": list(lab.plan.namespaces),
        "pidfiles": [*lab.plan.pidfiles, *(f"{state_dir}/hosts/{h.name}/run/sshd.pid" for h in lab.plan.hosts)],
        "state": "starting",
        "started": now_iso(),
    }
    write_state(lab.state_dir, state)  # first, so that teardown finds everything even if we die right now
    warnings: list[str] = []
    try:
        commands = _bring_up(lab, warnings, phases, progress)
    except BaseException as exc:
        state.update(state="failed", error=str(exc) or type(exc).__name__)
        write_state(lab.state_dir, state)
        progress.line(f"lab up stopped: {exc or type(exc).__name__}; tearing down what was started")
        if not keep_on_failure:
            lab_down(snapshot.name, state_dir, progress=progress)
        if isinstance(exc, LabError | SshError | netns.LocalCommandError):
            raise LabError(f"lab up of {snapshot.name} failed: {exc}") from exc
        raise
    state.update(state="up", up_at=now_iso())
    write_state(lab.state_dir, state)
    for warning in warnings:
        progress.line(f"warning: {warning}")
    progress.line(f"lab {snapshot.name} up in {time.monotonic() - started:.2f}s")
    return UpResult(
        lab_id=lab.plan.lab_id,
        hosts=len(lab.plan.hosts),
        namespaces=len(lab.plan.namespaces),
        commands=commands,
        seconds=round(time.monotonic() - started, 2),
        warnings=warnings,
        notes=list(lab.plan.notes),
        phases=phases,
    )


def _bring_up(lab: Lab, warnings: list[str], phases: dict[str, float], progress: Progress) -> int:
    """Keys, fabric, sshds, internet stub and the hosts' configuration; ``phases`` gets each phase's seconds.

    Work that does not depend on each other overlaps: every sshd is started before any is waited for, the
    hosts are configured concurrently (bounded), and the internet stub comes up locally meanwhile.
    """
    plan = lab.plan
    clock = time.monotonic()

    def phase(name: str) -> None:
        nonlocal clock
        now = time.monotonic()
        phases[name] = round(now - clock, 3)
        progress.line(f"{name}: {phases[name]:.3f}s")
        progress.check_cancelled()
        clock = now

    write_key(lab.state_dir / "lab_key", asyncssh.generate_private_key(KEY_TYPE))
    pins = {}
    for h in plan.hosts:
        host_key = asyncssh.generate_private_key(KEY_TYPE)
        write_key(lab.state_dir / "hosts" / h.name / HOST_KEY, host_key)
        pins[lab.target_id(h.name)] = host_key.export_public_key("openssh").decode().strip()
    # The lab made its hosts' keys, so it pins them before the first contact: no key is ever taken on trust.
    lab.host_keys.put_many(pins)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation directory
    phase("keys")
    _run_local_script(plan.fabric, "fabric")
    phase("fabric")
    # Each host's end of the management cable is independent of the others': a few shells at once use both
    # cores of a small machine; one shell per host would cost more than it saves.
    chunks = [[c for cables in plan.cables[i::LOCAL_CONCURRENCY] for c in cables] for i in range(LOCAL_CONCURRENCY)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=LOCAL_CONCURRENCY) as pool:
        for future in [pool.submit(_run_local_script, chunk, "cabling") for chunk in chunks if chunk]:
            future.result()
    phase("cables")
    for f in (*plan.internet_files, *plan.listener_files):
        Path(f.path).parent.mkdir(parents=True, exist_ok=True)
        Path(f.path).write_text(f.content)
        Path(f.path).chmod(f.mode)
    with concurrent.futures.ThreadPoolExecutor(max_workers=LOCAL_CONCURRENCY, thread_name_prefix="lab-local") as pool:
        # Locally, meanwhile: the internet stub (it needs nothing of the hosts' configuration) and every sshd, a
        # few at a time (Popen returns once its child has exec'd). Each host is pushed as soon as its sshd is.
        internet = pool.submit(_run_local_script, plan.internet, "internet stub")
        sshd = {h.name: pool.submit(_start_sshd, lab, h.name) for h in plan.hosts}

        async def push_all() -> int:
            limit = asyncio.Semaphore(HOST_CONCURRENCY)

            async def one(h: Any) -> int:
                await asyncio.wrap_future(sshd[h.name])  # started (a failure to start is raised here)
                async with limit:
                    progress.check_cancelled()
                    return await _push_host(lab, h, warnings, progress)

            return sum(await asyncio.gather(*(one(h) for h in plan.hosts)))

        pushed = run_coroutine(push_all)
        internet.result()
    phase("sshd + hosts over ssh")
    # The listener binds inside the guests' namespaces, which the hosts have just created.
    _run_local_script(plan.listener, "listener")
    phase("listener")
    return len(plan.fabric) + sum(len(c) for c in plan.cables) + len(plan.internet) + len(plan.listener) + pushed
