"""Linux parsers on real output of the S10 lab hosts: the same records as FreeBSD's, in FreeBSD's words."""

from __future__ import annotations

from executors.diagnostics.parsers import linux as p
from executors.diagnostics.records import ArpEntry, ListeningSocket, RawLine, VxlanConfig

from .support import lab_output


def test_ip_addr_gathers_bridge_members_with_freebsd_flag_names_and_vxlan_settings():
    parsed = p.parse_ip_addr_json(lab_output("jailhost-b", "ip-addr.json"))
    assert parsed.unparsed == []
    by_name = {r.name: r for r in parsed.records}
    assert set(by_name) == {"lo", "mgmt0", "em0", "switch111", "switch222", "vxlan111", "vxlan222", "epair0a", "tap0"}
    switch111 = by_name["switch111"]
    assert switch111.kind == "bridge" and switch111.mtu == 1450
    assert [(m.name, m.flags, m.private) for m in switch111.members] == [
        ("vxlan111", ("LEARNING", "DISCOVER"), False),
        ("epair0a", ("LEARNING", "DISCOVER"), False),
    ]
    assert [a.cidr for a in switch111.addresses if a.family == "inet"] == [
        "10.0.111.22/32", "10.0.111.20/24", "10.0.111.21/32"
    ]  # fmt: skip
    assert by_name["vxlan222"].vxlan == VxlanConfig(222, "192.168.0.20", 4789, "239.0.0.222", 4789, True, "em0")
    assert by_name["vxlan222"].master == "switch222"


def test_isolated_bridge_port_is_private():
    text = (
        '[{"ifname":"br0","flags":["UP"],"mtu":1500,"linkinfo":{"info_kind":"bridge"}},'
        '{"ifname":"veth1","master":"br0","flags":["UP"],"mtu":1500,"linkinfo":{"info_kind":"veth",'
        '"info_slave_kind":"bridge","info_slave_data":{"learning":true,"flood":true,"isolated":true,"no":"0x2"}}}]'
    )
    (bridge, _) = p.parse_ip_addr_json(text).records
    assert [(m.name, m.flags, m.private) for m in bridge.members] == [
        ("veth1", ("LEARNING", "DISCOVER", "PRIVATE"), True)
    ]


def test_neighbours_and_maddr():
    neighbours = p.parse_ip_neigh_json(lab_output("jailhost-b", "ip-neigh.json"))
    assert neighbours.unparsed == [] and len(neighbours.records) == 3
    assert all(isinstance(r, ArpEntry) and r.mac for r in neighbours.records)
    joined = p.parse_ip_maddr_json(lab_output("jailhost-b", "ip-maddr.json")).records
    assert {(m.interface, m.group) for m in joined if m.family == "inet" and m.group.startswith("239.")} == {
        ("em0", "239.0.0.111"), ("em0", "239.0.0.222")
    }  # fmt: skip


def test_ss_shows_the_kernels_vxlan_socket():
    parsed = p.parse_ss(lab_output("jailhost-b", "ss-listen.txt"))
    assert parsed.unparsed == []
    assert ListeningSocket("udp", "*", 4789, "0.0.0.0:*", state="UNCONN") in parsed.records
    with_process = p.parse_ss('tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=812,fd=3))\n')
    assert with_process.records[0].command == "sshd" and with_process.records[0].pid == 812


def test_fdb_entries_of_vxlan_devices_are_the_forwarding_table():
    parsed = p.parse_bridge_fdb_json(lab_output("jailhost-b", "bridge-fdb.json"))
    assert parsed.unparsed == []
    assert {(e.interface, e.remote) for e in parsed.records} >= {("vxlan111", "239.0.0.111")}


def test_nft_text_ruleset_nat_and_redirects():
    (rule,) = p.parse_nft_nat(lab_output("gateway", "nft-ruleset.txt")).records
    assert (rule.action, rule.interface, rule.source, rule.target) == ("nat", "em0", "any", "masquerade")
    assert p.parse_nft_nat(lab_output("jailhost-b", "nft-ruleset.txt")).records == []
    text = (
        "table ip jailnet_lab {\n\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
        '\t\tiifname "em0" tcp dport 8080 dnat to 10.0.0.2:80\n'
        '\t\toifname "em1" ip saddr 10.1.0.0/16 snat to 192.0.2.1\n\t}\n}\n'
    )
    parsed = p.parse_nft_nat(text)
    assert parsed.unparsed == []
    assert [(r.action, r.interface, r.source, r.proto, r.port, r.target, r.target_port) for r in parsed.records] == [
        ("rdr", "em0", "any", "tcp", "8080", "10.0.0.2", "80"),
        ("nat", "em1", "10.1.0.0/16", None, None, "192.0.2.1", None),
    ]


def test_not_json_is_kept_raw():
    parsed = p.parse_ip_addr_json('Error: Device "nope" does not exist.\n')
    assert parsed.records == [] and parsed.unparsed == [RawLine(1, 'Error: Device "nope" does not exist.')]
    weird = p.parse_ip_addr_json('[1, {"ifname": 5}, {"ifname": "ok", "flags": "x", "addr_info": 3}]')
    assert [r.name for r in weird.records] == ["ok"] and len(weird.unparsed) == 2
