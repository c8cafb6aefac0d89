"""Bring a design's lab up, check it, tear it down. No database here (see ``executors.lab.services``).

``lab_up``: namespaces and cabling (locally, as root) -> one ``sshd`` per host namespace, reachable only from
the lab's management namespace -> each host's files and commands pushed over SSH with the product's own
transport -> the internet stub. ``lab_check``: the expected matrix, measured cell by cell with ``ping`` and
TCP connects run inside the namespaces (bounded: one packet, one second each). ``lab_down``: stops every
process living in a lab namespace, deletes the namespaces (their links, bridges, vxlans and nftables tables
go with them) and the state directory; it finds leftovers by the lab id prefix, so it works after a failed or
killed ``up`` too, and running it twice is harmless.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import json
import os
import posixpath
import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncssh

from executors.ssh import FileHostKeyStore, SshError, SshSession, SshTarget, SshTransport
from topology import snapshot as s
from topology.render.lab import Cell, LabCommand, LabFile, LabPlan, build_network, expected_matrix, lab_id, render_lab

from . import netns

T = TypeVar("T")
SSHD = "/usr/sbin/sshd"
HOST_CONCURRENCY = 8
LOCAL_CONCURRENCY = 4
# Probes in flight: a probe of a cell expected to be blocked mostly waits out its timeout, and on large designs
# most cells are (400 sampled cells of 50 hosts: 14.6 s at 32, 8.1 s at 64, 5.7 s at 128, none mismatched).
PROBE_CONCURRENCY = 128
PROBE_TIMEOUT = 1  # seconds per ping / TCP connect
SSHD_READY_TIMEOUT = 10.0
# Keys and algorithms of the lab's own SSH: OpenSSH does Ed25519 and Curve25519 in its portable C code, but
# ECDSA P-256 and ECDH P-256 in OpenSSL's assembly, and AES-GCM with AES-NI; a lab host is one connection's
# key exchange and signatures, so this is most of what its sshd spends per connection.
KEY_TYPE = "ecdsa-sha2-nistp256"
HOST_KEY = "ssh_host_ecdsa_key"
BATCH_TOOLS = ("ip", "bridge")  # iproute2 programs that read many commands from one ``-batch -`` input
# Words iproute2's batch parser reads exactly as argv would: no blanks, quotes, comment signs or backslashes
# (and no '@', so that no batch line can be the here-document's end marker).
_BATCH_WORD = re.compile(r"[A-Za-z0-9_.:/%+=,-]+")


class LabError(RuntimeError):
    """The lab could not do what was asked; the message says why."""


class LabNotPermitted(LabError):
    """The lab needs root (network namespaces, veth pairs, sshd)."""


def require_root() -> None:
    """Raise :class:`LabNotPermitted` unless this process is root."""
    if os.geteuid() != 0:
        raise LabNotPermitted(
            "the lab needs root: it creates network namespaces, veth pairs, bridges and sshd processes "
            "(run as root, e.g. sudo python manage.py lab ...)"
        )


def missing_tools(plan: LabPlan | None = None) -> list[str]:
    """Programs the lab needs that this machine lacks (Debian packages in brackets)."""
    needed = {"ip": "iproute2", "nsenter": "util-linux", SSHD: "openssh-server", "ping": "iputils-ping",
              "python3": "python3"}  # fmt: skip
    if plan is not None:
        argv0 = {c.argv[0] for h in plan.hosts for c in h.commands}
        argv0 |= {c.argv[2] for h in plan.hosts for c in h.commands if c.argv[0] == "nsenter" and len(c.argv) > 2}
        if "nft" in argv0:
            needed["nft"] = "nftables"
        if "dnsmasq" in argv0:
            needed["dnsmasq"] = "dnsmasq-base"
        if "busybox" in argv0:
            needed["busybox"] = "busybox"
    return [f"{tool} ({package})" for tool, package in needed.items() if shutil.which(tool) is None]


def run_coroutine(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from synchronous code, in a thread of its own.

    The caller may itself be inside a running event loop (an ASGI view, a test of async code), where
    ``asyncio.run`` is refused; a fresh thread always has none.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="lab-loop") as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


# --- state ------------------------------------------------------------------------------------------------


def _state_file(state_dir: Path) -> Path:
    return state_dir / "lab.json"


def read_state(state_dir: Path) -> dict[str, Any]:
    """The lab's state file (empty when there is none)."""
    try:
        return json.loads(_state_file(state_dir).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _write_state(state_dir: Path, state: dict[str, Any]) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = state_dir / ".lab.json.tmp"
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True))
    os.replace(tmp, _state_file(state_dir))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# --- up ---------------------------------------------------------------------------------------------------


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


