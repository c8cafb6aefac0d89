""" "Test connection" of a registered host: read its key, or (once pinned) log in and gather its facts.

The order is the point: a host whose key nobody confirmed gets a key exchange only, and no user name, key or
password is sent to it; the operator confirms the fingerprint shown (``inventory.services.managed_host_key_pin``).
Only a pinned host is logged in to. A host whose key changed is not contacted at all until it is re-pinned.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from executors.ssh import (
    HostKeyChangedError,
    ManagedHostKeyStore,
    SshError,
    SshTarget,
    SshTransport,
    target_for_managed_host,
)
from inventory.choices import HostKeyState
from inventory.models import ManagedHost
from inventory.services import (
    fingerprint_of,
    managed_host_contact_failed,
    managed_host_facts_record,
    managed_host_key_offered,
)

from .facts import gather_facts

CONTACT_TIMEOUT = 10.0


def management_socket_factory(address: str, port: int) -> Callable[[], socket.socket] | None:
    """How the controller opens management connections: inside ``settings.SSH_MANAGEMENT_NETNS`` when set.

    A controller whose management network lives in a network namespace of its own (a management VRF; the
    tests' hosts) connects from inside it; otherwise connections use this process's own routes.
    """
    netns_name = getattr(settings, "SSH_MANAGEMENT_NETNS", "") or ""
    if not netns_name:
        return None
    from executors.lab.netns import socket_in_netns

    return lambda: socket_in_netns(netns_name, (address, port), timeout=CONTACT_TIMEOUT)


def managed_host_target(host: ManagedHost) -> SshTarget:
    """The SSH target of a registered host (credential decrypted by the transport module, nowhere else)."""
    target = target_for_managed_host(host)
    factory = management_socket_factory(target.host, target.port)
    if factory is None:
        return target
    return SshTarget(
        host=target.host, port=target.port, username=target.username, private_key=target.private_key,
        password=target.password, target_id=target.target_id, sock_factory=factory,
    )  # fmt: skip


def managed_host_transport() -> SshTransport:
    """A transport that trusts only keys an operator pinned on the managed hosts."""
    return SshTransport(host_keys=ManagedHostKeyStore(), connect_timeout=CONTACT_TIMEOUT)


@dataclass(frozen=True)
class ContactResult:
    """What a test connection found: the key state afterwards, facts when logged in, an error when it failed."""

    host_key_state: str
    offered_fingerprint: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    @property
    def ok(self) -> bool:
        """Logged in and facts gathered."""
        return not self.error and bool(self.facts)


async def _scan(host: ManagedHost) -> str:
    return await managed_host_transport().scan_host_key(managed_host_target(host))


async def _login_and_gather(host: ManagedHost, progress: Any = None) -> dict[str, Any]:
    transport = managed_host_transport()
    on_line = None
    if progress is not None:
        progress.step(host.name, state="running", done=2, total=3, message="logged in: gathering facts")

        def on_line(stream: str, line: str) -> None:
            progress.write(line.rstrip("\n") + "\n", host=host.name, stream=stream)

    async with transport.connect(managed_host_target(host)) as session:
        return await gather_facts(session, on_line=on_line)


class _Quiet:
    """Progress told nowhere."""

    def step(self, *_: object, **__: object) -> None:
        """Ignore."""

    def line(self, *_: object, **__: object) -> None:
        """Ignore."""


def managed_host_test_connection(*, host_id: int, progress: Any = None) -> ContactResult:
    """Test the connection and record what it found; ``progress`` (a job's log) is told each step and line."""
    result = _test_connection(host_id, progress)
    report = progress or _Quiet()
    name = ManagedHost.objects.filter(pk=host_id).values_list("name", flat=True).first() or str(host_id)
    if result.error:
        report.line(f"failed: {result.error}", host=name)
    elif result.offered_fingerprint and not result.facts:
        report.line(f"the host offers the key {result.offered_fingerprint}: confirm it to log in", host=name)
    else:
        report.line(f"facts: {result.facts}", host=name)
    report.step(name, state="failed" if result.error else "succeeded", done=3, total=3,
                message=result.error or ("key offered" if not result.facts else "facts gathered"))  # fmt: skip
    return result


def _test_connection(host_id: int, progress: Any) -> ContactResult:
    """Test the connection to a registered host and record what it found (synchronous; run it in a worker).

    * key not pinned: read the offered key (no credential sent) and keep it for the operator to confirm;
    * key pinned: log in with the credential, gather facts, keep them;
    * key changed: refuse, without contacting the host, until an operator re-pins.
    """
    from executors.lab.lifecycle import run_coroutine

    host = ManagedHost.objects.select_related("credential").get(pk=host_id)
    report = progress or _Quiet()
    report.step(host.name, state="running", done=0, total=3, message="connecting")
    report.line(
        f"{host.name}: {host.management_address}:{host.ssh_port}, host key {host.host_key_state}", host=host.name
    )
    if host.host_key_state == HostKeyState.CHANGED:
        return ContactResult(
            host_key_state=host.host_key_state,
            offered_fingerprint=fingerprint_of(host.offered_host_key) if host.offered_host_key else "",
            error=host.last_contact_error or "the host key changed: re-pin it before connecting",
        )
    if host.host_key_state != HostKeyState.PINNED:
        report.line("the key is not pinned: reading the key the host offers (no credential is sent)", host=host.name)
        try:
            offered = run_coroutine(lambda: _scan(host))
        except SshError as exc:
            managed_host_contact_failed(host=host, error=str(exc))
            return ContactResult(host_key_state=host.host_key_state, error=str(exc))
        host = managed_host_key_offered(host=host, public_key=offered)
        return ContactResult(host_key_state=host.host_key_state, offered_fingerprint=fingerprint_of(offered))
    if host.credential is None:
        error = "the host has no credential: add one before testing the login"
        managed_host_contact_failed(host=host, error=error)
        return ContactResult(host_key_state=host.host_key_state, error=error)
    try:
        report.line("the key is pinned: logging in and gathering facts", host=host.name)
        facts = run_coroutine(lambda: _login_and_gather(host, progress))
    except HostKeyChangedError as exc:  # the key store recorded the offered key and stopped the host
        host.refresh_from_db()
        return ContactResult(
            host_key_state=host.host_key_state,
            offered_fingerprint=fingerprint_of(host.offered_host_key) if host.offered_host_key else "",
            error=str(exc),
        )
    except (SshError, ValueError) as exc:
        managed_host_contact_failed(host=host, error=str(exc))
        return ContactResult(host_key_state=host.host_key_state, error=str(exc))
    managed_host_facts_record(host=host, facts=facts)
    return ContactResult(host_key_state=host.host_key_state, facts=facts)
