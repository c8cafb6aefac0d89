"""The deploy pipeline of one host (no database): connect -> stage -> check -> back up -> arm -> apply ->
confirm over a NEW connection -> disarm.

The host-side steps are ``programs/agent.sh``, staged with the bundle in ``<root>/deploys/<deploy id>``; this
module drives it over the SSH transport and turns what happened into one truthful :class:`HostResult`. A host
costs two SSH connections and one command on each: stage+check+backup+arm+apply (the staging script ``exec``s
the agent), then the commit over the new connection.

* ``deployed``: applied, confirmed over a new connection, committed;
* ``unchanged``: the host already had this bundle and the apply changed nothing;
* ``failed``: nothing was applied (refused host key, a check failed, the host was busy), with the reason;
* ``rolled_back``: applied, then restored (a failed apply at once; a management path cut by the change; the
  dead-man timer when the controller was gone) — never reported as success;
* ``unreachable``: no SSH connection could be made (nothing was sent).

Progress goes to a :class:`DeployReporter` (a job's output stream, a test's list); each host's work is
independent, so many run concurrently on one event loop.
"""

from __future__ import annotations

import asyncio
import enum
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Protocol

from executors.ssh import (
    HostKeyChangedError,
    HostKeyNotConfirmedError,
    SshError,
    SshSession,
    SshTarget,
    SshTransport,
)
from topology.render.bundle import Bundle

AGENT = files(__package__).joinpath("programs", "agent.sh").read_text(encoding="utf-8")
DEFAULT_CONFIRM_SECONDS = 120
CONFIRM_CONNECT_TIMEOUT = 5.0
STAGE_TIMEOUT = 60.0
STEP = "@@step "
CHANGED = "@@changed "
CURRENT = "@@current "
# agent.sh exit statuses
CHECK_FAILED, APPLY_ROLLED_BACK, ROLLBACK_FAILED, NOT_ARMED, APPLY_TIMED_OUT, BUSY = 2, 3, 4, 5, 6, 75


class Outcome(enum.StrEnum):
    """How a host's deploy ended."""

    DEPLOYED = "deployed"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"
    UNREACHABLE = "unreachable"


class DeployReporter(Protocol):
    """Where a host's progress goes: its steps and every line the host printed."""

    def step(self, host: str, step: str, detail: str = "") -> None:
        """A step started (``connect``, ``stage``, ``check``, ``backup``, ``arm``, ``apply``, ``confirm`` ...)."""
        ...

    def output(self, host: str, stream: str, line: str) -> None:
        """A line of output (``stdout``/``stderr``) of the host's side."""
        ...


class NullReporter:
    """Reports nowhere."""

    def step(self, host: str, step: str, detail: str = "") -> None:
        """Ignore."""

    def output(self, host: str, stream: str, line: str) -> None:
        """Ignore."""


@dataclass
class HostResult:
    """One host's outcome, why, what the apply changed, and how long each step took."""

    host: str
    outcome: Outcome
    reason: str = ""
    changes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"host": self.host, "outcome": str(self.outcome), "reason": self.reason, "changes": self.changes,
                "timings": self.timings}  # fmt: skip


@dataclass(frozen=True)
class HostDeploy:
    """What to deploy where: the bundle, the SSH target, jailnet's directory on the host, the timer."""

    bundle: Bundle
    target: SshTarget
    root: str  # /var/db/jailnet on FreeBSD; the lab host's own directory on lab hosts
    deploy_id: str
    confirm_seconds: int = DEFAULT_CONFIRM_SECONDS

    @property
    def directory(self) -> str:
        """Where this deploy lives on the host."""
        return f"{self.root}/deploys/{self.deploy_id}"


def _staged_argv(argv: tuple[str, ...], directory: str, index: dict[str, int]) -> str:
    words = []
    for word in argv:
        if word == "{apply}":
            word = f"{directory}/apply.sh"
        for path, n in index.items():
            word = word.replace(f"{{file:{path}}}", f"{directory}/files/{n}")
        words.append(word)
    return shlex.join(words)


def stage_script(deploy: HostDeploy, *, digest: str | None = None) -> str:
    """A POSIX sh script writing the deploy's directory: agent, apply program, files, manifest, checks, digest.

    Every content is one single-quoted word given to the shell's own ``printf`` (no process per file, no SFTP
    session). A directory that already holds this deploy is left alone (a retried task stages nothing twice).
    Its last line prints the digest of the bundle the host has now (``@@current``): seeing it means the
    directory is complete. ``digest`` is the bundle's digest when the caller has it already.
    """
    d = deploy.directory
    bundle = deploy.bundle
    index = {f.path: n for n, f in enumerate(bundle.files)}
    manifest = "".join(f"{n} {f.mode} {f.owner} {f.path}\n" for n, f in enumerate(bundle.files))
    checks = "set -e\n" + "".join(
        f"echo {shlex.quote('check: ' + c.title)}\n{_staged_argv(c.argv, d, index)}\n" for c in bundle.checks
    )
    q = shlex.quote
    lines = [
        "set -e",
        "umask 077",
        f"if [ ! -e {q(d + '/digest')} ]; then",
        f"mkdir -p {q(d + '/files')}",
        f"printf '%s' {q(AGENT)} >{q(d + '/agent.sh')}",
        f"printf '%s' {q(bundle.apply)} >{q(d + '/apply.sh')}",
        f"printf '%s' {q(manifest)} >{q(d + '/manifest')}",
        f"printf '%s' {q(checks)} >{q(d + '/checks.sh')}",
        *(f"printf '%s' {q(f.content)} >{q(f'{d}/files/{n}')}" for n, f in enumerate(bundle.files)),
        # the digest last: its presence says the directory is complete
        f"printf '%s\\n' {q(digest or bundle.digest)} >{q(d + '/digest.tmp')}",
        f"mv {q(d + '/digest.tmp')} {q(d + '/digest')}",
        "fi",
        f"printf '{CURRENT}%s\\n' \"$(cat {q(deploy.root + '/current')} 2>/dev/null || echo none)\"",
    ]
    return "\n".join(lines) + "\n"


