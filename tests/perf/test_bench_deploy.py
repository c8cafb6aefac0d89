"""Benchmark of the deploy pipeline on lab hosts, side by side with Ansible ad-hoc.

Prints figures; asserts only that every deploy really deployed (the machine is shared: no timed assertions).
Run as root under the lab lock: ``flock /tmp/jailnet-lab.lock make bench`` or
``flock /tmp/jailnet-lab.lock .venv/bin/python -m pytest tests/perf/test_bench_deploy.py -m perf -s``.

* One synthetic lab of 50 hosts is brought up once; rounds deploy its first 1, 10 and 50 hosts (sizes
  interleaved, several rounds, medians). Every round's bundles carry a file whose content changes, so every
  host really installs a file and converges (outcome ``deployed``, confirmed over a new connection).
* Controller CPU is this process's own CPU time (``getrusage(RUSAGE_SELF)``: every thread of the process
  that drives the deploy, nothing of the lab's sshd or shells, which are other processes) per host.
* Ansible: ``ansible-core`` from PyPI in its own venv under ``var/bench/ansible`` (installed on first use;
  the Ansible test skips with the reason when it cannot be), run in the lab's management namespace against
  the same 50 hosts with the same user, key and pinned host keys (a known_hosts file, strict checking):
  ``copy`` of one file then ``command`` (two ad-hoc runs, forks 50, pipelining on, ControlPersist on within
  a round, closed between rounds). Its controller CPU is that of ``ansible`` and all the processes it waited
  for (its forks and ssh clients; ``wait4`` rusage of the tree).
* For context, the whole machine's busy CPU and the processes started per host (``/proc/stat``,
  ``/proc/loadavg``): the lab hosts' side (sshd, shells, ``ip``) lives on this machine, and it is shared.

Goals (issue 13): the deploy of 50 hosts at least 3x faster than Ansible's push; controller CPU < 20 ms/host.
"""

from __future__ import annotations

import dataclasses
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from executors.deploy.pipeline import HostDeploy, HostResult, Outcome, deploy_hosts
from executors.lab.lifecycle import Lab, lab_down, lab_up, leftovers, run_coroutine
from tests.lab.support import needs_lab, unique_name
from tests.perf.synthetic import synthetic_design
from topology.render.bundle import BundleFile
from topology.render.lab.bundle import lab_bundle

pytestmark = [pytest.mark.perf, needs_lab]

HOSTS = 50
SIZES = (1, 10, 50)
ROUNDS = 5
ANSIBLE_SPEC = "ansible-core>=2.17,<2.20"
ANSIBLE_VENV = Path(__file__).resolve().parents[2] / "var" / "bench" / "ansible"
MARKER = "bench-marker.conf"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    snapshot = synthetic_design(hosts=HOSTS, jails_per_host=2, vms_per_host=1, segments=5, name="bench-deploy")
    snapshot = dataclasses.replace(snapshot, name=unique_name(snapshot.name))
    state_dir = tmp_path_factory.mktemp("bench-deploy") / "lab"
    start = time.perf_counter()
    lab_up(snapshot, state_dir)
    print(f"\nlab of {HOSTS} hosts up in {time.perf_counter() - start:.1f} s")
    try:
        yield Lab(snapshot, state_dir)
    finally:
        lab_down(snapshot.name, state_dir)
        assert leftovers(snapshot.name) == {"namespaces": [], "processes": []}


def _root(lab: Lab, host: str) -> str:
    return f"{lab.state_dir}/hosts/{host}/jailnet"


def _deploys(lab: Lab, count: int, tag: str) -> list[HostDeploy]:
    """Deploys of the first ``count`` hosts; a marker file whose content is ``tag`` makes each one a change."""
    deploys = []
    for plan in lab.plan.hosts[:count]:
        bundle = lab_bundle(plan)
        marker = BundleFile(f"{lab.state_dir}/hosts/{plan.name}/{MARKER}", "0644", "root:root", f"{tag}\n")
        bundle = dataclasses.replace(bundle, files=(*bundle.files, marker))
        deploys.append(HostDeploy(bundle=bundle, target=lab.target(plan.name), root=_root(lab, plan.name),
                                  deploy_id=f"bench-{tag}-{plan.name}", confirm_seconds=120))  # fmt: skip
    return deploys


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _machine() -> tuple[float, int]:
    """(CPU seconds the whole machine spent busy, the last pid given out): what the lab hosts cost shows here.

    Both count every process of the machine (it is shared: other work adds to them), so they are context,
    not the controller's figure.
    """
    user, nice, system, _idle, _iowait, irq, softirq = map(int, Path("/proc/stat").read_text().split()[1:8])
    last_pid = int(Path("/proc/loadavg").read_text().split()[-1])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK"), last_pid


