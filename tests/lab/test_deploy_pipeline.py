"""The deploy pipeline against real lab hosts (sshd in namespaces): converge, unchanged, a cut management path
rolled back, the dead-man timer, failed checks and applies, a refused host key, an unreachable host."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from executors.deploy.pipeline import HostDeploy, HostResult, Outcome, deploy_host, deploy_hosts, stage_script
from executors.lab import netns
from executors.lab.lifecycle import Lab, lab_check, run_coroutine
from executors.ssh import MemoryHostKeyStore, SshTarget, SshTransport
from topology.render.bundle import Bundle, BundleFile
from topology.render.lab import lab_id
from topology.render.lab.bundle import lab_bundle

from .documents import S10
from .support import needs_lab, snapshot_of

pytestmark = needs_lab

DOC = S10.replace("name: lab-s10-vxlan", "name: lab-deploy")
HOSTS = ("gateway", "jailhost-a", "jailhost-b")


@pytest.fixture(scope="module")
def lab(bring_up) -> Lab:  # type: ignore[no-untyped-def]
    snapshot, state_dir = bring_up(snapshot_of(DOC))
    return Lab(snapshot, state_dir)


_counter = iter(range(1_000_000))


def _deploy(lab: Lab, host: str, bundle: Bundle | None = None, *, seconds: int = 30) -> HostDeploy:
    plan = next(h for h in lab.plan.hosts if h.name == host)
    return HostDeploy(
        bundle=bundle or lab_bundle(plan),
        target=lab.target(host),
        root=f"{lab.state_dir}/hosts/{host}/jailnet",
        deploy_id=f"t{time.time_ns()}-{next(_counter)}",
        confirm_seconds=seconds,
    )


def _run_all(lab: Lab, deploys: list[HostDeploy]) -> dict[str, HostResult]:
    results = run_coroutine(lambda: deploy_hosts(deploys, transport_for=lambda _d: lab.transport))
    return {r.host: r for r in results}


def _with_file(bundle: Bundle, suffix: str, change) -> Bundle:  # type: ignore[no-untyped-def]
    files = tuple(
        dataclasses.replace(f, content=change(f.content)) if f.path.endswith(suffix) else f for f in bundle.files
    )
    return dataclasses.replace(bundle, files=files)


def _hashes(paths: list[str]) -> dict[str, str]:
    return {p: hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths}


def _ssh_answers(lab: Lab, host: str) -> bool:
    async def go() -> bool:
        async with lab.transport.connect(lab.target(host)) as session:
            return (await session.run(["true"], timeout=5)).ok

    try:
        return run_coroutine(go)
    except Exception:
        return False


def test_s10_deploys_to_every_host_the_lab_checks_clean_and_a_second_deploy_is_unchanged(lab: Lab):
    first = _run_all(lab, [_deploy(lab, h) for h in HOSTS])
    assert {h: r.outcome for h, r in first.items()} == dict.fromkeys(HOSTS, Outcome.DEPLOYED), first
    report = lab_check(lab.snapshot, lab.state_dir)
    assert report.mismatched == [], report.table(only_mismatches=True)

    second = _run_all(lab, [_deploy(lab, h) for h in HOSTS])
    assert {h: (r.outcome, r.changes) for h, r in second.items()} == dict.fromkeys(HOSTS, (Outcome.UNCHANGED, []))
    # disarming ends the dead-man timer with its sleep: nothing of the deploys is left running on the hosts
    deadline = time.monotonic() + 5
    while (left := _timer_processes(lab)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert left == [], left


def _timer_processes(lab: Lab) -> list[str]:
    """Command lines of dead-man timers (the agent's ``timer`` and its ``sleep``) in this lab's namespaces."""
    inodes = {i for i in (netns.netns_inode(n) for n in netns.list_netns(f"{lab_id(lab.snapshot.name)}-")) if i}
    found = []
    for pid in netns.pids_in_netns(inodes):
        with contextlib.suppress(OSError):
            argv = [a.decode() for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a]
            if argv[:1] == ["sleep"] or "timer" in argv[2:3]:
                found.append(" ".join(argv))
    return found


def test_the_apply_converges_doing_only_what_differs(lab: Lab):
    _run_all(lab, [_deploy(lab, "jailhost-a")])
    ns = lab.network.host_netns["jailhost-a"]
    netns.run(["ip", "-n", ns, "link", "set", "tap0", "nomaster"])  # a bridge member lost
    netns.run(["ip", "-n", ns, "addr", "del", "10.0.111.12/32", "dev", "switch111"])  # an address lost
    netns.run(["ip", "-n", ns, "link", "set", "vxlan222", "mtu", "1400"])  # an MTU changed by hand
    result = _run_all(lab, [_deploy(lab, "jailhost-a")])["jailhost-a"]
    assert result.outcome == Outcome.DEPLOYED
    assert result.changes == [
        "link vxlan222 mtu 1400 -> 1450",
        "address 10.0.111.12/32 on switch111",
        "link tap0 added to switch111",
    ]
    report = lab_check(lab.snapshot, lab.state_dir)
    assert report.mismatched == [], report.table(only_mismatches=True)


def test_a_change_that_blocks_new_ssh_connections_is_rolled_back_and_the_host_answers_again(lab: Lab):
    plan = next(h for h in lab.plan.hosts if h.name == "gateway")
    nft_path = next(f.path for f in plan.files if f.path.endswith("nftables.nft"))
    _run_all(lab, [_deploy(lab, "gateway")])
    before = _hashes([nft_path])
    blocking = _with_file(
        lab_bundle(plan),
        "nftables.nft",
        lambda text: text.replace('iifname "mgmt0" accept', 'iifname "mgmt0" tcp dport 22 ct state new drop'),
    )
    started = time.monotonic()
    results = _run_all(lab, [_deploy(lab, "gateway", blocking, seconds=5), _deploy(lab, "jailhost-a")])
    elapsed = time.monotonic() - started
    gateway = results["gateway"]
    assert gateway.outcome == Outcome.ROLLED_BACK, gateway
    assert "cut the management path" in gateway.reason
    assert results["jailhost-a"].outcome in (Outcome.DEPLOYED, Outcome.UNCHANGED)
    assert elapsed < 5 + 10
    assert _ssh_answers(lab, "gateway")
    assert _hashes([nft_path]) == before  # the old rules are back, file and live table
    live = subprocess.run(
        ["ip", "netns", "exec", lab.network.host_netns["gateway"], "nft", "list", "table", "ip", "jailnet_lab"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "dport 22" not in live and 'iifname "mgmt0" accept' in live


def test_the_dead_man_timer_rolls_back_a_host_whose_controller_went_away(lab: Lab):
    plan = next(h for h in lab.plan.hosts if h.name == "jailhost-b")
    deploy = _deploy(lab, "jailhost-b", seconds=2)
    # an extra managed file that did not exist: the rollback must remove it again
    extra = f"{lab.state_dir}/hosts/jailhost-b/extra.conf"
    bundle = dataclasses.replace(
        deploy.bundle, files=(*deploy.bundle.files, BundleFile(extra, "0644", "root:root", "new\n"))
    )
    deploy = dataclasses.replace(deploy, bundle=bundle)
    _run_all(lab, [_deploy(lab, "jailhost-b")])
    ns = lab.network.host_netns["jailhost-b"]
    netns.run(["ip", "-n", ns, "link", "del", "vxlan222"])  # the apply will create it again, the undo remove it

    async def apply_and_vanish() -> str:
        async with lab.transport.connect(deploy.target) as session:
            await session.run(["sh", "-s"], input=stage_script(deploy), timeout=30, check=True)
            result = await session.run(
                ["sh", f"{deploy.directory}/agent.sh", "apply", deploy.root, deploy.deploy_id, "2"], timeout=30
            )
            return result.stdout  # ... and no commit: the controller is gone

    output = run_coroutine(apply_and_vanish)
    assert "@@changed file " + extra in output and "@@changed link vxlan222 created" in output
    assert Path(extra).exists()
    status = Path(deploy.directory, "status")
    for _ in range(60):  # bounded: 2 s timer + rollback
        if status.read_text().strip() == "rolled-back":
            break
        time.sleep(0.1)
    assert status.read_text().strip() == "rolled-back"
    assert not Path(extra).exists()
    links = netns.run(["ip", "-n", ns, "-o", "link", "show"]).stdout
    assert "vxlan222" not in links  # the undo removed what the apply created
    assert _run_all(lab, [_deploy(lab, "jailhost-b")])["jailhost-b"].outcome == Outcome.DEPLOYED
    del plan


def test_a_bundle_that_fails_its_checks_is_not_applied(lab: Lab):
    plan = next(h for h in lab.plan.hosts if h.name == "gateway")
    nft_path = next(f.path for f in plan.files if f.path.endswith("nftables.nft"))
    before = _hashes([nft_path])
    broken = _with_file(lab_bundle(plan), "nftables.nft", lambda text: text + "\nthis is not nftables\n")
    result = _run_all(lab, [_deploy(lab, "gateway", broken)])["gateway"]
    assert result.outcome == Outcome.FAILED and "check" in result.reason
    assert result.changes == [] and _hashes([nft_path]) == before


def test_a_staging_that_fails_is_reported_as_failed_and_nothing_is_applied(lab: Lab):
    """Staging and the agent's apply share one command: a staging that stops (here: its directory cannot be
    created) must not be mistaken for one of the agent's exit statuses, and the agent must not run."""
    plan = next(h for h in lab.plan.hosts if h.name == "jailhost-a")
    paths = [f.path for f in plan.files]
    before = _hashes(paths)
    deploy = _deploy(lab, "jailhost-a", _with_file(lab_bundle(plan), "nftables.nft", lambda text: text + "\n"))
    unwritable = dataclasses.replace(deploy, root="/proc/jailnet-cannot-exist")
    result = _run_all(lab, [unwritable])["jailhost-a"]
    assert result.outcome == Outcome.FAILED and "staging exited" in result.reason, result
    assert result.changes == [] and "apply" not in result.timings and _hashes(paths) == before