def _sshd_config(state_dir: Path, host_dir: Path, address: str) -> str:
    return "\n".join(
        [
            "# sshd of one jailnet lab host: management address only, the lab's key only",
            f"ListenAddress {address}:22",
            f"HostKey {host_dir}/{HOST_KEY}",
            "PidFile none",
            f"AuthorizedKeysFile {state_dir}/lab_key.pub",
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "KexAlgorithms ecdh-sha2-nistp256",
            "Ciphers aes128-gcm@openssh.com",
            f"HostKeyAlgorithms {KEY_TYPE}",
            f"PubkeyAcceptedAlgorithms {KEY_TYPE}",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",
            "UseDNS no",
            "PrintMotd no",
            "PrintLastLog no",
            "MaxSessions 100",
            "MaxStartups 100:30:200",
            # bash sources ~/.bashrc for commands run by sshd unless it is a nested shell; a user's heavy
            # .bashrc would otherwise cost every lab command a fraction of a second.
            "SetEnv SHLVL=1",
            "Subsystem sftp internal-sftp",
            "LogLevel ERROR",
            "",
        ]
    )


def _write_key(path: Path, key: asyncssh.SSHKey) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    key.write_private_key(str(path))
    path.chmod(0o600)
    key.write_public_key(str(path) + ".pub")


_LINK_KINDS: dict[str, bool] = {}


def link_kind_supported(kind: str) -> bool:
    """Whether this kernel can create links of ``kind`` (tried once in a scratch namespace)."""
    if kind not in _LINK_KINDS:
        scratch = f"jnprobe-{os.getpid()}"
        netns.run(["ip", "netns", "add", scratch], check=False)
        try:
            extra = ["link", "lo", "name", "probe0", "type", "vlan", "id", "2"] if kind == "vlan" else None
            argv = ["ip", "-n", scratch, "link", "add", *(extra or ["probe0", "type", kind])]
            _LINK_KINDS[kind] = netns.run(argv, check=False).returncode == 0
        finally:
            netns.run(["ip", "netns", "delete", scratch], check=False)
    return _LINK_KINDS[kind]


class Lab:
    """One design's lab: its plan, state directory and SSH access to its hosts."""

    def __init__(self, snapshot: s.DesignSnapshot, state_dir: Path) -> None:
        self.snapshot = snapshot
        self.state_dir = Path(state_dir)
        kinds = {i.kind for h in snapshot.hosts for i in h.interfaces}
        loopback = "dummy" if "loopback" not in kinds or link_kind_supported("dummy") else "ifb"
        vlan = "vlan" if "vlan" not in kinds or link_kind_supported("vlan") else "veth"
        self.network = build_network(snapshot)
        self.plan = render_lab(
            snapshot, state_dir=str(self.state_dir), loopback_kind=loopback, vlan_kind=vlan, network=self.network
        )
        self.host_keys = FileHostKeyStore(self.state_dir / "known_hosts.json")
        self.transport = SshTransport(
            host_keys=self.host_keys,
            max_connections=128,
            max_per_target=4,
            max_channels=64,  # the lab's sshd allows MaxSessions 100
        )

    def target_id(self, host: str) -> str:
        """The name ``host``'s key is pinned under."""
        return f"{self.snapshot.name}/{host}"

    def target(self, host: str) -> SshTarget:
        """How the lab reaches ``host``'s sshd: a socket opened in the management namespace."""
        address = str(self.network.mgmt_address[host].ip)
        mgmt = self.network.mgmt_netns
        return SshTarget(
            host=address,
            port=22,
            username="root",
            private_key=(self.state_dir / "lab_key").read_text(),
            target_id=self.target_id(host),
            sock_factory=lambda: netns.socket_in_netns(mgmt, (address, 22), timeout=2.0),
        )

    async def connect(self, host: str, *, ready_timeout: float = SSHD_READY_TIMEOUT) -> Any:
        """Open a session to ``host``, retrying while its sshd starts (until ``ready_timeout`` seconds).

        The first retries come quickly (an sshd is usually listening within milliseconds of its start), later
        ones back off, so that many hosts waited for together do not keep the machine busy with refusals.
        """
        deadline = time.monotonic() + ready_timeout
        delay = 0.01
        while True:
            try:
                cm = self.transport.connect(self.target(host))
                session = await cm.__aenter__()
                return cm, session
            except (SshError, OSError) as exc:
                if time.monotonic() > deadline or "host key" in str(exc):
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.2)