@dataclasses.dataclass
class Run:
    wall: float
    cpu: float  # controller CPU seconds
    hosts: int
    machine: tuple[float, int] = (0.0, 0)  # the whole machine's busy CPU seconds, processes started
    steps: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def cpu_ms_per_host(self) -> float:
        return self.cpu / self.hosts * 1000

    @property
    def machine_ms_per_host(self) -> float:
        return self.machine[0] / self.hosts * 1000

    @property
    def processes_per_host(self) -> float:
        return self.machine[1] / self.hosts


def _machine_since(before: tuple[float, int]) -> tuple[float, int]:
    cpu, pid = _machine()
    return cpu - before[0], (pid - before[1]) % 4_194_304  # pids wrap at pid_max (at most 2**22)


def _deploy_round(lab: Lab, count: int, tag: str) -> Run:
    deploys = _deploys(lab, count, tag)
    machine, cpu, start = _machine(), _cpu(), time.perf_counter()
    results: list[HostResult] = run_coroutine(lambda: deploy_hosts(deploys, transport_for=lambda _d: lab.transport))
    wall, cpu, machine = time.perf_counter() - start, _cpu() - cpu, _machine_since(machine)
    bad = [r for r in results if r.outcome != Outcome.DEPLOYED]
    assert not bad, bad[:3]
    steps = {k: statistics.median(r.timings.get(k, 0.0) for r in results) for k in results[0].timings}
    return Run(wall, cpu, count, machine, steps)


def _median(runs: list[Run], attribute: str) -> float:
    return statistics.median(getattr(r, attribute) for r in runs)


HEADER = f"{'wall s':>8} {'ctl CPU ms/host':>16} {'machine ms/host':>16} {'procs/host':>11}   wall per round"


def _row(runs: list[Run]) -> str:
    walls = ", ".join(f"{r.wall:.2f}" for r in runs)
    wall, cpu = _median(runs, "wall"), _median(runs, "cpu_ms_per_host")
    machine, processes = _median(runs, "machine_ms_per_host"), _median(runs, "processes_per_host")
    return f"{wall:>8.2f} {cpu:>16.1f} {machine:>16.0f} {processes:>11.0f}   {walls}"


def test_bench_deploy_1_10_50_hosts(lab: Lab):
    _deploy_round(lab, HOSTS, "warm")  # the first deploy writes every file of every host: not what is measured
    runs: dict[int, list[Run]] = {n: [] for n in SIZES}
    for round_ in range(ROUNDS):
        for n in SIZES:
            runs[n].append(_deploy_round(lab, n, f"r{round_}-n{n}"))
    print(f"\ndeploy (stage, check, backup, arm, apply, confirm over a new connection), medians of {ROUNDS} rounds")
    print(f"{'hosts':>5} {HEADER}")
    for n in SIZES:
        print(f"{n:>5} {_row(runs[n])}")
    last = runs[SIZES[-1]]
    steps = {k: round(statistics.median(r.steps.get(k, 0.0) for r in last), 3) for k in last[0].steps}
    print(f"per-host step medians at {SIZES[-1]} hosts (s): {steps}")
    print("goal: controller CPU < 20 ms per host")


# --- Ansible ------------------------------------------------------------------------------------------------


def _ansible() -> Path:
    """The ``ansible`` program of the benchmark's own venv (created on first use), or skip with the reason."""
    program = ANSIBLE_VENV / "bin" / "ansible"
    if program.exists():
        return program
    try:
        subprocess.run([sys.executable, "-m", "venv", str(ANSIBLE_VENV)], check=True, capture_output=True, timeout=120)
        subprocess.run([str(ANSIBLE_VENV / "bin" / "pip"), "install", "--quiet", ANSIBLE_SPEC],
                       check=True, capture_output=True, text=True, timeout=600)  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        pytest.skip(f"ansible-core could not be installed into {ANSIBLE_VENV} ({exc}; {detail.strip()[-300:]})")
    return program


@dataclasses.dataclass
class AnsibleSetup:
    program: Path
    inventory: Path
    env: dict[str, str]
    marker: Path
    netns: str


