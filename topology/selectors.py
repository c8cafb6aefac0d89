"""Reads of the topology room. ``design_snapshot`` builds the frozen input of validation and rendering.

The snapshot is built with a fixed number of queries (one per model, whatever the size of the
design), reading tuples with ``values_list`` rather than model instances: a design with 20,000 jails
must snapshot in well under a second.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Q, QuerySet

from . import models as m
from . import snapshot as s


def _opt(value: str) -> str | None:
    """Database blank → document ``None``."""
    return value or None


def design_snapshot(*, design: m.Design) -> s.DesignSnapshot:
    """The whole design as immutable dataclasses, collections in canonical order."""
    hosts_q = m.Host.objects.filter(design=design)
    by_host: dict[str, dict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))

    def collect(kind: str, rows: QuerySet, build) -> None:  # type: ignore[type-arg]
        for row in rows:
            owner, obj = build(row)
            by_host[kind][owner].append(obj)

    collect(
        "interfaces",
        m.Interface.objects.filter(host__design=design)
        .order_by("host_id", "name")
        .values_list(
            "host_id", "id", "name", "kind", "address", "dhcp", "mtu", "parent__name", "vlan_tag", "description"
        ),
        lambda r: (
            r[0],
            s.Interface(
                id=r[1],
                name=r[2],
                kind=r[3],
                address=_opt(r[4]),
                dhcp=r[5],
                mtu=r[6],
                parent=r[7],
                vlan_tag=r[8],
                description=r[9],
            ),
        ),
    )
    collect(
        "routes",
        m.StaticRoute.objects.filter(host__design=design)
        .order_by("host_id", "name")
        .values_list("host_id", "id", "name", "destination", "gateway", "interface"),
        lambda r: (
            r[0],
            s.StaticRoute(id=r[1], name=r[2], destination=r[3], gateway=_opt(r[4]), interface=_opt(r[5])),
        ),
    )
    collect(
        "ports",
        m.SwitchPort.objects.filter(switch__host__design=design)
        .order_by("switch_id", "interface__name")
        .values_list("switch_id", "id", "interface__name", "private"),
        lambda r: (r[0], s.SwitchPort(id=r[1], interface=r[2], private=r[3])),
    )
    collect(
        "switches",
        m.Switch.objects.filter(host__design=design)
        .order_by("host_id", "name")
        .values_list("host_id", "id", "name", "kind", "address", "mtu", "private"),
        lambda r: (
            r[0],
            s.Switch(
                id=r[1],
                name=r[2],
                kind=r[3],
                address=_opt(r[4]),
                mtu=r[5],
                private=r[6],
                ports=tuple(by_host["ports"].get(r[1], ())),
            ),
        ),
    )
    collect(
        "rules",
        m.FirewallRule.objects.filter(Q(policy__host__design=design) | Q(policy__jail__host__design=design))
        .order_by("policy_id", "index", "id")
        .values_list(
            "policy_id",
            "id",
            "action",
            "direction",
            "quick",
            "interface",
            "protocol",
            "source",
            "destination",
            "port",
            "comment",
            "index",
        ),
        lambda r: (
            r[0],
            s.FirewallRule(
                id=r[1],
                action=r[2],
                direction=r[3],
                quick=r[4],
                interface=_opt(r[5]),
                protocol=r[6],
                source=_opt(r[7]),
                destination=_opt(r[8]),
                port=r[9],
                comment=r[10],
            ),
        ),
    )
    host_policies: dict[int, s.FirewallPolicy] = {}
    jail_policies: dict[int, s.FirewallPolicy] = {}
    policies = m.FirewallPolicy.objects.filter(Q(host__design=design) | Q(jail__host__design=design))
    for p in policies.values_list(
        "id", "host_id", "jail_id", "engine", "default_block", "skip_loopback", "antispoof", "ipfw_type"
    ):
        policy = s.FirewallPolicy(
            id=p[0],
            engine=p[3],
            default_block=p[4],
            skip_loopback=p[5],
            antispoof=p[6],
            ipfw_type=p[7],
            rules=tuple(by_host["rules"].get(p[0], ())),
        )
        if p[1] is not None:
            host_policies[p[1]] = policy
        else:
            jail_policies[p[2]] = policy

    collect(
        "jail_addresses",
        m.JailAddress.objects.filter(jail__host__design=design)
        .order_by("jail_id", "index", "id")
        .values_list("jail_id", "id", "interface_name", "address"),
        lambda r: (r[0], s.JailAddress(id=r[1], interface=_opt(r[2]), address=r[3])),
    )
    collect(
        "jail_nics",
        m.JailNic.objects.filter(jail__host__design=design)
        .order_by("jail_id", "name")
        .values_list("jail_id", "id", "name", "switch__name", "address", "dhcp", "mac", "mtu", "private"),
        lambda r: (
            r[0],
            s.JailNic(
                id=r[1],
                name=r[2],
                switch=r[3],
                address=_opt(r[4]),
                dhcp=r[5],
                mac=_opt(r[6]),
                mtu=r[7],
                private=r[8],
            ),
        ),
    )
    collect(
        "jails",
        m.Jail.objects.filter(host__design=design)
        .order_by("host_id", "name")
        .values_list(
            "host_id",
            "id",
            "name",
            "type",
            "manager",
            "release",
            "boot",
            "inherit",
            "default_router",
            "allow_raw_sockets",
            "devfs_ruleset",
        ),
        lambda r: (
            r[0],
            s.Jail(
                id=r[1],
                name=r[2],
                type=r[3],
                manager=r[4],
                release=r[5],
                boot=r[6],
                inherit=r[7],
                default_router=_opt(r[8]),
                allow_raw_sockets=r[9],
                devfs_ruleset=r[10],
                addresses=tuple(by_host["jail_addresses"].get(r[1], ())),
                nics=tuple(by_host["jail_nics"].get(r[1], ())),
                firewall=jail_policies.get(r[1]),
            ),
        ),
    )
    collect(
        "vm_nics",
        m.VmNic.objects.filter(vm__host__design=design)
        .order_by("vm_id", "index", "id")
        .values_list("vm_id", "id", "switch__name", "address", "dhcp", "mac", "mtu", "private"),
        lambda r: (
            r[0],
            s.VmNic(id=r[1], switch=r[2], address=_opt(r[3]), dhcp=r[4], mac=_opt(r[5]), mtu=r[6], private=r[7]),
        ),
    )
    collect(
        "vms",
        m.VirtualMachine.objects.filter(host__design=design)
        .order_by("host_id", "name")
        .values_list("host_id", "id", "name", "guest", "cpu", "memory", "disk_size", "iso", "boot", "default_router"),
        lambda r: (
            r[0],
            s.VirtualMachine(
                id=r[1],
                name=r[2],
                guest=r[3],
                cpu=r[4],
                memory=r[5],
                disk_size=r[6],
                iso=_opt(r[7]),
                boot=r[8],
                default_router=_opt(r[9]),
                nics=tuple(by_host["vm_nics"].get(r[1], ())),
            ),
        ),
    )
    collect(
        "leases",
        m.DhcpStaticLease.objects.filter(service__host__design=design)
        .order_by("service_id", "mac")
        .values_list("service_id", "id", "mac", "address", "hostname"),
        lambda r: (r[0], s.DhcpStaticLease(id=r[1], mac=r[2], address=r[3], hostname=_opt(r[4]))),
    )
    collect(
        "dhcp",
        m.DhcpService.objects.filter(host__design=design)
        .order_by("host_id", "switch__name")
        .values_list("host_id", "id", "switch__name", "range_start", "range_end", "lease_time"),
        lambda r: (
            r[0],
            s.DhcpService(
                id=r[1],
                switch=r[2],
                range_start=r[3],
                range_end=r[4],
                lease_time=r[5],
                static_leases=tuple(by_host["leases"].get(r[1], ())),
            ),
        ),
    )
    collect(
        "nat",
        m.OutboundNat.objects.filter(host__design=design)
        .order_by("host_id", "interface", "source", "id")
        .values_list("host_id", "id", "interface", "source", "engine"),
        lambda r: (r[0], s.OutboundNat(id=r[1], interface=r[2], source=_opt(r[3]), engine=r[4])),
    )
    collect(
        "redirects",
        m.PortRedirect.objects.filter(host__design=design)
        .order_by("host_id", "interface", "protocol", "external_port", "id")
        .values_list(
            "host_id",
            "id",
            "interface",
            "protocol",
            "external_port",
            "target_port",
            "target_jail__name",
            "target_vm__name",
            "target_address",
        ),
        lambda r: (
            r[0],
            s.PortRedirect(
                id=r[1],
                interface=r[2],
                protocol=r[3],
                external_port=r[4],
                target_port=r[5],
                target_jail=r[6],
                target_vm=r[7],
                target_address=_opt(r[8]),
            ),
        ),
    )

    hosts = []
    for h in hosts_q.order_by("name").values_list(
        "id",
        "name",
        "role",
        "release",
        "has_iocage",
        "has_pot",
        "has_vm_bhyve",
        "has_dnsmasq",
        "default_router",
        "gateway_enable",
        "zfs_pool",
        "vm_dir",
    ):
        hid = h[0]
        tools = tuple(t for t, on in zip(s.HOST_TOOLS, h[4:8], strict=True) if on)
        hosts.append(
            s.Host(
                id=hid,
                name=h[1],
                role=h[2],
                release=h[3],
                tools=tools,
                default_router=_opt(h[8]),
                gateway_enable=h[9],
                zfs_pool=h[10],
                vm_dir=h[11],
                interfaces=tuple(by_host["interfaces"].get(hid, ())),
                static_routes=tuple(by_host["routes"].get(hid, ())),
                switches=tuple(by_host["switches"].get(hid, ())),
                jails=tuple(by_host["jails"].get(hid, ())),
                vms=tuple(by_host["vms"].get(hid, ())),
                dhcp=tuple(by_host["dhcp"].get(hid, ())),
                nat=tuple(by_host["nat"].get(hid, ())),
                redirects=tuple(by_host["redirects"].get(hid, ())),
                firewall=host_policies.get(hid),
            )
        )

    members: dict[int, list[s.VxlanMember]] = defaultdict(list)
    for r in (
        m.VxlanMember.objects.filter(segment__design=design)
        .order_by("segment_id", "host__name", "interface_name")
        .values_list(
            "segment_id",
            "id",
            "host__name",
            "interface_name",
            "underlay_interface__name",
            "local_address",
            "remote_address",
            "address",
            "switch__name",
            "private",
            "group_route",
        )
    ):
        members[r[0]].append(
            s.VxlanMember(
                id=r[1],
                host=r[2],
                interface_name=r[3],
                underlay_interface=r[4],
                local_address=_opt(r[5]),
                remote_address=_opt(r[6]),
                address=_opt(r[7]),
                switch=r[8],
                private=r[9],
                group_route=r[10],
            )
        )
    segments = tuple(
        s.VxlanSegment(
            id=r[0],
            name=r[1],
            vni=r[2],
            subnet=_opt(r[3]),
            mtu=r[4],
            mode=r[5],
            multicast_group=_opt(r[6]),
            udp_port=r[7],
            members=tuple(members.get(r[0], ())),
        )
        for r in m.VxlanSegment.objects.filter(design=design)
        .order_by("name")
        .values_list("id", "name", "vni", "subnet", "mtu", "mode", "multicast_group", "udp_port")
    )
    return s.resolve_releases(
        s.DesignSnapshot(
            id=design.pk,
            name=design.name,
            description=design.description,
            underlay_mtu=design.underlay_mtu,
            default_release=design.default_release,
            hosts=tuple(hosts),
            vxlan_segments=segments,
        )
    )