STEP_MARK = "@@jailnet-step"
RUN_MARK = "@@jailnet-run"
FILE_MARK = "@@jailnet-file"
BATCH_END = "@@jailnet-end"  # ends a batch's here-document; no batch line can be this (batch words hold no '@')
_BATCH_FAILED = re.compile(r"Command failed -:(\d+)")


def _batch_key(command: LabCommand) -> tuple[str, str | None] | None:
    """``(tool, namespace)`` when ``command`` may share an ``ip``/``bridge`` batch with its neighbours, else None.

    Only plain commands qualify: no failure allowed (a batch stops at its first failing line), no global option
    other than ``-n NAMESPACE`` (a batch has one set of options), and only words the batch parser reads as argv
    does. Anything else runs as a command of its own, exactly as written.
    """
    argv = command.argv
    if command.may_fail or not argv or argv[0] not in BATCH_TOOLS:
        return None
    netns, rest = None, argv[1:]
    if len(rest) > 2 and rest[0] == "-n":
        netns, rest = rest[1], rest[2:]
    if not rest or rest[0].startswith("-") or not all(_BATCH_WORD.fullmatch(word) for word in argv):
        return None
    return argv[0], netns


def command_groups(commands: Sequence[LabCommand]) -> list[tuple[int, int, tuple[str, str | None] | None]]:
    """Runs of ``commands`` executed together: ``(first index, end index, batch key)``, in order.

    Consecutive batchable commands of one tool and namespace form one run (one process instead of one each);
    every other command is a run of its own. Order is kept, so dependencies between commands are too.
    """
    groups: list[tuple[int, int, tuple[str, str | None] | None]] = []
    for index, command in enumerate(commands):
        key = _batch_key(command)
        if key is not None and groups and groups[-1][2] == key and groups[-1][1] == index:
            groups[-1] = (groups[-1][0], index + 1, key)
        else:
            groups.append((index, index + 1, key))
    return groups


def _file_lines(index: int, file: LabFile) -> list[str]:
    """Lines writing ``file`` atomically with the shell's own ``printf``: a temp file next to it, then ``mv``.

    The content is one quoted word (any text; ``printf '%s'`` writes it byte for byte), so writing a file costs
    no process but the ``mv`` (and a ``chmod`` only for modes with execute bits: without them the mode is set
    by the umask the file is created with).
    """
    directory, name = posixpath.split(file.path)
    tmp = posixpath.join(directory, f".{name}.jailnet-tmp")
    write = f"printf '%s' {shlex.quote(file.content)} >{shlex.quote(tmp)}"
    if file.mode & 0o111:
        write = f"{write} && chmod {file.mode:o} {shlex.quote(tmp)}"
    else:
        write = f"(umask {0o777 & ~file.mode:03o} && {write})"
    return [
        f"echo '{RUN_MARK} file {index}'",
        f"{write} && mv -f {shlex.quote(tmp)} {shlex.quote(file.path)} || {{ echo '{FILE_MARK} {index} '$?; exit 1; }}",
    ]


