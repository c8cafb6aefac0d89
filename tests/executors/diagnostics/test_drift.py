"""Drift: a host as deployed gives no finding; each kind of difference gives exactly its finding."""

from __future__ import annotations

import dataclasses
import json

import pytest

from executors.diagnostics.catalogue import Target
from executors.diagnostics.drift import DRIFT_DIAGNOSTICS, DriftSeverity, HostState, drift, drift_of_host, host_state
from executors.diagnostics.expected import expected_host
from topology import snapshot as s
from topology.design_io import load_document, snapshot_from_document
from topology.render.freebsd.jails import epair_names

from .support import ROOT, freebsd, lab_output, s10

IFCONFIG = freebsd("s10-jailhost-b-ifconfig.txt")
IFMCSTAT = freebsd("s10-jailhost-b-ifmcstat.txt")
JLS = freebsd("s10-jailhost-b-jls.txt")


def outputs(ifconfig: str = IFCONFIG, ifmcstat: str = IFMCSTAT, nat: str = "", jls: str = JLS) -> dict[str, str]:
    return {"interfaces": ifconfig, "multicast-memberships": ifmcstat, "pf-nat": nat, "jails": jls}


def findings(
    snapshot: s.DesignSnapshot | None = None, host: str = "jailhost-b", **changes: str
) -> list[tuple[str, str, str]]:
    result = drift_of_host(snapshot or s10(), host, Target.FREEBSD, outputs(**changes))
    return [(f.code, f.message, f.ref.path) for f in result]


def with_host(snapshot: s.DesignSnapshot, name: str, **changes: object) -> s.DesignSnapshot:
    hosts = tuple(dataclasses.replace(h, **changes) if h.name == name else h for h in snapshot.hosts)  # type: ignore[arg-type]
    return dataclasses.replace(snapshot, hosts=hosts)


def test_a_freebsd_host_as_deployed_has_no_drift():
    assert findings() == []
    assert DRIFT_DIAGNOSTICS == ("interfaces", "multicast-memberships", "pf-nat", "jails")


def test_a_jail_port_not_private_is_found_through_iocages_description():
    host = s10().host("jailhost-b")
    assert host is not None
    jail = next(j for j in host.jails if j.name == "vnetjail-b")
    private = dataclasses.replace(jail, nics=(dataclasses.replace(jail.nics[0], private=True),))
    snapshot = with_host(s10(), "jailhost-b", jails=tuple(private if j is jail else j for j in host.jails))
    assert findings(snapshot) == [
        ("member-not-private", "switch111 member vnet0.12 is not PRIVATE", "jailhost-b/jails/vnetjail-b/nics/vnet0")
    ]


def test_a_private_member_the_design_does_not_want():
    ifconfig = IFCONFIG.replace("member: tap0 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>",
                                "member: tap0 flags=943<LEARNING,DISCOVER,PRIVATE,AUTOEDGE,AUTOPTP>")  # fmt: skip
    assert findings(ifconfig=ifconfig) == [
        ("member-private", "switch222 member tap0 is PRIVATE, the design says it is not",
         "jailhost-b/vms/guest-b/nics/0")
    ]  # fmt: skip