class _CuttingTransport(SshTransport):
    """The lab's transport that aborts the first connection to a host once its apply has started."""

    def __init__(self, lab: Lab) -> None:
        super().__init__(host_keys=lab.host_keys, max_connections=16, max_channels=16)
        self.sessions: list = []  # type: ignore[type-arg]

    @contextlib.asynccontextmanager
    async def connect(self, target: SshTarget):  # type: ignore[no-untyped-def, override]
        async with super().connect(target) as session:
            self.sessions.append(session)
            yield session

    def step(self, host: str, step: str, detail: str = "") -> None:
        if step == "apply" and len(self.sessions) == 1:
            self.sessions[0].conn.abort()

    def output(self, host: str, stream: str, line: str) -> None:
        pass


def test_a_connection_lost_during_the_apply_is_never_reported_as_a_failure_with_nothing_applied(lab: Lab):
    """The first connection breaks while the host applies, and the apply then fails writing to it: the host
    restores itself, and the controller, back over a new connection, says "rolled back" (a closed channel is
    not an exit status of the agent: it must never read as "failed", nothing applied)."""
    plan = next(h for h in lab.plan.hosts if h.name == "jailhost-b")
    extra = f"{lab.state_dir}/hosts/jailhost-b/cut.conf"
    _run_all(lab, [_deploy(lab, "jailhost-b")])
    bundle = lab_bundle(plan)
    bundle = dataclasses.replace(
        bundle,
        files=(*bundle.files, BundleFile(extra, "0644", "root:root", "new\n")),
        apply=bundle.apply + "sleep 1\necho converged\n",
    )
    deploy = dataclasses.replace(_deploy(lab, "jailhost-b", bundle), confirm_seconds=3)
    cutting = _CuttingTransport(lab)
    started = time.monotonic()
    result = run_coroutine(lambda: deploy_host(deploy, transport=cutting, reporter=cutting))
    assert len(cutting.sessions) >= 2  # the connection was cut, and the controller came back over a new one
    assert result.outcome == Outcome.ROLLED_BACK, result
    assert "rolled back by itself" in result.reason and time.monotonic() - started < 3 + 10
    assert not Path(extra).exists() and _ssh_answers(lab, "jailhost-b")
    # the host is back on the last committed bundle, and unlocked: deploying that again changes nothing
    assert _run_all(lab, [_deploy(lab, "jailhost-b")])["jailhost-b"].outcome == Outcome.UNCHANGED


