"""JN3xx: VXLAN segments — VNIs, multicast groups, unicast peers, local addresses and sockets."""

from __future__ import annotations

from topology import snapshot as s

from .factories import (
    assert_finding,
    assert_no_finding,
    change,
    host,
    vxlan_design,
    with_host,
    with_member,
    with_segment,
)


def unicast_design() -> s.DesignSnapshot:
    """vxlan111 in unicast mode between jailhost-a and jailhost-b only (vxlan222 as in the article)."""
    design = vxlan_design()
    seg = design.vxlan_segments[0]
    members = (
        change(seg.members[1], remote_address="192.168.0.20"),
        change(seg.members[2], remote_address="192.168.0.10"),
    )
    return with_segment(design, "vxlan111", mode="unicast", multicast_group=None, members=members)


def test_vni_above_24_bits_is_an_error():
    design = vxlan_design()
    broken = with_segment(design, "vxlan111", vni=16777216)
    finding = assert_finding(broken, "JN301", "error", "vxlan_segments/vxlan111")
    assert "16777216" in finding.message
    assert_no_finding(design, "JN301")


def test_vni_zero_is_an_error():
    assert_finding(with_segment(vxlan_design(), "vxlan111", vni=0), "JN301", "error", "vxlan_segments/vxlan111")


def test_vni_used_by_two_segments_is_an_error():
    design = vxlan_design()
    broken = with_segment(design, "vxlan222", vni=111)
    assert_finding(broken, "JN302", "error", "vxlan_segments/vxlan111", "vxlan_segments/vxlan222")
    assert_no_finding(design, "JN302")


def test_unicast_address_as_multicast_group_is_an_error():
    design = vxlan_design()
    broken = with_segment(design, "vxlan111", multicast_group="192.168.0.111")
    finding = assert_finding(broken, "JN303", "error", "vxlan_segments/vxlan111")
    assert "not a multicast address" in finding.message
    assert_no_finding(design, "JN303")


def test_link_local_multicast_group_is_an_error():
    broken = with_segment(vxlan_design(), "vxlan111", multicast_group="224.0.0.111")
    finding = assert_finding(broken, "JN303", "error", "vxlan_segments/vxlan111")
    assert "224.0.0.0/24" in finding.message


def test_multicast_group_shared_by_two_segments_is_a_warning():
    design = vxlan_design()
    broken = with_segment(design, "vxlan222", multicast_group="239.0.0.111")
    assert_finding(broken, "JN304", "warning", "vxlan_segments/vxlan111", "vxlan_segments/vxlan222")
    assert_no_finding(design, "JN304")


def test_multicast_segment_without_group_is_an_error():
    design = vxlan_design()
    broken = with_segment(design, "vxlan111", multicast_group=None)
    assert_finding(broken, "JN305", "error", "vxlan_segments/vxlan111")
    assert_no_finding(design, "JN305")


def test_unicast_member_without_remote_is_an_error():
    design = unicast_design()
    broken = with_member(design, "vxlan111", "jailhost-b", remote_address=None)
    assert_finding(broken, "JN306", "error", "vxlan_segments/vxlan111/members/jailhost-b/vxlan111")
    assert_no_finding(design, "JN306")
    assert [f for f in ("JN306", "JN307", "JN308", "JN309") if f in {x.code for x in _all(design)}] == []


def _all(design: s.DesignSnapshot):
    from topology.validation import validate

    return validate(design).findings


def test_unicast_remote_that_is_no_member_is_an_error():
    design = unicast_design()
    broken = with_member(design, "vxlan111", "jailhost-b", remote_address="192.168.0.99")
    finding = assert_finding(broken, "JN307", "error", "vxlan_segments/vxlan111/members/jailhost-b/vxlan111")
    assert "192.168.0.99" in finding.message
    assert_no_finding(design, "JN307")


def test_unicast_remote_pointing_at_itself_is_an_error():
    broken = with_member(unicast_design(), "vxlan111", "jailhost-b", remote_address="192.168.0.20")
    finding = assert_finding(broken, "JN307", "error", "vxlan_segments/vxlan111/members/jailhost-b/vxlan111")
    assert "jailhost-b itself" in finding.message


def test_one_way_unicast_tunnel_is_a_warning():
    design = unicast_design()
    seg = design.vxlan_segments[0]
    # A third member on the gateway tunnels to jailhost-a, but nobody on jailhost-a tunnels back to it.
    gateway = change(
        vxlan_design().vxlan_segments[0].members[0], remote_address="192.168.0.10", interface_name="vxlan111"
    )
    broken = with_segment(design, "vxlan111", members=(*seg.members, gateway))
    assert_finding(
        broken,
        "JN308",
        "warning",
        "vxlan_segments/vxlan111/members/gateway/vxlan111",
        "vxlan_segments/vxlan111/members/jailhost-a/vxlan111",
    )
    assert_no_finding(design, "JN308")


def test_remote_on_a_multicast_member_is_ignored_with_a_warning():
    design = vxlan_design()
    broken = with_member(design, "vxlan111", "jailhost-a", remote_address="192.168.0.20")
    assert_finding(broken, "JN309", "warning", "vxlan_segments/vxlan111/members/jailhost-a/vxlan111")
    assert_no_finding(design, "JN309")


def test_member_without_any_local_address_is_an_error():
    design = vxlan_design()
    broken = with_host(design, "jailhost-b", interfaces=(s.Interface(name="em0", dhcp=True),))
    findings = [f for f in _all(broken) if f.code == "JN310"]
    assert len(findings) == 2  # vxlan111 and vxlan222 on jailhost-b
    assert all(f.severity == "error" and "DHCP" in f.message for f in findings)
    fixed = with_member(broken, "vxlan111", "jailhost-b", local_address="192.168.0.20")
    assert len([f for f in _all(fixed) if f.code == "JN310"]) == 1
    assert_no_finding(design, "JN310")