def test_a_vxlan_group_differing_from_the_design():
    ifconfig = IFCONFIG.replace("group 239.0.0.222:4789", "group 239.0.0.223:4789")
    assert findings(ifconfig=ifconfig) == [
        ("vxlan-group", "vxlan222 group 239.0.0.223, the design says 239.0.0.222",
         "jailhost-b/vxlan/vxlan222/vxlan222")
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("vxlan vni 111 local", "vxlan vni 112 local", ("vxlan-vni", "vxlan111 VNI 112, the design says 111")),
        ("local 192.168.0.20:4789 group 239.0.0.111:4789", "local 192.168.0.20:8472 group 239.0.0.111:8472",
         ("vxlan-port", "vxlan111 UDP port 8472, the design says 4789")),
        ("local 192.168.0.20:4789 group 239.0.0.111", "local 192.168.0.21:4789 group 239.0.0.111",
         ("vxlan-local", "vxlan111 local address 192.168.0.21, the design says 192.168.0.20")),
        ("vxlan111: flags=8943<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST> metric 0 mtu 1450",
         "vxlan111: flags=8943<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST> metric 0 mtu 1500",
         ("mtu", "vxlan111 MTU 1500, the design says 1450")),
        ("\tinet 10.0.111.21 netmask 0xffffffff broadcast 10.0.111.21\n", "",
         ("address-missing", "vxlan111 has no address 10.0.111.21/32")),
        ("inet 10.0.222.20 netmask 0xffffff00", "inet 10.0.222.20 netmask 0xffff0000",
         ("address-prefix", "vxlan222 address 10.0.222.20/16, the design says /24")),
        ("\tinet 10.0.222.22 netmask 0xffffffff broadcast 10.0.222.22\n",
         "\tinet 10.0.222.22 netmask 0xffffffff broadcast 10.0.222.22\n\tinet 10.9.9.9 netmask 0xffffffff\n",
         ("address-extra", "switch222 has address 10.9.9.9/32, which the design does not have")),
        ("\tmember: vxlan111 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>\n", "",
         ("member-missing", "switch111 member vxlan111 is missing")),
        ("\tmember: vnet0.12 flags=143", "\tmember: epair9a flags=143<LEARNING>\n\tmember: vnet0.12 flags=143",
         ("member-extra", "switch111 member epair9a is not in the design")),
        ("description: vmnet/guest-b/0/switch222", "description: vmnet/other-vm/0/switch222",
         ("member-extra", "switch222 member tap0 is not in the design")),
    ],
)  # fmt: skip
def test_each_difference_gives_exactly_its_finding(old, new, expected):  # type: ignore[no-untyped-def]
    assert old in IFCONFIG
    result = findings(ifconfig=IFCONFIG.replace(old, new))
    if expected[1] == "switch222 member tap0 is not in the design":  # the VM's port is then also missing
        assert [r[:2] for r in result] == [
            ("member-extra", "switch222 member tap0 is not in the design"),
            ("member-missing", "switch222 member the port of vm guest-b nic 0 is missing"),
        ]
        return
    assert [r[:2] for r in result] == [expected]


def test_missing_and_extra_interfaces():
    # vxlan222 destroyed: it is gone, and so is its bridge membership.
    without = IFCONFIG.split("vxlan222: flags=")[0] + "switch111: flags=" + IFCONFIG.split("switch111: flags=")[1]
    without = without.replace("\tmember: vxlan222 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>\n", "")
    extra = IFCONFIG + "bridge7: flags=8802<BROADCAST,SIMPLEX,MULTICAST> metric 0 mtu 1500\n\tgroups: bridge\n"
    assert [r[:2] for r in findings(ifconfig=without)] == [
        ("interface-missing", "vxlan222 does not exist"), ("member-missing", "switch222 member vxlan222 is missing")
    ]  # fmt: skip
    assert findings(ifconfig=extra) == [
        ("interface-extra", "bridge7: a bridge interface the design does not have", "jailhost-b")
    ]


def test_a_group_not_joined_on_the_underlay():
    ifmcstat = IFMCSTAT.replace("\t\tgroup 239.0.0.111 mode exclude\n\t\t\tmcast-macaddr 01:00:5e:00:00:6f\n", "")
    assert findings(ifmcstat=ifmcstat) == [
        ("multicast-not-joined", "group 239.0.0.111 not joined on em0", "jailhost-b/vxlan/vxlan111/vxlan111")
    ]


def test_a_jail_not_running():
    jls = "\n".join(line for line in JLS.splitlines() if "vnetjail-b" not in line)
    result = drift_of_host(s10(), "jailhost-b", Target.FREEBSD, outputs(jls=jls))
    assert [(f.code, f.message, f.ref.path, f.severity) for f in result] == [
        ("jail-not-running", "jail vnetjail-b not running", "jailhost-b/jails/vnetjail-b", DriftSeverity.ERROR)
    ]
    assert result[0].as_dict() == {
        "code": "jail-not-running", "severity": "error", "message": "jail vnetjail-b not running",
        "host": "jailhost-b", "object": {"kind": "jail", "path": "jailhost-b/jails/vnetjail-b", "id": None},
    }  # fmt: skip