def command_script(commands: Sequence[LabCommand], files: Sequence[LabFile] = ()) -> str:
    """A POSIX sh script writing ``files``, then running ``commands`` in order.

    One script per host instead of one SSH channel per command (or an SFTP session for the files): a lab host
    gets dozens of commands and every channel costs an sshd session and a shell. Each file is written to a temp
    file and renamed into place (:func:`_file_lines`). A command on its own is the line ``shlex.join(argv)``,
    so no design value is ever shell syntax. A run of consecutive ``ip`` (or ``bridge``) commands in one
    namespace (see :func:`command_groups`) becomes one ``ip [-n NS] -batch -`` reading them from a quoted
    here-document: every fork and exec costs, and a host has dozens of such commands.

    Each run is announced with ``@@jailnet-run <first index>``; a failed one prints ``@@jailnet-step <first
    index> <status> <may_fail>`` (a failed batch line is located by iproute2's ``Command failed -:<line>``);
    a file that cannot be written prints ``@@jailnet-file <index> <status>``. The script stops at the first
    failure that may not fail.
    """
    lines = ["exec 2>&1"]  # one ordered stream: a failure's message sits between its two markers
    for index, file in enumerate(files):
        lines += _file_lines(index, file)
    for first, end, key in command_groups(commands):
        may_fail = int(commands[first].may_fail)
        stop = "" if commands[first].may_fail else " exit 1;"
        lines.append(f"echo '{RUN_MARK} {first}'")
        on_failure = f"|| {{ echo '{STEP_MARK} {first} '$?' {may_fail}';{stop} }}"
        if key is None or end - first == 1:
            lines.append(f"{shlex.join(commands[first].argv)} {on_failure}")
            continue
        tool, netns = key
        skip = 3 if netns else 1  # the tool and its -n option are the batch's own argv
        batch = shlex.join([tool, *(["-n", netns] if netns else []), "-batch", "-"])
        lines.append(f"{batch} <<'{BATCH_END}' {on_failure}")
        lines += [" ".join(commands[i].argv[skip:]) for i in range(first, end)]
        lines.append(BATCH_END)
    return "\n".join(lines) + "\n"


def script_failures(
    commands: Sequence[LabCommand], output: str, where: str, files: Sequence[LabFile] = ()
) -> tuple[list[str], str | None]:
    """(warnings, fatal error) from the output of :func:`command_script`."""
    warnings, fatal = [], None
    current: list[str] = []
    for line in output.splitlines():
        if line.startswith(RUN_MARK):
            current = []
        elif line.startswith(FILE_MARK):
            _, file_index, status = line.split()
            message = " ".join(current[-3:]).strip()
            fatal = f"{where}: writing {files[int(file_index)].path} failed ({status}): {message}".rstrip(": ")
        elif line.startswith(STEP_MARK):
            _, first, status, may_fail = line.split()
            index = int(first)
            failed_line = next((m for m in map(_BATCH_FAILED.fullmatch, current) if m), None)
            if failed_line is not None:  # a batch: the line that failed, and the message before it
                index += int(failed_line.group(1)) - 1
                current = current[: current.index(failed_line.group(0))]
            argv = " ".join(commands[index].argv)
            message = f"{where}: {argv} exited {status}: {' '.join(current[-3:]).strip()}".rstrip()
            if may_fail == "1":
                warnings.append(message)
            else:
                fatal = message
        else:
            current.append(line)
    return warnings, fatal


async def _push_host(lab: Lab, host_plan: Any, warnings: list[str]) -> int:
    cm, session = await lab.connect(host_plan.name)
    try:
        # The files and the commands in one script over one channel: no SFTP session (see command_script).
        script = command_script(host_plan.commands, host_plan.files)
        result = await session.run(["sh", "-s"], input=script, timeout=120)
        found, fatal = script_failures(host_plan.commands, result.stdout, host_plan.name, host_plan.files)
        warnings.extend(found)
        if fatal or not result.ok:
            raise LabError(fatal or f"{host_plan.name}: configuration script exited {result.exit_status}")
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
    conf.write_text(_sshd_config(lab.state_dir, host_dir, str(lab.network.mgmt_address[host].ip)))
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


