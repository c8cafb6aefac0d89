"""A real sshd inside a network namespace the test creates: a registered host to test connections against.

Root only (network namespaces). The sshd listens on the namespace's own loopback; the test reaches it through
``settings.SSH_MANAGEMENT_NETNS`` (a socket opened inside the namespace), so no packet leaves it. The sshd logs
at VERBOSE, so a test can see whether a client ever tried to authenticate.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from executors.lab import netns

SSHD = "/usr/sbin/sshd"
KEY_TYPE = "ecdsa-sha2-nistp256"


@dataclass
class NamespacedSshd:
    """One sshd: its namespace, state directory, the client key it accepts, and its process."""

    netns: str
    state_dir: Path
    client_key: str
    process: subprocess.Popen | None = None

    @property
    def host_key_path(self) -> Path:
        return self.state_dir / "host_key"

    @property
    def log_path(self) -> Path:
        return self.state_dir / "sshd.log"

    def public_host_key(self) -> str:
        """The OpenSSH line of the host key sshd serves."""
        algorithm, blob = (self.state_dir / "host_key.pub").read_text().split()[:2]
        return f"{algorithm} {blob}"

    def new_host_key(self) -> None:
        """Replace the host key (as a reinstall would) and restart sshd with it."""
        self.stop()
        _write_key(self.host_key_path, asyncssh.generate_private_key(KEY_TYPE))
        self.start()

    def start(self) -> None:
        """Start sshd and wait (bounded) until it accepts connections."""
        config = self.state_dir / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    "ListenAddress 127.0.0.1:22",
                    f"HostKey {self.host_key_path}",
                    "PidFile none",
                    f"AuthorizedKeysFile {self.state_dir}/authorized_keys",
                    "PermitRootLogin prohibit-password",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "UsePAM no",
                    "StrictModes no",
                    "UseDNS no",
                    "LogLevel VERBOSE",
                    "",
                ]
            )
        )
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        try:
            self.process = subprocess.Popen(
                ["nsenter", f"--net=/run/netns/{self.netns}", SSHD, "-D", "-e", "-f", str(config)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            )  # fmt: skip
        finally:
            log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                netns.socket_in_netns(self.netns, ("127.0.0.1", 22), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("sshd did not start listening within 10 s")

    def stop(self) -> None:
        """Stop sshd (by its pid)."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            self.process.wait(5)
        self.process = None

    def log(self) -> str:
        """What sshd logged so far."""
        return self.log_path.read_text(errors="replace")


def _write_key(path: Path, key: asyncssh.SSHKey) -> None:
    key.write_private_key(str(path))
    path.chmod(0o600)
    key.write_public_key(str(path) + ".pub")


def start_namespaced_sshd(name: str, state_dir: Path) -> NamespacedSshd:
    """Create namespace ``name`` with loopback up, keys, and a running sshd in it."""
    netns.run(["ip", "netns", "add", name])
    netns.run(["ip", "-n", name, "link", "set", "lo", "up"])
    state_dir.mkdir(parents=True, exist_ok=True)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    client = asyncssh.generate_private_key(KEY_TYPE)
    (state_dir / "authorized_keys").write_text(client.export_public_key("openssh").decode())
    server = NamespacedSshd(name, state_dir, client.export_private_key().decode())
    _write_key(server.host_key_path, asyncssh.generate_private_key(KEY_TYPE))
    server.start()
    return server


def stop_namespaced_sshd(server: NamespacedSshd) -> None:
    """Stop sshd and delete the namespace."""
    server.stop()
    netns.run(["ip", "netns", "delete", server.netns], check=False)
