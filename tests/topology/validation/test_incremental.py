"""Incremental validation gives the report a full validation gives, after any sequence of edits.

Hypothesis draws sequences of edits of every kind (add, change, delete of hosts, interfaces, switches, jails
and their NICs and addresses, VMs, VXLAN segments and members, NAT, redirects and firewall rules, and the
design's own fields), with values that make designs invalid as often as valid ones (names used twice,
addresses that overlap or do not parse, switches that do not exist). After each edit the incremental
validator's report must equal :func:`topology.validation.validate`'s. Edits keep the objects they do not
touch, as the live snapshot of a stored design does (``topology.services.live_design``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.perf.synthetic import synthetic_design
from topology import snapshot as s
from topology.design_io import load_document, snapshot_from_document
from topology.validation import RULES, validate
from topology.validation.incremental import IncrementalValidator, clusters

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _example(name: str) -> s.DesignSnapshot:
    return s.resolve_releases(snapshot_from_document(load_document((EXAMPLES / f"{name}.yaml").read_text())))


STARTS = {
    "s10": _example("s10-vxlan-multicast"),
    "s11": _example("s11-vxlan-unicast"),
    "s07": _example("s07-vnet-vm-dhcp"),
    "synthetic": s.resolve_releases(synthetic_design(hosts=14, jails_per_host=3, vms_per_host=1, segments=4)),
}

HOST_NAMES = ("host0000", "host0003", "jailhost-a", "jailhost-b", "gateway", "newhost", "ghost")
SWITCHES = ("switch0", "switch1", "switch111", "public", "nowhere")
INTERFACES = ("em0", "em1", "igb0", "lo1", "em0.101", "vxlan111")
ADDRESSES = (
    None,
    "10.0.111.20/24",
    "10.0.111.21/24",
    "10.100.0.12/24",
    "10.100.0.13/24",
    "192.168.0.10/24",
    "192.168.0.1/24",
    "10.0.111.0/24",
    "172.16.0.5/32",
    "10.0.0.1/8",
    "10.0.111.300/24",
    "not an address",
)
IPS = (None, "192.168.0.10", "192.168.0.11", "192.168.1.2", "10.0.111.1", "239.1.1.1", "bad")
MACS = (None, "58:9c:fc:00:00:01", "58:9c:fc:00:00:02", "11:22:33:44:55:66", "zz")
NETS = (None, "10.0.111.0/24", "10.100.0.0/16", "10.9.9.0/24", "172.16.0.0/12", "10.0.111.5/24")
VNIS = (111, 222, 333, 0, 20000000)


def _pick(data: st.DataObject, items: tuple[Any, ...] | list[Any]) -> Any:
    return data.draw(st.sampled_from(list(items)))


def _replace_at(items: tuple[Any, ...], position: int, new: Any | None) -> tuple[Any, ...]:
    """``items`` with the one at ``position`` replaced (None: removed)."""
    return items[:position] + ((new,) if new is not None else ()) + items[position + 1 :]


def _edit_list(data: st.DataObject, items: tuple[Any, ...], make: Any, change: Any) -> tuple[Any, ...]:
    """Add a new item, change one, or delete one."""
    action = _pick(data, ("add", "change", "delete") if items else ("add",))
    if action == "add":
        return (*items, make())
    position = data.draw(st.integers(0, len(items) - 1))
    return _replace_at(items, position, change(items[position]) if action == "change" else None)


def _edit_host(data: st.DataObject, host: s.Host) -> s.Host:
    what = _pick(data, ("fields", "interfaces", "switches", "jails", "vms", "nat", "redirects", "firewall", "routes"))
    if what == "fields":
        return replace(
            host,
            default_router=_pick(data, IPS),
            gateway_enable=data.draw(st.booleans()),
            tools=_pick(data, ((), ("iocage",), ("iocage", "vm-bhyve"), ("pot",), ("dnsmasq", "vm-bhyve"))),
            release=_pick(data, (host.release, "14.3-RELEASE", "15.1-RELEASE", "bad;release")),
        )
    if what == "interfaces":
        return replace(
            host,
            interfaces=_edit_list(
                data,
                host.interfaces,
                lambda: s.Interface(name=_pick(data, INTERFACES), address=_pick(data, ADDRESSES)),
                lambda i: replace(i, address=_pick(data, ADDRESSES), mtu=_pick(data, (None, 1500, 9000, 1400))),
            ),
        )
    if what == "switches":
        return replace(
            host,
            switches=_edit_list(
                data,
                host.switches,
                lambda: s.Switch(
                    name=_pick(data, SWITCHES),
                    address=_pick(data, ADDRESSES),
                    ports=(s.SwitchPort(interface=_pick(data, INTERFACES)),) if data.draw(st.booleans()) else (),
                ),
                lambda sw: replace(sw, name=_pick(data, SWITCHES), address=_pick(data, ADDRESSES)),
            ),
        )
    if what == "jails":

        def nic() -> s.JailNic:
            return s.JailNic(
                name=_pick(data, ("vnet0", "vnet1")),
                switch=_pick(data, SWITCHES),
                address=_pick(data, ADDRESSES),
                mac=_pick(data, MACS),
                dhcp=data.draw(st.booleans()),
            )

        def make_jail() -> s.Jail:
            if data.draw(st.booleans()):
                return s.Jail(
                    name=_pick(data, ("www", "db", "cache")), type="vnet", release="14.3-RELEASE", nics=(nic(),)
                )
            address = s.JailAddress(
                interface=_pick(data, (None, *INTERFACES)), address=_pick(data, ("10.0.0.5", "192.168.0.10", "x"))
            )
            return s.Jail(name=_pick(data, ("www", "db", "mail")), release="14.3-RELEASE", addresses=(address,))

        def change_jail(jail: s.Jail) -> s.Jail:
            if jail.type == "vnet":
                return replace(
                    jail,
                    nics=_edit_list(
                        data,
                        jail.nics,
                        nic,
                        lambda n: replace(
                            n, address=_pick(data, ADDRESSES), mac=_pick(data, MACS), switch=_pick(data, SWITCHES)
                        ),
                    ),
                )
            return replace(jail, inherit=data.draw(st.booleans()), default_router=_pick(data, IPS))

        return replace(host, jails=_edit_list(data, host.jails, make_jail, change_jail))
    if what == "vms":

        def vm_nic() -> s.VmNic:
            return s.VmNic(switch=_pick(data, SWITCHES), address=_pick(data, ADDRESSES), mac=_pick(data, MACS))

        return replace(
            host,
            vms=_edit_list(
                data,
                host.vms,
                lambda: s.VirtualMachine(name=_pick(data, ("vm1", "vm2")), nics=(vm_nic(),)),
                lambda vm: replace(vm, nics=(vm_nic(),) if data.draw(st.booleans()) else ()),
            ),
        )
    if what == "nat":
        return replace(
            host,
            nat=_edit_list(
                data,
                host.nat,
                lambda: s.OutboundNat(interface=_pick(data, INTERFACES), source=_pick(data, NETS)),
                lambda n: replace(n, source=_pick(data, NETS), engine=_pick(data, ("pf", "natd"))),
            ),
        )
    if what == "redirects":
        return replace(
            host,
            redirects=_edit_list(
                data,
                host.redirects,
                lambda: s.PortRedirect(
                    interface=_pick(data, INTERFACES),
                    protocol="tcp",
                    external_port=_pick(data, (80, 443, 70000)),
                    target_port=80,
                    target_jail=_pick(data, (None, "www", "db")),
                    target_address=_pick(data, (None, "10.0.111.20")),
                ),
                lambda r: replace(r, external_port=_pick(data, (80, 8080))),
            ),
        )
    if what == "firewall":
        policy = host.firewall or s.FirewallPolicy()
        rules = _edit_list(
            data,
            policy.rules,
            lambda: s.FirewallRule(
                action=_pick(data, ("pass", "block")),
                interface=_pick(data, (None, *INTERFACES)),
                source=_pick(data, NETS),
                port=_pick(data, (None, 22)),
                protocol=_pick(data, ("any", "tcp")),
            ),
            lambda r: replace(r, destination=_pick(data, NETS)),
        )
        return replace(host, firewall=replace(policy, rules=rules, default_block=data.draw(st.booleans())))
    return replace(
        host,
        static_routes=_edit_list(
            data,
            host.static_routes,
            lambda: s.StaticRoute(
                name=_pick(data, ("r1", "r2")), destination=_pick(data, ("10.9.0.0/16", "x")), gateway=_pick(data, IPS)
            ),
            lambda r: replace(r, gateway=_pick(data, IPS)),
        ),
    )


def _member(data: st.DataObject, snap: s.DesignSnapshot) -> s.VxlanMember:
    hosts = [h.name for h in snap.hosts] or ["ghost"]
    return s.VxlanMember(
        host=_pick(data, (*hosts, "ghost")),
        interface_name=_pick(data, ("vxlan111", "vxlan222", "vxlan9")),
        underlay_interface=_pick(data, ("em0", "em1", "igb0")),
        local_address=_pick(data, IPS),
        remote_address=_pick(data, IPS),
        address=_pick(data, ADDRESSES),
        switch=_pick(data, (None, *SWITCHES)),
    )


def _edit_segments(data: st.DataObject, snap: s.DesignSnapshot) -> tuple[s.VxlanSegment, ...]:
    def make() -> s.VxlanSegment:
        return s.VxlanSegment(
            name=_pick(data, ("vx-a", "vx-b", "seg-new")),
            vni=_pick(data, VNIS),
            subnet=_pick(data, NETS),
            mode=_pick(data, ("multicast", "unicast")),
            multicast_group=_pick(data, (None, "239.1.1.1", "239.1.1.2", "10.0.0.1")),
            members=(_member(data, snap),),
        )

    def change(segment: s.VxlanSegment) -> s.VxlanSegment:
        if data.draw(st.booleans()):
            return replace(
                segment,
                members=_edit_list(
                    data,
                    segment.members,
                    lambda: _member(data, snap),
                    lambda m: replace(m, remote_address=_pick(data, IPS), host=_pick(data, (m.host, *HOST_NAMES))),
                ),
            )
        return replace(
            segment,
            vni=_pick(data, VNIS),
            multicast_group=_pick(data, (None, "239.1.1.1", "239.1.1.2")),
            mode=_pick(data, ("multicast", "unicast")),
            subnet=_pick(data, NETS),
        )

    return _edit_list(data, snap.vxlan_segments, make, change)


def _edit(data: st.DataObject, snap: s.DesignSnapshot) -> s.DesignSnapshot:
    what = _pick(data, ("host", "host", "host", "host list", "segments", "segments", "design"))
    if what == "host" and snap.hosts:
        position = data.draw(st.integers(0, len(snap.hosts) - 1))
        return replace(snap, hosts=_replace_at(snap.hosts, position, _edit_host(data, snap.hosts[position])))
    if what in ("host", "host list"):

        def make() -> s.Host:
            return s.Host(
                name=_pick(data, HOST_NAMES),
                release="14.3-RELEASE",
                interfaces=(s.Interface(name="em0", address=_pick(data, ADDRESSES)),),
                nat=(s.OutboundNat(interface="em0", source=_pick(data, NETS)),) if data.draw(st.booleans()) else (),
            )

        return replace(
            snap, hosts=_edit_list(data, snap.hosts, make, lambda h: replace(h, name=_pick(data, HOST_NAMES)))
        )
    if what == "segments":
        return replace(snap, vxlan_segments=_edit_segments(data, snap))
    return replace(
        snap,
        underlay_mtu=_pick(data, (1500, 9000, 1400)),
        description=_pick(data, ("", "lab", "bad`value")),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=st.sampled_from(sorted(STARTS)), data=st.data())
def test_incremental_report_equals_a_full_validation_after_every_edit(start: str, data: st.DataObject) -> None:
    validator = IncrementalValidator(RULES)
    snap = STARTS[start]
    assert validator.validate(snap).as_dict() == validate(snap).as_dict()
    for _ in range(data.draw(st.integers(1, 12))):
        snap = _edit(data, snap)
        assert validator.validate(snap).as_dict() == validate(snap).as_dict()


def test_two_segments_joined_on_another_host_are_one_network_for_a_hosts_addresses() -> None:
    """Found by the test above: host g has the same address on its members of segments A and B; host h lists
    one interface as a member of both, which bridges A and B into one broadcast domain. A full validation then
    finds no "address on two interfaces" on g (they are one network); g's own view of its members cannot see
    the bridge, so the check belongs to the cluster, not to the host."""
    g = s.Host(name="g", interfaces=(s.Interface(name="em0", address="192.0.2.1/24"),))
    h = s.Host(name="h", interfaces=(s.Interface(name="em0", address="192.0.2.2/24"),))

    def segment(name: str, g_interface: str) -> s.VxlanSegment:
        return s.VxlanSegment(
            name=name, vni=111, members=(
                s.VxlanMember(host="g", interface_name=g_interface, underlay_interface="em0",
                              address="10.0.111.20/24"),
                s.VxlanMember(host="h", interface_name="vxlan5", underlay_interface="em0"),
            ),
        )  # fmt: skip

    design = s.resolve_releases(
        s.DesignSnapshot(name="joined", hosts=(g, h), vxlan_segments=(segment("a", "vxlan1"), segment("b", "vxlan2")))
    )
    full = validate(design).as_dict()
    assert not [f for f in full["findings"] if f["code"] == "JN203"], full
    assert IncrementalValidator(RULES).validate(design).as_dict() == full


def test_an_edit_of_one_host_validates_only_that_host_and_its_cluster() -> None:
    snap = s.resolve_releases(synthetic_design(hosts=60, jails_per_host=4, vms_per_host=1, segments=12))
    validator = IncrementalValidator(RULES)
    validator.validate(snap)
    parts = len(clusters(snap)) + len(snap.hosts)
    assert (validator.computed, validator.reused) == (parts, 0)
    edited = replace(snap.hosts[7], default_router="10.0.0.77")
    snap = replace(snap, hosts=_replace_at(snap.hosts, 7, edited))
    assert validator.validate(snap).as_dict() == validate(snap).as_dict()
    assert (validator.computed, validator.reused) == (2, parts - 2)


def test_clusters_join_hosts_through_segments_and_keep_lone_hosts_apart() -> None:
    snap = STARTS["s10"]
    groups = clusters(snap)
    assert sorted(h.name for hosts, _ in groups for h in hosts) == sorted(h.name for h in snap.hosts)
    joined = [hosts for hosts, segments in groups if segments]
    assert all(len(hosts) >= 2 for hosts in joined)
