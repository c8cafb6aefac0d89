"""The lab renderer: a pure, deterministic translation of a design into Linux configuration."""

from __future__ import annotations

from topology.render.lab import build_network, lab_id, render_lab

from .documents import FIREWALL, S8, S10, S11, VLANS
from .support import snapshot_of


def _argv(plan, host):  # type: ignore[no-untyped-def]
    return [c.argv for h in plan.hosts if h.name == host for c in h.commands]


def test_same_snapshot_renders_the_same_plan():
    snap = snapshot_of(S10)
    assert render_lab(snap, state_dir="/x") == render_lab(snap_of_copy(), state_dir="/x")


def snap_of_copy():  # type: ignore[no-untyped-def]
    return snapshot_of(S10)


def test_every_namespace_carries_the_lab_id():
    plan = render_lab(snapshot_of(S10), state_dir="/x")
    assert plan.lab_id == lab_id("lab-s10-vxlan")
    assert all(ns.startswith(plan.lab_id + "-") for ns in plan.namespaces)
    assert f"{plan.lab_id}-jailhost-a-j-vnetjail-a" in plan.namespaces


def test_vxlan_uses_the_designs_vni_group_and_port_over_the_underlay_device():
    plan = render_lab(snapshot_of(S10), state_dir="/x")
    argv = _argv(plan, "jailhost-a")
    assert ("ip", "link", "add", "vxlan222", "type", "vxlan", "id", "222", "group", "239.0.0.222", "dev", "igb0",
            "local", "192.168.0.10", "dstport", "4789") in argv  # fmt: skip
    assert ("ip", "route", "replace", "239.0.0.222/32", "dev", "igb0") in argv
    # The member's address moves to the bridge, where Linux delivers IP.
    assert ("ip", "addr", "add", "10.0.222.10/24", "dev", "switch222") in argv


def test_plain_jail_gets_its_alias_and_a_listener_bound_to_it():
    plan = render_lab(snapshot_of(S10), state_dir="/x")
    argv = _argv(plan, "jailhost-b")
    assert ("ip", "addr", "add", "10.0.111.21/32", "dev", "switch111") in argv
    host = next(h for h in plan.hosts if h.name == "jailhost-b")
    assert f"{host.netns},10.0.111.21:22,jailhost-b/plainjail-b" in host.listeners  # host namespace, on the alias
    assert any(spec.endswith(",0.0.0.0:22,jailhost-b/vnetjail-b") for spec in host.listeners)
    # One listener daemon for the whole lab serves them all (and the stub's server), from a spec file.
    (specs,) = [f.content.splitlines() for f in plan.listener_files if f.path.endswith("listeners.txt")]
    assert set(host.listeners) <= set(specs) and any(x.endswith(",198.51.100.80:80,internet") for x in specs)
    (listener,) = plan.listener
    assert "listen" in listener.argv and "/x/run/listeners.pid" in plan.pidfiles


def test_gateway_nat_becomes_one_nftables_table():
    plan = render_lab(snapshot_of(S10), state_dir="/x")
    gateway = next(h for h in plan.hosts if h.name == "gateway")
    nft = next(f for f in gateway.files if f.path.endswith("nftables.nft"))
    assert "table ip jailnet_lab" in nft.content
    assert 'oifname "em0" masquerade' in nft.content
    (sysctl,) = [c.argv for c in gateway.commands if c.argv[0] == "sysctl"]  # one process for every key
    assert "net.ipv4.ip_forward=1" in sysctl and "net.ipv4.conf.all.rp_filter=0" in sysctl


def test_private_members_are_isolated_ports_and_dhcp_is_real_dnsmasq():
    plan = render_lab(snapshot_of(S8), state_dir="/x")
    argv = _argv(plan, "jailhost")
    assert ("ip", "link", "set", "epair0a", "type", "bridge_slave", "isolated", "on") in argv
    assert ("ip", "link", "set", "tap0", "type", "bridge_slave", "isolated", "on") in argv
    host = plan.hosts[0]
    conf = next(f for f in host.files if "dnsmasq" in f.path)
    assert "dhcp-host=58:9c:fc:00:00:11,10.1.1.11" in conf.content
    assert "port=0" in conf.content
    assert any("udhcpc" in a for a in argv)


def test_unicast_hub_peers_become_fdb_entries():
    argv = _argv(render_lab(snapshot_of(S11), state_dir="/x"), "gateway")
    assert ("bridge", "fdb", "append", "00:00:00:00:00:00", "dev", "vxlan111a", "dst", "192.168.0.10") in argv
    assert ("bridge", "fdb", "append", "00:00:00:00:00:00", "dev", "vxlan111a", "dst", "192.168.0.20") in argv


def test_what_is_not_emulated_is_said():
    notes = "\n".join(render_lab(snapshot_of(S10), state_dir="/x").notes)
    assert "jailhost-a/guest-a: bhyve guest freebsd" in notes
    assert "allow_raw_sockets" in notes
    assert "jailhost-a/vnetjail-a: manager iocage, release 15.1-RELEASE, boot on" in notes


def test_pf_becomes_nftables_with_last_match_order_and_the_management_path_kept_open():
    plan = render_lab(snapshot_of(FIREWALL), state_dir="/x")
    host = plan.hosts[0]
    nft = next(f for f in host.files if f.path.endswith("/nftables.nft")).content
    pf_in = nft[nft.index("chain pf_in") : nft.index("chain pf_out")]
    # quick rules first, then the others last to first, then the default
    assert pf_in.index('iifname "em0" ip daddr 10.1.1.3/32') < pf_in.index('iifname "vm-services" ip daddr != ')
    assert pf_in.rstrip().endswith("drop\n  }") or "    drop\n  }" in pf_in
    assert 'iifname "mgmt0" accept' in nft
    jail = next(f for f in host.files if f.path.endswith("/nftables-vnetcage.nft")).content
    assert "ip daddr 198.51.100.80/32 meta l4proto tcp th dport 80 drop" in jail


def test_internet_stub_sits_at_the_gateways_default_router():
    net = build_network(snapshot_of(S10))
    (uplink,) = net.uplinks
    assert (uplink.host, uplink.host_iface, str(uplink.stub_address)) == ("gateway", "em0", "203.0.113.1/24")


def test_vlans_are_tagged_sub_interfaces_or_links_of_their_own_into_the_vlans_segment():
    snapshot = snapshot_of(VLANS)
    tagged = render_lab(snapshot, state_dir="/x")
    assert ("ip", "link", "add", "link", "em0", "name", "em0.101", "type", "vlan", "id", "101") in _argv(
        tagged, "host-1"
    )
    untagged = render_lab(snapshot, state_dir="/x", vlan_kind="veth")
    fabric = [c.argv for c in untagged.fabric]
    assert not [a for a in _argv(untagged, "host-1") if "vlan" in a]
    # One bridge per (LAN, tag): hosts 1 and 2 share lan0v101; host 3 is alone on lan0v102.
    for host, bridge in (("host-1", "lan0v101"), ("host-2", "lan0v101"), ("host-3", "lan0v102")):
        netns = f"{untagged.lab_id}-{host}"
        cable = next(a for a in fabric if a[:4] == ("ip", "link", "add", "em0." + bridge[-3:]) and netns in a)
        peer = cable[cable.index("name", 4) + 1]
        assert ("ip", "-n", f"{untagged.lab_id}-underlay", "link", "set", peer, "master", bridge) in fabric
    assert any("no tags on the wire" in note for note in untagged.notes)
