"""FreeBSD parsers on the article's samples and on lines built from the tools' printf formats."""

from __future__ import annotations

from executors.diagnostics.parsers import freebsd as p
from executors.diagnostics.records import (
    ArpEntry,
    FtableEntry,
    JailRecord,
    ListeningSocket,
    MulticastMembership,
    NatRule,
    PfState,
    RawLine,
    VmSwitch,
    VxlanConfig,
)

from .support import freebsd


def test_article_vxlan111_with_its_wrapped_header_and_its_netmask_slip():
    parsed = p.parse_ifconfig(freebsd("article-ifconfig-vxlan111.txt"))
    assert parsed.unparsed == []
    (vxlan,) = parsed.records
    assert (vxlan.name, vxlan.mtu, vxlan.metric, vxlan.mac) == ("vxlan111", 1450, 0, "58:9c:fc:10:ff:fe")
    assert vxlan.flags == ("UP", "BROADCAST", "RUNNING", "PROMISC", "SIMPLEX", "MULTICAST")
    # "netmask 0xfffff00" is the article's slip: not a contiguous mask, so no prefix length is invented.
    assert [(a.address, a.prefixlen, a.netmask) for a in vxlan.addresses] == [
        ("10.0.111.20", None, "0xfffff00"),
        ("10.0.111.21", 32, "0xffffffff"),
    ]
    assert vxlan.groups == ("vxlan",)
    assert vxlan.vxlan == VxlanConfig(111, "192.168.0.20", 4789, "239.0.0.111", 4789, multicast=True)
    assert vxlan.vxlan.group == "239.0.0.111"
    assert vxlan.status == "active" and vxlan.media == "Ethernet autoselect (autoselect <full-duplex>)"


def test_article_iocage_interfaces_bridge_epair_and_vlan():
    parsed = p.parse_ifconfig(freebsd("article-ifconfig-iocage.txt"))
    assert parsed.unparsed == []
    bridge, epair, vlan = parsed.records
    assert bridge.groups == ("bridge", "vm-switch", "viid-10cd3@")
    (member,) = bridge.members
    assert (member.name, member.flags, member.flags_value, member.port, member.priority, member.path_cost) == (
        "vnet0.29", ("LEARNING", "DISCOVER", "AUTOEDGE", "AUTOPTP"), 0x143, 4, 128, 2000
    )  # fmt: skip
    assert not member.private
    assert epair.description == "associated with jail: vnetcage as nic: epair0b"
    assert [(a.family, a.address, a.prefixlen, a.scope) for a in epair.addresses] == [
        ("inet6", "fe80::f64d:30ff:fe13:1e5c", 64, "vnet0.29")
    ]
    assert (vlan.name, vlan.mtu, vlan.vlan_tag, vlan.vlan_parent) == ("em0.101", 1500, 101, "em0")
    assert [a.cidr for a in vlan.addresses] == ["10.1.1.2/32"]


def test_bridge_member_flags_in_ifbifbits_order_with_private_and_stp_lines():
    parsed = p.parse_ifconfig(freebsd("reference-ifconfig-bridge-vxlan.txt"))
    assert parsed.unparsed == []
    bridge, vxlan, vxlan6 = parsed.records
    assert [(m.name, m.flags, m.private, m.port) for m in bridge.members] == [
        ("vxlan0", ("LEARNING", "DISCOVER", "AUTOEDGE", "AUTOPTP"), False, 5),
        ("epair0a", ("LEARNING", "DISCOVER", "PRIVATE", "AUTOEDGE", "AUTOPTP"), True, 4),
        ("em0", ("LEARNING", "DISCOVER", "STP", "AUTOEDGE", "AUTOPTP"), False, 1),
    ]
    assert bridge.flags[-1] == "LOWER_UP" and [a.cidr for a in bridge.addresses] == ["10.0.0.1/24"]
    assert vxlan.vxlan == VxlanConfig(100, "192.168.1.10", 4789, "192.168.1.20", 4789, multicast=False)
    assert "config: learning portrange 10000-65535 ttl 64" in vxlan.extra
    assert vxlan6.vxlan == VxlanConfig(333, "2001:db8::1", 4789, "2001:db8::2", 4789, multicast=False)


def test_unknown_lines_are_kept_raw_with_their_number():
    text = (
        "em0: flags=8843<UP> metric 0 mtu 1500\n\tsomething new 42\nnot an interface line\n"
        "\tinet 10.0.0.1 netmask 0xffffff00\n"
    )
    parsed = p.parse_ifconfig(text)
    assert parsed.unparsed == [RawLine(2, "\tsomething new 42"), RawLine(3, "not an interface line")]
    assert [a.cidr for a in parsed.records[0].addresses] == ["10.0.0.1/24"]