def test_pf_nat_and_redirects_are_compared_when_pf_does_them():
    gateway = s10().host("gateway")
    assert gateway is not None
    snapshot = with_host(
        s10(), "gateway",
        nat=(s.OutboundNat("em0", "10.0.0.0/8", "pf"),),
        redirects=(s.PortRedirect("em0", "tcp", 8080, 80, target_address="10.0.111.30"),),
    )  # fmt: skip
    expected = expected_host(snapshot, "gateway", Target.FREEBSD)
    good = (
        "nat on em0 inet from 10.0.0.0/8 to any -> (em0) round-robin\n"
        "rdr on em0 inet proto tcp from any to (em0) port = http-alt -> 10.0.111.30 port 80\n"
    )
    assert drift(expected, host_state(Target.FREEBSD, {"pf-nat": good})) == []
    wrong = "nat on em0 inet from 10.1.0.0/16 to any -> (em0) round-robin\n"
    assert [(f.code, f.message) for f in drift(expected, host_state(Target.FREEBSD, {"pf-nat": wrong}))] == [
        ("nat-extra", "nat rule not in the design: nat on em0 inet from 10.1.0.0/16 to any -> (em0) round-robin"),
        ("nat-missing", "no NAT of 10.0.0.0/8 on em0"),
        ("rdr-missing", "no redirect of tcp port 8080 on em0 to 10.0.111.30:80"),
    ]


def test_natd_cannot_be_read_back_so_it_is_not_reported():
    expected = expected_host(s10(), "gateway", Target.FREEBSD)
    assert not expected.nat_checked
    assert drift(expected, host_state(Target.FREEBSD, {"pf-nat": ""})) == []


def test_what_was_not_collected_is_not_compared():
    assert drift(expected_host(s10(), "jailhost-b", Target.FREEBSD), HostState()) == []


@pytest.mark.parametrize("host", ["gateway", "jailhost-a", "jailhost-b"])
def test_real_lab_hosts_as_brought_up_have_no_drift(host):  # type: ignore[no-untyped-def]
    collected = {
        "interfaces": lab_output(host, "ip-addr.json"), "multicast-memberships": lab_output(host, "ip-maddr.json"),
        "pf-nat": lab_output(host, "nft-ruleset.txt"), "jails": lab_output(host, "ip-netns.json"),
    }  # fmt: skip
    assert drift_of_host(s10(), host, Target.LAB, collected) == []


def test_a_lab_bridge_member_removed_gives_exactly_that_finding():
    links = json.loads(lab_output("jailhost-b", "ip-addr.json"))
    epair = next(link for link in links if link["ifname"] == "epair0a")
    del epair["master"]
    del epair["linkinfo"]["info_slave_kind"]
    collected = {
        "interfaces": json.dumps(links), "multicast-memberships": lab_output("jailhost-b", "ip-maddr.json"),
        "pf-nat": lab_output("jailhost-b", "nft-ruleset.txt"), "jails": lab_output("jailhost-b", "ip-netns.json"),
    }  # fmt: skip
    assert [(f.code, f.message, f.ref.path) for f in drift_of_host(s10(), "jailhost-b", Target.LAB, collected)] == [
        ("member-missing", "switch111 member epair0a is missing", "jailhost-b/jails/vnetjail-b/nics/vnet0")
    ]