def _ansible_setup(lab: Lab, work: Path, program: Path) -> AnsibleSetup:
    known_hosts = work / "known_hosts"
    lines, hosts = [], []
    for plan in lab.plan.hosts[:HOSTS]:
        address = str(lab.network.mgmt_address[plan.name].ip)
        pinned = lab.host_keys.get(lab.target_id(plan.name))
        assert pinned, f"no pinned key for {plan.name}"
        lines.append(f"{address} {pinned}\n")
        hosts.append(f"{plan.name} ansible_host={address} bench_dest={lab.state_dir}/hosts/{plan.name}/{MARKER}\n")
    known_hosts.write_text("".join(lines))
    ssh_args = (f"-o UserKnownHostsFile={known_hosts} -o GlobalKnownHostsFile=/dev/null "
                "-o StrictHostKeyChecking=yes -o IdentitiesOnly=yes")  # fmt: skip
    inventory = work / "hosts.ini"
    inventory.write_text(
        "[lab]\n" + "".join(hosts) + "[lab:vars]\nansible_user=root\n"
        f"ansible_ssh_private_key_file={lab.state_dir / 'lab_key'}\n"
        f"ansible_ssh_common_args={ssh_args}\nansible_python_interpreter=/usr/bin/python3\n"
    )
    config = "[defaults]\nforks = 50\nhost_key_checking = True\n\n[ssh_connection]\npipelining = True\n"
    (work / "ansible.cfg").write_text(config)
    (work / "home").mkdir(exist_ok=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work / "home"), "LANG": "C.UTF-8",
           "ANSIBLE_CONFIG": str(work / "ansible.cfg"), "ANSIBLE_LOCAL_TEMP": str(work / "tmp"),
           "ANSIBLE_NOCOLOR": "1"}  # fmt: skip
    return AnsibleSetup(program, inventory, env, work / MARKER, lab.network.mgmt_netns)


def _ansible_round(setup: AnsibleSetup, tag: str) -> Run:
    """copy (one file) + command on every host: two ad-hoc runs; a control directory of its own per round."""
    setup.marker.write_text(f"{tag}\n")
    control = Path(tempfile.mkdtemp(prefix="jnb-", dir="/tmp"))  # short: ssh control sockets live here
    env = {**setup.env, "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control)}
    base = ["nsenter", f"--net=/run/netns/{setup.netns}", str(setup.program), "lab", "-i", str(setup.inventory),
            "-f", "50"]  # fmt: skip
    runs = [
        [*base, "-m", "copy", "-a", f"src={setup.marker} dest={{{{ bench_dest }}}} mode=0644"],
        [*base, "-m", "command", "-a", "cat {{ bench_dest }}"],
    ]
    wall = cpu = 0.0
    machine = _machine()
    try:
        for argv in runs:
            start = time.perf_counter()
            process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            assert process.stdout is not None
            output = process.stdout.read()
            _pid, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            wall += time.perf_counter() - start
            cpu += usage.ru_utime + usage.ru_stime
            assert process.returncode == 0, f"{shlex.join(argv)} exited {process.returncode}:\n{output[-3000:]}"
            assert output.count("CHANGED") + output.count("SUCCESS") >= HOSTS, output[-3000:]
        machine = _machine_since(machine)
    finally:
        _close_masters(setup, control, env)
    return Run(wall, cpu, HOSTS, machine)


def _close_masters(setup: AnsibleSetup, control: Path, env: dict[str, str]) -> None:
    """Ask every ssh ControlPersist master of the round to exit (they would otherwise linger 60 s)."""
    for socket_path in control.iterdir():
        subprocess.run(["nsenter", f"--net=/run/netns/{setup.netns}", "ssh", "-o", f"ControlPath={socket_path}",
                        "-O", "exit", "x"], env=env, capture_output=True, timeout=10, check=False)  # fmt: skip
    for leftover in control.iterdir():
        leftover.unlink(missing_ok=True)
    control.rmdir()


def test_bench_deploy_50_hosts_against_ansible(lab: Lab, tmp_path: Path):
    program = _ansible()
    version = subprocess.run([str(program), "--version"], capture_output=True, text=True, check=False).stdout
    setup = _ansible_setup(lab, tmp_path, program)
    _ansible_round(setup, "warm")  # the first run: Python byte-compiles Ansible, the hosts get the file
    _deploy_round(lab, HOSTS, "a-warm")
    ours: list[Run] = []
    theirs: list[Run] = []
    for round_ in range(ROUNDS):
        ours.append(_deploy_round(lab, HOSTS, f"a{round_}"))
        theirs.append(_ansible_round(setup, f"a{round_}"))
    name = version.splitlines()[0] if version else "ansible"
    print(f"\n{HOSTS} hosts, medians of {ROUNDS} alternating rounds ({name})")
    print(f"{'':<34} {HEADER}")
    for name, runs in (("jailnet deploy (whole pipeline)", ours), ("ansible copy + command, forks 50", theirs)):
        print(f"{name:<34} {_row(runs)}")
    ratio = _median(theirs, "wall") / _median(ours, "wall")
    per_round = ", ".join(f"{t.wall / o.wall:.1f}" for o, t in zip(ours, theirs, strict=True))
    print(f"ansible / jailnet wall time: {ratio:.1f}x (per round {per_round}; goal >= 3x)")