def test_a_line_of_only_a_wrap_mark_is_skipped_like_a_blank_line():
    text = "\\\nem0: flags=8843<UP> metric 0 mtu 1500 \\\n  \\\n\tinet 10.0.0.1 netmask 0xffffff00\n"
    parsed = p.parse_ifconfig(text)
    assert parsed.unparsed == []
    assert [(r.name, r.mtu, [a.cidr for a in r.addresses]) for r in parsed.records] == [("em0", 1500, ["10.0.0.1/24"])]


def test_ifconfig_group_lists_names():
    parsed = p.parse_ifconfig_group("epair0a\nepair1a\n\nnot a name!\n")
    assert parsed.records == ["epair0a", "epair1a"] and parsed.unparsed == [RawLine(4, "not a name!")]


def test_article_arp_table():
    parsed = p.parse_arp(freebsd("article-arp.txt"))
    assert parsed.unparsed == []
    assert parsed.records[0] == ArpEntry("10.0.222.22", "02:0e:35:b7:6d:01", "switch222", "?", permanent=True,
                                         link_type="bridge")  # fmt: skip
    assert parsed.records[-1] == ArpEntry("10.0.111.12", "02:f7:16:28:83:00", "vxlan111", "?", expires=1160,
                                          link_type="ethernet")  # fmt: skip


def test_arp_incomplete_expired_published():
    parsed = p.parse_arp(freebsd("reference-arp.txt"))
    assert parsed.unparsed == []
    incomplete, published = parsed.records[3], parsed.records[4]
    assert incomplete == ArpEntry("10.0.5.9", None, "vlan5", "?", expired=True, link_type="vlan")
    assert published.permanent and published.published and published.link_type == "ethernet"
    assert p.parse_arp_deleted(freebsd("article-arp-deleted.txt")).records == [
        "10.0.111.12", "10.0.111.10", "192.168.0.10"
    ]  # fmt: skip


def test_sockstat_kernel_vxlan_socket_and_jail_services():
    (kernel,) = p.parse_sockstat(freebsd("article-sockstat.txt")).records
    assert kernel == ListeningSocket("udp4", "*", 4789, "**")  # the article's "**" is kept as printed
    parsed = p.parse_sockstat(freebsd("article-sockstat-jail.txt"))
    assert [(r.user, r.command, r.pid, r.fd, r.proto, r.local_address, r.local_port) for r in parsed.records] == [
        ("root", "sshd", 7324, 3, "tcp4", "192.168.0.3", 22),
        ("root", "sendmail", 7183, 3, "tcp4", "192.168.0.3", 25),
        ("root", "syslogd", 7102, 5, "udp4", "192.168.0.3", 514),
    ]
    reference = p.parse_sockstat(freebsd("reference-sockstat.txt"))
    assert reference.unparsed == [] and len(reference.records) == 5
    assert reference.records[3] == ListeningSocket("udp4", "192.168.1.10", 4789, "*:*")


def test_ifmcstat_groups_with_mode_and_mac():
    parsed = p.parse_ifmcstat(freebsd("article-ifmcstat.txt"))
    assert parsed.unparsed == []
    assert parsed.records == [
        MulticastMembership("em0", "inet", "239.0.0.222", "exclude", "01:00:5e:00:00:de"),
        MulticastMembership("em0", "inet", "239.0.0.111", "exclude", "01:00:5e:00:00:6f"),
        MulticastMembership("em0", "inet", "224.0.0.1", "exclude", "01:00:5e:00:00:01"),
    ]
    verbose = p.parse_ifmcstat("em0:\n\t\tgroup 232.1.1.1 mode include srcs 192.0.2.1,192.0.2.2\n")
    assert verbose.records == [MulticastMembership("em0", "inet", "232.1.1.1", "include")]
    reference = p.parse_ifmcstat(freebsd("reference-ifmcstat.txt"))
    assert reference.unparsed == []
    assert reference.records[-1] == MulticastMembership(
        "em0", "inet6", "ff02::1:ff10:1", "exclude", "33:33:ff:10:00:01"
    )


def test_ftable_dump_format_right_aligned_remote_and_zero_padded_expiry():
    parsed = p.parse_vxlan_ftable(freebsd("article-ftable.txt"))
    assert parsed.unparsed == []
    assert parsed.records[0] == FtableEntry(True, 1, "02:f7:16:28:83:00", "192.168.0.10", 2343)
    reference = p.parse_vxlan_ftable(freebsd("reference-ftable.txt"))
    assert reference.unparsed == []
    assert reference.records[-1] == FtableEntry(False, 2, "58:9c:fc:00:55:66", "2001:db8::2", 0)
    assert p.parse_vxlan_ftable("net.link.vxlan.0.ftable.dump: \n").records == []  # an empty table