POT_IFCONFIG = """\
em0: flags=8863<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500
\tether 08:00:27:4a:11:02
\tinet 192.168.0.2 netmask 0xffffff00 broadcast 192.168.0.255
bridge0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500
\tdescription: pot public bridge
\tether 58:9c:fc:10:d8:1b
\tinet 10.192.0.1 netmask 0xffc00000 broadcast 10.255.255.255
\tid 00:00:00:00:00:00 priority 32768 hellotime 2 fwddelay 15
\tmaxage 20 holdcnt 6 proto rstp maxaddr 2000 timeout 1200
\troot id 00:00:00:00:00:00 priority 32768 ifcost 0 port 0
\tmember: epair1a flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
\t        ifmaxaddr 0 port 7 priority 128 path cost 2000
\tmember: epair0a flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
\t        ifmaxaddr 0 port 6 priority 128 path cost 2000
\tgroups: bridge pot
epair0a: flags=8943<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST> metric 0 mtu 1500
\toptions=8<VLAN_MTU>
\tether 02:f5:dd:bc:cd:0a
\tgroups: epair
epair1a: flags=8943<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST> metric 0 mtu 1500
\toptions=8<VLAN_MTU>
\tether 02:d8:52:a6:86:0a
\tgroups: epair
"""
POT_OUTPUTS = {
    "interfaces": POT_IFCONFIG,
    "pf-nat": 'nat-anchor "pot-nat" all\nrdr-anchor "pot-rdr/*" all\n',
    "jails": "jid=1 name=vnetpot1 host.hostname=vnetpot1.jailhost path=/opt/pot/jails/vnetpot1/m ip4.addr=\n"
    "jid=2 name=vnetpot2 host.hostname=vnetpot2.jailhost path=/opt/pot/jails/vnetpot2/m ip4.addr=\n",
}


def s05() -> s.DesignSnapshot:
    return snapshot_from_document(load_document((ROOT / "examples" / "s05-vnet-pot.yaml").read_text()))


def test_pots_bridge_is_found_by_its_group_and_gateway_and_its_ports_without_description_are_counted():
    """The article's pot host: bridge0 in group pot with POT_GATEWAY; epair0a/epair1a carry no owner."""
    assert drift_of_host(s05(), "jailhost", Target.FREEBSD, POT_OUTPUTS) == []
    third = (
        POT_IFCONFIG.replace(
            "\tgroups: bridge pot\n",
            "\tmember: epair2a flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>\n\tgroups: bridge pot\n",
        )
        + "epair2a: flags=8943<UP> metric 0 mtu 1500\n\tgroups: epair\n"
    )
    result = drift_of_host(s05(), "jailhost", Target.FREEBSD, {**POT_OUTPUTS, "interfaces": third})
    assert [(f.code, f.message) for f in result] == [("member-extra", "potbridge member epair2a is not in the design")]
    no_anchor = drift_of_host(s05(), "jailhost", Target.FREEBSD, {**POT_OUTPUTS, "pf-nat": ""})
    assert [(f.code, f.message) for f in no_anchor] == [("nat-missing", "no nat-anchor pot-nat in pf")]


def test_a_jail_conf_jail_port_is_the_renderers_epair_with_its_description():
    host = s10().host("jailhost-b")
    assert host is not None
    jail = next(j for j in host.jails if j.name == "vnetjail-b")
    conf_jail = dataclasses.replace(jail, manager="jail.conf")
    snapshot = with_host(s10(), "jailhost-b", jails=tuple(conf_jail if j is jail else j for j in host.jails))
    host_side = epair_names(conf_jail, conf_jail.nics[0])[0]
    ifconfig = IFCONFIG.replace("vnet0.12", host_side).replace(
        "associated with jail: vnetjail-b as nic: epair0b", "jail:vnetjail-b:vnet0"
    )
    jls = JLS.replace("name=ioc-vnetjail-b", "name=vnetjail-b")
    assert findings(snapshot, ifconfig=ifconfig, jls=jls) == []
    private = ifconfig.replace(
        f"member: {host_side} flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>",
        f"member: {host_side} flags=943<LEARNING,DISCOVER,PRIVATE,AUTOEDGE,AUTOPTP>",
    )
    assert [f[:2] for f in findings(snapshot, ifconfig=private, jls=jls)] == [
        ("member-private", f"switch111 member {host_side} is PRIVATE, the design says it is not")
    ]