class _CuttingOnChange(_CuttingTransport):
    """Aborts the first connection once the host said it changed ``path``: the apply goes on without it."""

    def __init__(self, lab: Lab, path: str) -> None:
        super().__init__(lab)
        self.path = path

    def step(self, host: str, step: str, detail: str = "") -> None:
        pass

    def output(self, host: str, stream: str, line: str) -> None:
        if line.startswith(f"@@changed file {self.path}") and len(self.sessions) == 1:
            self.sessions[0].conn.abort()


def test_an_apply_failing_after_its_connection_was_lost_still_rolls_back_whole(lab: Lab):
    """The connection breaks after the files were installed, during the converge; the apply program then fails
    writing to the closed channel, and the agent rolls back at once. That rollback has taken the timer's place:
    it must run to its end although its own writes fail (a worker killed mid-deploy left hosts with the new
    files and no committed digest when the agent died of SIGPIPE at the rollback's first line)."""
    plan = next(h for h in lab.plan.hosts if h.name == "jailhost-a")
    extra = f"{lab.state_dir}/hosts/jailhost-a/cut-converge.conf"
    _run_all(lab, [_deploy(lab, "jailhost-a")])
    bundle = lab_bundle(plan)
    bundle = dataclasses.replace(
        bundle,
        files=(*bundle.files, BundleFile(extra, "0644", "root:root", "new\n")),
        apply=bundle.apply + "sleep 1\necho converged\n",
    )
    deploy = dataclasses.replace(_deploy(lab, "jailhost-a", bundle), confirm_seconds=4)
    cutting = _CuttingOnChange(lab, extra)
    result = run_coroutine(lambda: deploy_host(deploy, transport=cutting, reporter=cutting))
    assert len(cutting.sessions) >= 2, result  # the connection was cut, and the controller came back
    assert Path(deploy.directory, "status").read_text().strip() == "rolled-back", result
    assert result.outcome == Outcome.ROLLED_BACK, result
    assert not Path(extra).exists()
    time.sleep(4 + 1)  # the timer's time: it was disarmed once the rollback ended, and changes nothing more
    assert not Path(extra).exists() and not Path(deploy.directory, "timer.pid").exists()
    assert _run_all(lab, [_deploy(lab, "jailhost-a")])["jailhost-a"].outcome == Outcome.UNCHANGED