def test_pf_states_with_translations():
    article = p.parse_pfctl_state(freebsd("article-pfctl-state.txt"))
    assert article.unparsed == []
    assert article.records[1] == PfState("all", "udp", "out", "10.1.1.2:32682", None, "8.8.8.8:53", None,
                                         "MULTIPLE:SINGLE")  # fmt: skip
    reference = p.parse_pfctl_state(freebsd("reference-pfctl-state.txt"))
    assert reference.unparsed == []
    nat = reference.records[1]
    assert (nat.direction, nat.local, nat.local_translated, nat.state) == (
        "out", "192.168.1.10:61834", "10.10.0.2:51522", "ESTABLISHED:ESTABLISHED"
    )  # fmt: skip
    assert reference.records[5].local == "2001:db8::2[128]"


def test_pf_nat_rules():
    (rule,) = p.parse_pfctl_nat(freebsd("article-pfctl-nat.txt")).records
    assert (rule.action, rule.interface, rule.source, rule.destination, rule.target) == (
        "nat", "em0", "10.192.0.0/10", "any", "(em0)"
    )  # fmt: skip
    parsed = p.parse_pfctl_nat(freebsd("reference-pfctl-nat.txt"))
    assert parsed.unparsed == []
    rdr = parsed.records[2]
    assert (rdr.action, rdr.proto, rdr.destination, rdr.port, rdr.target, rdr.target_port) == (
        "rdr", "tcp", "(vtnet0)", "8080", "10.10.0.2", "80"
    )  # fmt: skip
    assert parsed.records[3].port == "http"
    assert parsed.records[4].action == "no-nat"
    assert parsed.records[5] == NatRule("nat-anchor", None, "any", "any", "pot-nat", text='nat-anchor "pot-nat" all')


def test_pf_filter_rules():
    parsed = p.parse_pfctl_rules(freebsd("reference-pfctl-rules.txt"))
    assert parsed.unparsed == []
    assert [(r.action, r.direction, r.quick, r.interface) for r in parsed.records] == [
        ("pass", "in", False, "lo1000000"), ("pass", None, False, None), ("pass", "out", True, None),
        ("block", "in", False, None), ("block", "in", False, None), ("anchor", None, False, None),
    ]  # fmt: skip


def test_jls_name_value_pairs_and_default_table():
    parsed = p.parse_jls(freebsd("reference-jls-n.txt"))
    assert parsed.unparsed == []
    assert parsed.records[1] == JailRecord("ioc-vnetjail-b", 3, "vnetjail-b", "/zroot/iocage/jails/vnetjail-b/root")
    assert parsed.records[2].hostname == "my www" and parsed.records[2].ip4 == "10.0.0.4,10.0.0.5"
    table = p.parse_jls(freebsd("reference-jls-default.txt"))
    assert table.unparsed == []
    assert [(j.jid, j.ip4, j.hostname) for j in table.records] == [(1, "10.0.0.2", "web"), (3, None, "vnetjail")]


def test_vm_switch_list():
    (manual,) = p.parse_vm_switch_list(freebsd("article-vm-switch-list.txt")).records
    assert manual == VmSwitch("switch222", "manual", "switch222", None, False, None, None, ())
    parsed = p.parse_vm_switch_list(freebsd("reference-vm-switch-list.txt"))
    assert parsed.unparsed == []
    assert parsed.records[1].vlan == "100" and parsed.records[2] == VmSwitch(
        "services", "standard", "vm-services", "10.1.1.1/24", True, 1500, None, ("em0", "em1")
    )


def test_iocage_list_script_and_table_forms():
    for name in ("reference-iocage-list-hl.txt", "reference-iocage-list-table.txt"):
        parsed = p.parse_iocage_list(freebsd(name))
        assert parsed.unparsed == [], name
        up, down = parsed.records
        assert (up.name, up.jid, up.running, down.name, down.jid, down.running) == (
            "vnetjail-b", 3, True, "vlancage", None, False
        )  # fmt: skip


def test_pot_ls():
    parsed = p.parse_pot_ls(freebsd("reference-pot-ls.txt"))
    assert parsed.unparsed == []
    assert [(j.name, j.network, j.ip4, j.running) for j in parsed.records] == [
        ("vnetpot1", "public-bridge", "10.192.0.3", True),
        ("aliaspot", "alias", "192.168.0.3", False),
        ("inheritpot", "inherit", None, True),
    ]


def test_tcpdump_lines_carry_the_vni_of_vxlan_headers():
    records = p.parse_tcpdump(freebsd("reference-tcpdump-vxlan.txt")).records
    assert [(r.timestamp, r.vni) for r in records] == [
        (None, None), ("12:34:56.789012", 100), (None, None), ("12:34:57.000001", 42), (None, None), (None, None)
    ]  # fmt: skip