def stage_and_apply_script(deploy: HostDeploy, *, digest: str | None = None) -> str:
    """:func:`stage_script`, then the agent's ``apply`` in the same shell process (``exec``): one channel and
    one round trip for stage, check, back up, arm and apply. A staging that fails stops before ``@@current``
    is printed, so the controller tells it from the agent's own exit statuses."""
    apply = shlex.join(_agent(deploy, "apply", str(deploy.confirm_seconds)))
    return stage_script(deploy, digest=digest) + f"exec {apply}\n"


def _agent(deploy: HostDeploy, command: str, *extra: str) -> list[str]:
    return ["sh", f"{deploy.directory}/agent.sh", command, deploy.root, deploy.deploy_id, *extra]


class _Run:
    """The state of one host's deploy while it runs."""

    def __init__(self, deploy: HostDeploy, reporter: DeployReporter) -> None:
        self.deploy = deploy
        self.reporter = reporter
        self.host = deploy.bundle.host
        self.changes: list[str] = []
        self.current = ""
        self.staged = False  # the host printed @@current: the deploy's directory is complete
        self.timings: dict[str, float] = {}
        self._clock = time.monotonic()
        self._step = ""

    def step(self, name: str, detail: str = "") -> None:
        now = time.monotonic()
        if self._step:
            self.timings[self._step] = round(self.timings.get(self._step, 0.0) + now - self._clock, 4)
        self._step, self._clock = name, now
        self.reporter.step(self.host, name, detail)

    def result(self, outcome: Outcome, reason: str = "") -> HostResult:
        self.step("")
        return HostResult(self.host, outcome, reason, self.changes, self.timings)

    async def stream(self, session: SshSession, argv: list[str], *, timeout: float, input: str | None = None) -> int:
        """Run ``argv``, reporting its lines and markers; its exit status."""
        command = session.stream(argv, timeout=timeout, input=input)
        async for stream, line in command:
            if line.startswith(STEP):
                name, _, detail = line[len(STEP) :].partition(" ")
                self.step(name, detail)
            elif line.startswith(CHANGED):
                self.changes.append(line[len(CHANGED) :])
            elif line.startswith(CURRENT):
                self.current = line[len(CURRENT) :].strip()
                self.staged = True
                continue
            self.reporter.output(self.host, stream, line)
        return command.exit_status


async def deploy_host(
    deploy: HostDeploy, *, transport: SshTransport, reporter: DeployReporter | None = None
) -> HostResult:
    """Deploy one host; never raises for what happens on the host (the outcome says it)."""
    run = _Run(deploy, reporter or NullReporter())
    run.step("connect")
    try:
        async with transport.connect(deploy.target) as session:
            return await _deploy_on(run, session, transport)
    except (HostKeyChangedError, HostKeyNotConfirmedError) as exc:
        return run.result(Outcome.FAILED, str(exc))
    except SshError as exc:
        if run._step == "connect":
            return run.result(Outcome.UNREACHABLE, str(exc))
        if run._step == "stage" and not run.staged:  # the agent was not started yet
            return run.result(Outcome.FAILED, f"staging failed, nothing was applied: {exc}")
        # The connection broke once the agent could run: the host rolls back by itself unless we confirm.
        return await _after_lost_connection(run, transport, str(exc))