def test_a_rollback_killed_halfway_is_finished_by_the_dead_man_timer(lab: Lab):
    """The failed apply's own rollback has taken the timer's place; its process is killed halfway (SIGKILL, in
    the undo journal): the timer, still armed, finishes the rollback and unlocks the host."""
    deploy = _deploy(lab, "jailhost-a", seconds=2)
    extra = f"{lab.state_dir}/hosts/jailhost-a/killed-rollback.conf"
    bundle = dataclasses.replace(
        deploy.bundle,
        files=(*deploy.bundle.files, BundleFile(extra, "0644", "root:root", "new\n")),
        apply=deploy.bundle.apply + "undo sleep 3\nfalse\n",  # the rollback sleeps in its undo journal
    )
    deploy = dataclasses.replace(deploy, bundle=bundle)
    _run_all(lab, [_deploy(lab, "jailhost-a")])
    firing = Path(deploy.directory, "firing")

    async def apply_and_kill_its_rollback() -> None:
        async with lab.transport.connect(deploy.target) as session:
            await session.run(["sh", "-s"], input=stage_script(deploy), timeout=30, check=True)
            argv = ["sh", f"{deploy.directory}/agent.sh", "apply", deploy.root, deploy.deploy_id, "2"]
            running = asyncio.ensure_future(session.run(argv, timeout=30))
            for _ in range(100):
                text = firing.read_text() if firing.exists() else ""
                if text.startswith("pid "):
                    os.kill(int(text.split()[1]), signal.SIGKILL)
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the failed apply never began its rollback")
            await running

    run_coroutine(apply_and_kill_its_rollback)
    status = Path(deploy.directory, "status")
    for _ in range(150):  # bounded: 2 s timer + the rollback again (3 s of undo)
        if status.read_text().strip() == "rolled-back" and not Path(deploy.root, "lock").exists():
            break  # the status is written just before the host is unlocked
        time.sleep(0.1)
    assert status.read_text().strip() == "rolled-back", Path(deploy.directory, "timer.log").read_text()
    assert not Path(extra).exists() and not Path(deploy.root, "lock").exists()
    log = Path(deploy.directory, "timer.log").read_text()
    assert "not confirmed within 2 s (the rollback that began did not end)" in log, log
    assert _run_all(lab, [_deploy(lab, "jailhost-a")])["jailhost-a"].outcome == Outcome.UNCHANGED


