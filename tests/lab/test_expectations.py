"""The expected reachability matrix: what a design promises, derived without running anything."""

from __future__ import annotations

from topology.render.lab import expected_matrix

from .documents import FIREWALL, S6, S8, S10, S10_CLOSED, S11
from .support import snapshot_of


def _cells(document):  # type: ignore[no-untyped-def]
    return {(c.source, c.address, c.protocol, c.port): c for c in expected_matrix(snapshot_of(document))}


def test_s10_vxlan_paths():
    cells = _cells(S10)
    assert cells[("jailhost-a/vnetjail-a", "10.0.222.23", "icmp", None)].expected
    assert cells[("jailhost-a/vnetjail-a", "10.0.222.23", "tcp", 22)].expected
    assert cells[("jailhost-b/plainjail-b", "10.0.111.1", "icmp", None)].expected
    assert cells[("jailhost-b/plainjail-b", "10.0.111.10", "icmp", None)].expected
    # VNET jails reach the internet stub through the gateway's NAT.
    internet = cells[("jailhost-b/vnetjail-b", "198.51.100.80", "tcp", 80)]
    assert internet.expected and "translated" in internet.reason
    assert all(c.expected for c in cells.values())


def test_s8_private_jail_cannot_reach_the_private_vm_but_reaches_the_internet():
    cells = _cells(S8)
    assert not cells[("jailhost/vnetcage", "10.1.1.11", "icmp", None)].expected
    assert not cells[("jailhost/guest", "10.1.1.2", "tcp", 22)].expected
    assert cells[("jailhost/vnetcage", "198.51.100.80", "tcp", 80)].expected
    assert cells[("jailhost/guest", "198.51.100.80", "icmp", None)].expected
    assert cells[("jailhost", "10.1.1.11", "tcp", 22)].expected  # the host still reaches the VM


def test_s6_redirect_from_the_internet_reaches_the_jail():
    cells = _cells(S6)
    assert cells[("internet", "192.168.0.2", "tcp", 80)].expected


def test_s11_nat_covers_only_the_vxlan_network():
    cells = _cells(S11)
    assert cells[("jailhost-a/vnetjail-a", "198.51.100.80", "icmp", None)].expected
    assert not cells[("jailhost-a", "198.51.100.80", "icmp", None)].expected
    assert cells[("jailhost-a/vnetjail-a", "10.0.111.23", "icmp", None)].expected  # spoke to spoke via the hub


def broken_s10() -> str:
    """S10 with jailhost-b's end of VXLAN 222 on VNI 223 (same group): guest-b is cut off."""
    head, tail = S10.split("  - name: vxlan222\n")
    lines = tail.splitlines(keepends=True)
    b_member = next(i for i, line in enumerate(lines) if "host: jailhost-b" in line)
    member = lines[b_member] + lines[b_member + 1]
    rest = "".join(lines[:b_member] + lines[b_member + 2 :])
    extra = (
        "  - name: vxlan222-b\n    vni: 223\n    subnet: 10.0.222.0/24\n    multicast_group: 239.0.0.222\n"
        "    members:\n" + member
    )
    return head + "  - name: vxlan222\n" + rest + extra


def test_wrong_vni_on_one_host_breaks_exactly_the_paths_through_it():
    good, bad = _cells(S10), _cells(broken_s10())
    broken = {k for k, c in bad.items() if not c.expected}
    assert broken
    # guest-b (only on VXLAN 222 of jailhost-b) loses everything beyond its host ...
    assert ("jailhost-b/guest-b", "10.0.222.1", "icmp", None) in broken
    assert ("jailhost-a/vnetjail-a", "10.0.222.23", "icmp", None) in broken
    # ... while VXLAN 111 and the underlay are untouched.
    assert ("jailhost-b/plainjail-b", "10.0.111.1", "icmp", None) not in broken
    assert ("jailhost-b/guest-b", "10.0.222.22", "icmp", None) not in broken
    assert set(good) == set(bad)


def test_firewalls_block_what_their_rules_say():
    cells = _cells(FIREWALL)
    blocked = cells[("jailhost/vnetcage", "198.51.100.80", "tcp", 80)]  # the jail's own pf: block quick
    assert not blocked.expected and "block quick" in blocked.reason
    assert cells[("jailhost/vnetcage", "198.51.100.80", "icmp", None)].expected
    assert not cells[("jailhost/webcage", "10.1.1.1", "icmp", None)].expected  # host: default block
    assert cells[("jailhost/webcage", "192.168.0.2", "icmp", None)].expected  # pass in ... to !10.1.1.1
    assert not cells[("jailhost", "10.1.1.3", "tcp", 22)].expected  # host's own traffic: only out on em0
    assert cells[("internet", "192.168.0.2", "tcp", 8080)].expected  # the redirect is passed


def test_a_host_firewall_that_drops_vxlan_cuts_the_segment_at_that_host():
    cells = _cells(S10_CLOSED)
    cut = cells[("jailhost-a/vnetjail-a", "10.0.222.23", "icmp", None)]
    assert not cut.expected and "VXLAN" in cut.reason
    assert cells[("jailhost-a/vnetjail-a", "10.0.222.1", "icmp", None)].expected  # the gateway is unaffected
    own = cells[("jailhost-b/guest-b", "10.0.222.22", "icmp", None)]  # the host itself: its default block
    assert not own.expected and "blocks in on switch222" in own.reason