def test_local_address_not_on_the_host_is_an_error():
    broken = with_member(vxlan_design(), "vxlan111", "jailhost-a", local_address="192.168.0.11")
    finding = assert_finding(broken, "JN310", "error", "vxlan_segments/vxlan111/members/jailhost-a/vxlan111")
    assert "not an address of jailhost-a" in finding.message


def test_two_members_of_a_segment_on_one_host_and_socket_is_an_error():
    # A unicast hub with one interface per peer, all from the same local address: vxlan(4) refuses the second.
    design = unicast_design()
    seg = design.vxlan_segments[0]
    hub = (
        s.VxlanMember(
            host="gateway", interface_name="vxlan111a", underlay_interface="em1", remote_address="192.168.0.10"
        ),
        s.VxlanMember(
            host="gateway", interface_name="vxlan111b", underlay_interface="em1", remote_address="192.168.0.20"
        ),
    )
    broken = with_segment(design, "vxlan111", members=(*seg.members, *hub))
    finding = assert_finding(
        broken,
        "JN311",
        "error",
        "vxlan_segments/vxlan111/members/gateway/vxlan111a",
        "vxlan_segments/vxlan111/members/gateway/vxlan111b",
    )
    assert "192.168.0.1:4789" in finding.message
    interfaces = (*host(design, "gateway").interfaces, s.Interface(name="em2", address="192.168.0.2/24"))
    fixed = with_host(
        with_segment(design, "vxlan111", members=(*seg.members, hub[0], change(hub[1], underlay_interface="em2"))),
        "gateway",
        interfaces=interfaces,
    )
    assert_no_finding(fixed, "JN311")
    assert_no_finding(design, "JN311")


def test_more_than_32_multicast_groups_on_one_socket_is_an_error():
    design = vxlan_design()
    members = vxlan_design().vxlan_segments[0].members[:2]
    many = tuple(
        s.VxlanSegment(
            name=f"seg{n}",
            vni=1000 + n,
            subnet=f"10.50.{n}.0/24",
            multicast_group=f"239.1.0.{n}",
            members=tuple(change(m, interface_name=f"vxlan{1000 + n}", address=None, switch=None) for m in members),
        )
        for n in range(31)
    )
    assert_no_finding(change(design, vxlan_segments=(*design.vxlan_segments, *many[:30])), "JN312")
    broken = change(design, vxlan_segments=(*design.vxlan_segments, *many))
    found = [f for f in _all(broken) if f.code == "JN312"]
    assert [f.severity for f in found] == ["error", "error"]  # gateway and jailhost-a
    assert "33 multicast groups on 192.168.0.1:4789" in found[0].message


def test_segment_with_a_single_member_is_a_warning():
    design = vxlan_design()
    broken = with_segment(design, "vxlan222", members=design.vxlan_segments[1].members[:1])
    assert_finding(broken, "JN313", "warning", "vxlan_segments/vxlan222")
    assert_no_finding(design, "JN313")


def test_udp_port_out_of_range_is_an_error():
    design = vxlan_design()
    broken = with_segment(design, "vxlan222", udp_port=70000)
    assert_finding(broken, "JN314", "error", "vxlan_segments/vxlan222")
    assert_no_finding(design, "JN314")


def _mesh(pairs: list[tuple[str, str]], mode: str = "unicast") -> s.DesignSnapshot:
    """Hosts a, b, c (192.168.0.1-3 on em0, bridge lan each), one VXLAN segment per pair of hosts."""
    addresses = {"a": "192.168.0.1", "b": "192.168.0.2", "c": "192.168.0.3"}
    hosts = tuple(
        s.Host(
            name=name,
            interfaces=(s.Interface(name="em0", address=f"{address}/24"),),
            switches=(s.Switch(name="lan", mtu=1450),),
        )
        for name, address in addresses.items()
    )
    segments = []
    for number, (left, right) in enumerate(pairs, start=1):
        members = tuple(
            s.VxlanMember(
                host=one,
                interface_name=f"vxlan{number}",
                underlay_interface="em0",
                remote_address=addresses[other] if mode == "unicast" else None,
                switch="lan",
            )
            for one, other in ((left, right), (right, left))
        )
        group = f"239.0.0.{number}" if mode == "multicast" else None
        segments.append(
            s.VxlanSegment(name=f"seg{number}", vni=number, mode=mode, multicast_group=group, members=members)
        )
    return s.DesignSnapshot(name="mesh", hosts=hosts, vxlan_segments=tuple(segments))


def test_three_bridges_in_a_unicast_full_mesh_are_a_layer2_loop():
    finding = assert_finding(
        _mesh([("a", "b"), ("b", "c"), ("c", "a")]), "JN315", "error", "vxlan_segments/seg3/members/a/vxlan3"
    )
    assert "closes a loop" in finding.message
    # a hub (c reaches a through b only) is a tree
    assert_no_finding(_mesh([("a", "b"), ("b", "c")]), "JN315")


def test_two_segments_between_the_same_bridges_are_a_loop():
    assert_finding(
        _mesh([("a", "b"), ("a", "b")], mode="multicast"), "JN315", "error", "vxlan_segments/seg2/members/b/vxlan2"
    )


def test_one_multicast_segment_for_three_hosts_is_not_a_loop():
    assert_no_finding(vxlan_design(), "JN315")
    assert_no_finding(_mesh([("a", "b")], mode="multicast"), "JN315")