def test_an_apply_slower_than_the_timer_is_stopped_before_the_host_is_restored(lab: Lab):
    """The apply program still runs when the dead-man timer fires (it sleeps between two writes): the timer
    stops it, with what it started, before it restores the host, and the apply writes nothing more. The host
    ends on exactly the old files, with no apply process left (the apply used to go on writing after the
    restore: new files, no committed digest)."""
    deploy = _deploy(lab, "jailhost-a", seconds=2)
    kept = f"{lab.state_dir}/hosts/jailhost-a/slow-apply-kept.conf"
    extra = f"{lab.state_dir}/hosts/jailhost-a/slow-apply.conf"
    late = f"{lab.state_dir}/hosts/jailhost-a/slow-apply.late"
    old = dataclasses.replace(
        deploy.bundle, files=(*deploy.bundle.files, BundleFile(kept, "0644", "root:root", "old\n"))
    )
    assert _run_all(lab, [_deploy(lab, "jailhost-a", old)])["jailhost-a"].outcome == Outcome.DEPLOYED
    managed = [f.path for f in old.files]
    before = _hashes(managed)
    bundle = _with_file(old, kept, lambda _text: "new\n")
    bundle = dataclasses.replace(
        bundle,
        files=(*bundle.files, BundleFile(extra, "0644", "root:root", "new\n")),
        apply=bundle.apply + f"echo first >{late}.1\nsleep 6.5\necho second >{late}\n",
    )
    started = time.monotonic()
    result = _run_all(lab, [dataclasses.replace(deploy, bundle=bundle)])["jailhost-a"]
    assert result.outcome == Outcome.ROLLED_BACK and "outlasted the dead-man timer" in result.reason, result
    assert time.monotonic() - started < 6.5  # the apply's sleep did not run out: it was stopped
    assert Path(deploy.directory, "status").read_text().strip() == "rolled-back"
    assert _hashes(managed) == before and not Path(extra).exists()
    assert not Path(deploy.directory, "apply.pid").exists() and not Path(deploy.root, "lock").exists()
    assert _apply_processes(lab, deploy.directory) == []
    time.sleep(6.5)  # the apply's time: stopped, it never writes again
    assert not Path(late).exists() and _hashes(managed) == before
    assert _run_all(lab, [_deploy(lab, "jailhost-a", old)])["jailhost-a"].outcome == Outcome.UNCHANGED
    assert _run_all(lab, [_deploy(lab, "jailhost-a")])["jailhost-a"].outcome == Outcome.DEPLOYED  # kept.conf goes
    Path(f"{late}.1").unlink(missing_ok=True)


def _apply_processes(lab: Lab, directory: str) -> list[str]:
    """Command lines of the slow apply's processes (its program, its ``sleep 6.5``) in this lab's namespaces."""
    inodes = {i for i in (netns.netns_inode(n) for n in netns.list_netns(f"{lab_id(lab.snapshot.name)}-")) if i}
    found = []
    for pid in netns.pids_in_netns(inodes):
        with contextlib.suppress(OSError):
            argv = [a.decode() for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a]
            if argv == ["sleep", "6.5"] or f"{directory}/apply.sh" in argv:
                found.append(" ".join(argv))
    return found