async def _deploy_on(run: _Run, session: SshSession, transport: SshTransport) -> HostResult:
    deploy = run.deploy
    digest = deploy.bundle.digest
    run.step("stage")
    # Stage, check, back up, arm and apply: one command on the first connection (one channel, one round trip).
    script = stage_and_apply_script(deploy, digest=digest)
    status = await run.stream(session, ["sh", "-s"], input=script, timeout=STAGE_TIMEOUT + deploy.confirm_seconds + 60)
    if not run.staged:  # the staging stopped before its last line: the agent never ran
        return run.result(Outcome.FAILED, f"staging exited {status}: nothing was applied")
    already = run.current == digest
    if status == CHECK_FAILED:
        return run.result(Outcome.FAILED, "a check of the bundle failed on the host: nothing was applied")
    if status == BUSY:
        return run.result(Outcome.FAILED, "another deploy holds this host: nothing was applied")
    if status == APPLY_ROLLED_BACK:
        return run.result(Outcome.ROLLED_BACK, "the apply failed; the host was restored at once")
    if status == APPLY_TIMED_OUT:
        return run.result(Outcome.ROLLED_BACK, f"the apply outlasted the dead-man timer ({deploy.confirm_seconds} s): "
                          "the host stopped it and restored itself")  # fmt: skip
    if status == ROLLBACK_FAILED:
        return run.result(Outcome.FAILED, "the apply failed AND restoring the previous configuration failed: "
                          "the host needs an operator")  # fmt: skip
    if status != 0:
        return run.result(Outcome.FAILED, f"the deploy agent exited {status}")
    # Confirm over a NEW connection: pf keeps established states, so this session may survive a change that
    # blocks every new one.
    run.step("confirm")
    confirmed = await _commit(run, transport)
    if confirmed is None:
        reason = "no new SSH connection after the apply: the change cut the management path"
        status = await run.stream(session, _agent(deploy, "rollback"), timeout=deploy.confirm_seconds + 60.0)
        if status == 0:
            return run.result(Outcome.ROLLED_BACK, f"{reason}; rolled back at once")
        return run.result(Outcome.FAILED, f"{reason}; the rollback exited {status}")
    if confirmed != 0:
        return run.result(Outcome.ROLLED_BACK, "the dead-man timer fired before the change was confirmed")
    if already and not run.changes:
        return run.result(Outcome.UNCHANGED)
    return run.result(Outcome.DEPLOYED)


async def _commit(run: _Run, transport: SshTransport, *, attempts: int = 2) -> int | None:
    """``agent.sh commit`` over a new connection: its exit status, or None when no connection could be made."""
    for attempt in range(attempts):
        try:
            async with asyncio.timeout(CONFIRM_CONNECT_TIMEOUT * 2):
                async with transport.connect(run.deploy.target) as session:
                    return await run.stream(session, _agent(run.deploy, "commit"), timeout=30)
        except (SshError, TimeoutError):
            if attempt + 1 < attempts:
                await asyncio.sleep(0.5)
    return None


async def _after_lost_connection(run: _Run, transport: SshTransport, error: str) -> HostResult:
    """The connection broke once the agent could run: follow the deploy's state on the host over new
    connections until it settles (confirm it once it is applied), or the host's own timer has had its time.

    The agent outlives its session (it ignores SIGPIPE); one killed mid-apply or mid-rollback is covered by its
    dead-man timer, which restores the host, and the outcome says ``rolled_back``. Never ``deployed`` without a
    commit over a new connection, never ``failed`` while something may have been applied.
    """
    run.step("confirm", f"connection lost ({error})")
    deadline = time.monotonic() + run.deploy.confirm_seconds + 10
    status: str | None = None
    while True:
        status = await _status(run, transport)
        if status == "applied" and await _commit(run, transport) == 0:
            return run.result(Outcome.DEPLOYED, f"confirmed after the first connection broke ({error})")
        if status == "committed":
            return run.result(Outcome.DEPLOYED, f"confirmed after the first connection broke ({error})")
        if status == "rolled-back":
            return run.result(Outcome.ROLLED_BACK, f"the connection broke ({error}); the host rolled back by itself")
        if status == "rollback-failed":
            return run.result(Outcome.FAILED, f"the connection broke ({error}) and restoring the previous "
                              "configuration failed: the host needs an operator")  # fmt: skip
        if status == "failed":
            return run.result(Outcome.FAILED, f"the connection broke ({error}); the host refused the bundle: "
                              "nothing was applied")  # fmt: skip
        if time.monotonic() >= deadline:
            break
        await asyncio.sleep(1.0)
    if status == "absent":  # never armed in all that time: the agent stopped before it could apply anything
        return run.result(Outcome.FAILED, f"the connection broke ({error}) before the host armed: nothing was applied")
    if status is None:
        return run.result(Outcome.UNREACHABLE, f"the connection broke ({error}) and the host did not answer again")
    return run.result(Outcome.FAILED, f"the connection broke ({error}); the deploy is {status} on the host "
                      "after its timer's time: it needs an operator")  # fmt: skip


async def _status(run: _Run, transport: SshTransport) -> str | None:
    try:
        async with asyncio.timeout(CONFIRM_CONNECT_TIMEOUT):
            async with transport.connect(run.deploy.target) as session:
                result = await session.run(_agent(run.deploy, "status"), timeout=10)
                return result.stdout.strip()
    except (SshError, TimeoutError):
        return None


async def deploy_hosts(
    deploys: list[HostDeploy],
    *,
    transport_for: Callable[[HostDeploy], SshTransport],
    reporter: DeployReporter | None = None,
    concurrency: int = 64,
) -> list[HostResult]:
    """Deploy many hosts at once (bounded); results in the order of ``deploys``."""
    limit = asyncio.Semaphore(concurrency)

    async def one(deploy: HostDeploy) -> HostResult:
        async with limit:
            return await deploy_host(deploy, transport=transport_for(deploy), reporter=reporter)

    return list(await asyncio.gather(*(one(d) for d in deploys)))