def lab_up(snapshot: s.DesignSnapshot, state_dir: Path, *, keep_on_failure: bool = False) -> UpResult:
    """Bring the lab of ``snapshot`` up (tearing down any earlier one first). On failure, tear down and raise."""
    require_root()
    started = time.monotonic()
    lab = Lab(snapshot, state_dir)
    missing = missing_tools(lab.plan)
    if missing:
        raise LabError("missing programs: " + ", ".join(missing))
    planned = time.monotonic()
    lab_down(snapshot.name, state_dir)
    phases = {"plan": round(planned - started, 3), "earlier lab down": round(time.monotonic() - planned, 3)}
    state = {
        "design": snapshot.name,
        "lab_id": lab.plan.lab_id,
        "namespaces": list(lab.plan.namespaces),
        "pidfiles": [*lab.plan.pidfiles, *(f"{state_dir}/hosts/{h.name}/run/sshd.pid" for h in lab.plan.hosts)],
        "state": "starting",
        "started": _now(),
    }
    _write_state(lab.state_dir, state)  # first, so that teardown finds everything even if we die right now
    warnings: list[str] = []
    try:
        commands = _bring_up(lab, warnings, phases)
    except BaseException as exc:
        state.update(state="failed", error=str(exc))
        _write_state(lab.state_dir, state)
        if not keep_on_failure:
            lab_down(snapshot.name, state_dir)
        if isinstance(exc, LabError | SshError | netns.LocalCommandError):
            raise LabError(f"lab up of {snapshot.name} failed: {exc}") from exc
        raise
    state.update(state="up", up_at=_now())
    _write_state(lab.state_dir, state)
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


def _bring_up(lab: Lab, warnings: list[str], phases: dict[str, float]) -> int:
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
        clock = now

    _write_key(lab.state_dir / "lab_key", asyncssh.generate_private_key(KEY_TYPE))
    pins = {}
    for h in plan.hosts:
        host_key = asyncssh.generate_private_key(KEY_TYPE)
        _write_key(lab.state_dir / "hosts" / h.name / HOST_KEY, host_key)
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
                    return await _push_host(lab, h, warnings)

            return sum(await asyncio.gather(*(one(h) for h in plan.hosts)))

        pushed = run_coroutine(push_all)
        internet.result()
    phase("sshd + hosts over ssh")
    # The listener binds inside the guests' namespaces, which the hosts have just created.
    _run_local_script(plan.listener, "listener")
    phase("listener")
    return len(plan.fabric) + sum(len(c) for c in plan.cables) + len(plan.internet) + len(plan.listener) + pushed


# --- down -------------------------------------------------------------------------------------------------


@dataclass
class DownResult:
    """What ``lab_down`` removed."""

    lab_id: str
    namespaces: list[str]
    processes: int


