"""The lab's hosts: one ``sshd`` per host namespace, its keys, and SSH sessions to it through the management
namespace."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import asyncssh

from executors.ssh import FileHostKeyStore, SshError, SshTarget, SshTransport
from topology import snapshot as s
from topology.render.lab import build_network, render_lab

from . import netns

SSHD_READY_TIMEOUT = 10.0
# Keys and algorithms of the lab's own SSH: OpenSSH does Ed25519 and Curve25519 in its portable C code, but
# ECDSA P-256 and ECDH P-256 in OpenSSL's assembly, and AES-GCM with AES-NI; a lab host is one connection's
# key exchange and signatures, so this is most of what its sshd spends per connection.
KEY_TYPE = "ecdsa-sha2-nistp256"
HOST_KEY = "ssh_host_ecdsa_key"


def sshd_config(state_dir: Path, host_dir: Path, address: str) -> str:
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


def write_key(path: Path, key: asyncssh.SSHKey) -> None:
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