def test_a_failing_apply_is_rolled_back_at_once(lab: Lab):
    deploy = _deploy(lab, "jailhost-a")
    ns = lab.network.host_netns["jailhost-a"]
    failing = dataclasses.replace(
        deploy.bundle, apply=deploy.bundle.apply + "link_ensure '' jnbad0 type dummy\nfalse\n"
    )
    started = time.monotonic()
    result = _run_all(lab, [dataclasses.replace(deploy, bundle=failing, confirm_seconds=60)])["jailhost-a"]
    assert result.outcome == Outcome.ROLLED_BACK and "restored at once" in result.reason
    assert time.monotonic() - started < 30  # not after the 60 s timer
    assert "jnbad0" not in netns.run(["ip", "-n", ns, "-o", "link", "show"]).stdout


def test_a_changed_host_key_fails_the_host_without_a_connection_while_others_deploy(lab: Lab):
    good = _deploy(lab, "jailhost-a")
    impostor_pin = SshTransport(host_keys=MemoryHostKeyStore({lab.target_id("jailhost-b"): _other_key()}))
    bad = _deploy(lab, "jailhost-b")
    results = run_coroutine(
        lambda: deploy_hosts([good, bad], transport_for=lambda d: impostor_pin if d is bad else lab.transport)
    )
    by_host = {r.host: r for r in results}
    assert by_host["jailhost-b"].outcome == Outcome.FAILED
    assert "does not match the pinned key" in by_host["jailhost-b"].reason
    assert not Path(bad.directory).exists()  # nothing was staged: no session was ever opened
    assert by_host["jailhost-a"].outcome in (Outcome.DEPLOYED, Outcome.UNCHANGED)


def test_an_unreachable_host_fails_fast_and_clearly_while_others_deploy(lab: Lab):
    mgmt = lab.network.mgmt_netns
    nowhere = SshTarget(
        host="198.18.255.254", port=22, private_key=(lab.state_dir / "lab_key").read_text(),
        target_id=lab.target_id("gone"),
        sock_factory=lambda: netns.socket_in_netns(mgmt, ("198.18.255.254", 22), timeout=2.0),
    )  # fmt: skip
    gone = dataclasses.replace(
        _deploy(lab, "jailhost-a"),
        target=nowhere,
        bundle=dataclasses.replace(_deploy(lab, "jailhost-a").bundle, host="gone"),
    )
    started = time.monotonic()
    results = {r.host: r for r in asyncio.run(
        deploy_hosts([gone, _deploy(lab, "jailhost-b")], transport_for=lambda _d: lab.transport)
    )}  # fmt: skip
    assert results["gone"].outcome == Outcome.UNREACHABLE and "cannot connect" in results["gone"].reason
    assert results["gone"].timings["connect"] < 4
    assert results["jailhost-b"].outcome in (Outcome.DEPLOYED, Outcome.UNCHANGED)
    assert time.monotonic() - started < 15


def _other_key() -> str:
    import asyncssh

    return asyncssh.generate_private_key("ecdsa-sha2-nistp256").export_public_key("openssh").decode().strip()


def test_deploy_host_reports_steps_in_order(lab: Lab):
    steps: list[str] = []

    class Recorder:
        def step(self, host: str, step: str, detail: str = "") -> None:
            steps.append(step)

        def output(self, host: str, stream: str, line: str) -> None:
            pass

    result = run_coroutine(lambda: deploy_host(_deploy(lab, "gateway"), transport=lab.transport, reporter=Recorder()))
    assert result.outcome in (Outcome.DEPLOYED, Outcome.UNCHANGED)
    assert [s for s in steps if s] == ["connect", "stage", "check", "backup", "arm", "apply", "applied", "confirm",
                                       "confirm", "committed"]  # fmt: skip