def lab_down(design_name: str, state_dir: Path) -> DownResult:
    """Remove everything of the lab of ``design_name``; harmless when nothing is there."""
    require_root()
    state_dir = Path(state_dir)
    state = read_state(state_dir)
    lid = state.get("lab_id") or lab_id(design_name)
    prefix = f"{lid}-"
    names = sorted(set(netns.list_netns(prefix)) | {n for n in state.get("namespaces", []) if n.startswith(prefix)})
    inodes = {i for i in (netns.netns_inode(n) for n in names) if i is not None}
    pids = set(netns.pids_in_netns(inodes)) if inodes else set()  # no namespace: no process can live in one
    # Processes recorded by pid file, but only while they still live in one of the lab's namespaces: a pid
    # reused by an unrelated process is never touched.
    for pidfile in state.get("pidfiles", []):
        try:
            pid = int(Path(pidfile).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        if netns.pid_netns_inode(pid) in inodes:
            pids.add(pid)
    pids.discard(os.getpid())
    netns.stop_pids(sorted(pids))
    netns.delete_netns(names)
    if state_dir.exists():
        shutil.rmtree(state_dir, ignore_errors=True)
    return DownResult(lab_id=lid, namespaces=names, processes=len(pids))


def leftovers(design_name: str) -> dict[str, list[Any]]:
    """What of a lab still exists on this machine: namespaces and processes (empty lists when clean)."""
    prefix = f"{lab_id(design_name)}-"
    names = netns.list_netns(prefix)
    inodes = {i for i in (netns.netns_inode(n) for n in names) if i is not None}
    return {"namespaces": names, "processes": netns.pids_in_netns(inodes)}


def lab_status(design_name: str, state_dir: Path) -> dict[str, Any]:
    """The recorded state plus what is really there (namespaces present, sshd processes alive)."""
    state = read_state(Path(state_dir))
    found = leftovers(design_name)
    sshd_alive = 0
    for pidfile in state.get("pidfiles", []):
        if pidfile.endswith("sshd.pid"):
            try:
                pid = int(Path(pidfile).read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
            sshd_alive += netns.pid_netns_inode(pid) is not None
    expected = state.get("namespaces", [])
    return {
        "design": design_name,
        "lab_id": state.get("lab_id") or lab_id(design_name),
        "state": state.get("state", "down") if found["namespaces"] or state else "down",
        "namespaces_expected": len(expected),
        "namespaces_present": len(found["namespaces"]),
        "processes": len(found["processes"]),
        "sshd_alive": sshd_alive,
        "started": state.get("started"),
        "error": state.get("error"),
    }


# --- check ------------------------------------------------------------------------------------------------


@dataclass
class MeasuredCell:
    """An expected cell and what the lab measured."""

    cell: Cell
    address: str  # the address probed (a DHCP guest's address is learnt at check time)
    measured: bool
    detail: str

    @property
    def matches(self) -> bool:
        """Measured as expected."""
        return self.measured == self.cell.expected

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the API."""
        c = self.cell
        return {
            "source": c.source, "target": c.target, "address": self.address, "protocol": c.protocol,
            "port": c.port, "expected": c.expected, "measured": self.measured, "matches": self.matches,
            "reason": c.reason, "detail": self.detail,
        }  # fmt: skip


@dataclass
class CheckReport:
    """Expected vs measured, cell by cell."""

    design: str
    cells: list[MeasuredCell]
    seconds: float

    @property
    def total(self) -> int:
        """Number of cells."""
        return len(self.cells)

    @property
    def matched(self) -> int:
        """Cells measured as expected."""
        return sum(c.matches for c in self.cells)

    @property
    def mismatched(self) -> list[MeasuredCell]:
        """Cells measured otherwise than expected."""
        return [c for c in self.cells if not c.matches]

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the API."""
        return {
            "design": self.design,
            "total": self.total,
            "matched": self.matched,
            "mismatched": len(self.mismatched),
            "seconds": self.seconds,
            "cells": [c.as_dict() for c in self.cells],
        }

    def table(self, *, only_mismatches: bool = False) -> str:
        """A plain-text table for the CLI."""
        rows = [("", "source", "target", "probe", "expected", "measured")]
        for m in self.cells:
            if only_mismatches and m.matches:
                continue
            c = m.cell
            probe = f"{c.protocol} {m.address}" + (f":{c.port}" if c.port else "")
            mark = "ok" if m.matches else "MISMATCH"
            yes = {True: "reach", False: "no"}
            rows.append((mark, c.source, c.target, probe, yes[c.expected], yes[m.measured]))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
        lines.append(f"{self.matched}/{self.total} cells as expected, {len(self.mismatched)} mismatched")
        return "\n".join(lines)


def lab_check(
    snapshot: s.DesignSnapshot,
    state_dir: Path,
    *,
    sample: int | None = None,
    max_sources: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> CheckReport:
    """Measure the expected matrix of ``snapshot`` in its running lab.

    Large designs: ``max_sources`` probes from that many endpoints only (spread over the design), ``sample``
    keeps at most that many cells (spread over the matrix).
    """
    require_root()
    state = read_state(Path(state_dir))
    if state.get("state") != "up":
        raise LabError(f"the lab of {snapshot.name} is not up (state: {state.get('state', 'down')})")
    lab = Lab(snapshot, Path(state_dir))
    sources = None
    if max_sources and len(lab.network.endpoints) > max_sources:
        step = len(lab.network.endpoints) / max_sources
        sources = {lab.network.endpoints[int(i * step)].name for i in range(max_sources)}
    cells = expected_matrix(lab.network, sources=sources)
    if sample and len(cells) > sample:
        step = len(cells) / sample
        cells = [cells[int(i * step)] for i in range(sample)]
    if progress is not None:
        progress(f"measuring {len(cells)} cells of {snapshot.name} ({PROBE_CONCURRENCY} at a time)")
    started = time.monotonic()
    measured = run_coroutine(lambda: _measure(lab, cells))
    return CheckReport(snapshot.name, measured, round(time.monotonic() - started, 2))


async def _measure(lab: Lab, cells: list[Cell]) -> list[MeasuredCell]:
    endpoints = {e.name: e for e in lab.network.endpoints}
    # The hosts probes start from, and the hosts of DHCP guests (whose leased addresses are read first).
    sources = {host for c in cells if (host := endpoints[c.source].host)}
    hosts_needed = sorted(sources | {host for e in endpoints.values() if e.dhcp_ifaces and (host := e.host)})
    sessions: dict[str, SshSession] = {}
    managers = []
    try:
        # Concurrently (the transport bounds how many at once); every connection opened is closed below.
        opened = await asyncio.gather(*(lab.connect(h, ready_timeout=3) for h in hosts_needed), return_exceptions=True)
        for host, item in zip(hosts_needed, opened, strict=True):
            if not isinstance(item, BaseException):
                managers.append(item[0])
                sessions[host] = item[1]
        failed = next((item for item in opened if isinstance(item, BaseException)), None)
        if failed is not None:
            raise failed
        actual = await _learn_dhcp_addresses(lab, sessions)
        limit = asyncio.Semaphore(PROBE_CONCURRENCY)

        async def probe(cell: Cell) -> MeasuredCell:
            source = endpoints[cell.source]
            address = actual.get((cell.target, cell.address), cell.address)
            prefix: list[str] = []
            if source.kind in ("vnet-jail", "vm", "internet"):
                prefix = ["nsenter", f"--net=/run/netns/{source.netns}"]
            if cell.protocol == "icmp":
                argv = [*prefix, "ping", "-n", "-q", "-c", "1", "-W", str(PROBE_TIMEOUT)]
                argv += ["-I", str(source.source)] if source.source else []
                argv.append(address)
            else:
                helper = f"{lab.state_dir}/helper.py"  # one copy for the lab (namespaces share the filesystem)
                argv = [*prefix, "python3", "-I", "-S", helper, "connect", "--timeout", str(PROBE_TIMEOUT)]
                argv += ["--source", str(source.source)] if source.source else []
                argv += [address, str(cell.port)]
            async with limit:
                if source.kind == "internet":
                    status, out, err = await netns.arun(argv, timeout=PROBE_TIMEOUT + 4)
                else:
                    result = await sessions[source.host or ""].run(argv, timeout=PROBE_TIMEOUT + 4)
                    status, out, err = result.exit_status, result.stdout, result.stderr
            detail = (out if status == 0 else err or out).strip().splitlines()
            return MeasuredCell(cell, address, status == 0, detail[-1] if detail else f"exit {status}")

        return list(await asyncio.gather(*(probe(c) for c in cells)))
    finally:
        for cm in managers:
            await cm.__aexit__(None, None, None)


async def _learn_dhcp_addresses(lab: Lab, sessions: dict[str, SshSession]) -> dict[tuple[str, str], str]:
    """Addresses DHCP guests really got: (endpoint, expected address) -> address read from the namespace."""
    found: dict[tuple[str, str], str] = {}
    for e in lab.network.endpoints:
        if not e.dhcp_ifaces or e.host not in sessions:
            continue
        for ifname in e.dhcp_ifaces:
            result = await sessions[e.host].run(["ip", "-n", e.netns, "-4", "-o", "addr", "show", "dev", ifname])
            words = result.stdout.split()
            if "inet" in words:
                address = words[words.index("inet") + 1].split("/")[0]
                for expected in e.addresses:
                    found[(e.name, str(expected))] = address
    return found
