"""A synthetic design of any size, shaped like the article's VXLAN example, for benchmarks.

Hosts differ from each other (a design of identical hosts flatters every cache): their numbers of jails,
VMs, switches, VLAN interfaces and VXLAN memberships vary in fixed cycles whose averages are the
parameters, so the totals stay those of the parameters (1,000 hosts: 20,000 jails, 2,000 VMs) and the
design is the same on every run.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from topology import snapshot as s

# Per-host variation, cycled by host index: relative change of the jail count (mean 0), VMs added (mean 0).
JAIL_SPREAD = (-0.4, -0.2, 0.0, 0.2, 0.4)
VM_SPREAD = (-1, 0, 1, 0)


def _addresses(prefix: str, first: int) -> Callable[[int], str]:
    """The address of guest ``n`` on a /24 ``prefix``.0, counting from ``prefix``.``first``."""
    return lambda n: f"{prefix}.{first + n}/24"


def _counts(i: int, jails_per_host: int, vms_per_host: int) -> tuple[int, int]:
    jails = jails_per_host + round(jails_per_host * JAIL_SPREAD[i % len(JAIL_SPREAD)])
    return max(0, jails), max(0, vms_per_host + VM_SPREAD[i % len(VM_SPREAD)])


def synthetic_design(
    *, hosts: int = 1000, jails_per_host: int = 20, vms_per_host: int = 2, segments: int = 200, name: str = "synthetic"
) -> s.DesignSnapshot:
    """Hosts on one underlay; each joins a VXLAN segment through a switch carrying VNET jails and VMs.

    Half the jails of a host are VNET jails, half plain jails aliased on lo1. Every host NATs its segment and
    has a pf firewall. By host index: a third of the hosts have one more switch on a VLAN interface of their
    own (``em0.<tag>``) with DHCP (dnsmasq) for the guests on it, another third two more (the second a
    private switch with no uplink); every seventh host also joins the next segment over a second vxlan
    interface and switch. VNET jails and VMs are spread over a host's switches.
    """
    per_segment = max(1, hosts // segments)
    host_list = []
    members: dict[int, list[s.VxlanMember]] = {k: [] for k in range(segments)}
    plain_base = int(ipaddress.IPv4Address("172.16.0.0"))
    for i in range(hosts):
        seg = min(i // per_segment, segments - 1)
        slot = i - seg * per_segment  # position of the host on its segment
        net = f"10.{100 + seg // 250}.{seg % 250}"
        underlay = f"192.168.{i // 250}.{i % 250 + 1}"
        jail_count, vm_count = _counts(i, jails_per_host, vms_per_host)
        extra_switches = i % 3  # 0, 1 or 2 switches besides switch0
        second_segment = segments > 1 and i % 7 == 0
        host_name = f"host{i:04d}"

        interfaces = [s.Interface(name="em0", address=f"{underlay}/16"), s.Interface(name="lo1", kind="loopback")]
        switches = [s.Switch(name="switch0", address=f"{net}.{200 + slot}/32" if slot < 50 else None)]
        # Where guests attach: (switch, address of guest n on it, default router, MTU: the VXLAN's or none).
        attach: list[tuple[str, Callable[[int], str], str, int | None]] = [
            ("switch0", _addresses(net, 10 + slot * 20), f"{net}.1", 1450)
        ]
        dhcp: list[s.DhcpService] = []
        if extra_switches >= 1:
            tag = 100 + i % 50
            lan = f"172.{20 + i // 250}.{i % 250}"
            interfaces.append(s.Interface(name=f"em0.{tag}", kind="vlan", parent="em0", vlan_tag=tag))
            switches.append(s.Switch(name="switch1", address=f"{lan}.1/24", ports=(s.SwitchPort(f"em0.{tag}"),)))
            attach.append(("switch1", _addresses(lan, 10), f"{lan}.1", None))
            dhcp.append(s.DhcpService(switch="switch1", range_start=f"{lan}.100", range_end=f"{lan}.199"))
        if extra_switches == 2:
            private = f"172.{24 + i // 250}.{i % 250}"
            switches.append(s.Switch(name="switch2", address=f"{private}.1/24", private=True))
            attach.append(("switch2", _addresses(private, 10), f"{private}.1", None))
        if second_segment:
            switches.append(s.Switch(name="switch9"))

        vnet = jail_count // 2
        jails = []
        for j in range(vnet):
            switch, address, router, mtu = attach[j % len(attach)]
            jails.append(
                s.Jail(
                    name=f"vnet{j}",
                    type="vnet",
                    boot=True,
                    default_router=router,
                    nics=(s.JailNic(name="vnet0", switch=switch, address=address(j), mtu=mtu),),
                )
            )
        jails += [
            s.Jail(
                name=f"plain{j}",
                addresses=(
                    s.JailAddress(interface="lo1", address=f"{ipaddress.IPv4Address(plain_base + i * 32 + j + 1)}/32"),
                ),
            )
            for j in range(jail_count - vnet)
        ]
        vms = []
        for v in range(vm_count):
            switch, address, router, mtu = attach[(vnet + v) % len(attach)]
            vms.append(
                s.VirtualMachine(
                    name=f"vm{v}",
                    default_router=router,
                    nics=(s.VmNic(switch=switch, address=address(vnet + v), mtu=mtu),),
                )
            )
        host_list.append(
            s.Host(
                name=host_name,
                tools=("iocage", "vm-bhyve", "dnsmasq"),
                default_router="192.168.0.254" if i else None,
                gateway_enable=extra_switches > 0,  # it routes for the guests on its own LANs
                interfaces=tuple(interfaces),
                switches=tuple(switches),
                jails=tuple(jails),
                vms=tuple(vms),
                dhcp=tuple(dhcp),
                nat=(s.OutboundNat(interface="em0", source=f"{net}.0/24"),),
                firewall=s.FirewallPolicy(
                    default_block=True,
                    antispoof=True,
                    rules=(
                        s.FirewallRule(action="pass", direction="in", interface="em0", protocol="tcp", port=22),
                        s.FirewallRule(action="pass", direction="out"),
                    ),
                ),
            )
        )
        members[seg].append(
            s.VxlanMember(
                host=host_name,
                interface_name=f"vxlan{seg + 1}",
                underlay_interface="em0",
                switch="switch0",
                address=f"{net}.{2 + slot}/24" if slot == 0 else None,
            )
        )
        if second_segment:
            other = (seg + 1) % segments
            members[other].append(
                s.VxlanMember(
                    host=host_name, interface_name=f"vxlan{other + 1}", underlay_interface="em0", switch="switch9"
                )
            )
    vxlan = tuple(
        s.VxlanSegment(
            name=f"segment{k + 1}",
            vni=k + 1,
            subnet=f"10.{100 + k // 250}.{k % 250}.0/24",
            multicast_group=f"239.1.{k // 250}.{k % 250 + 1}",
            members=tuple(members[k]),
        )
        for k in range(segments)
    )
    return s.DesignSnapshot(
        name=name, description="synthetic benchmark design", hosts=tuple(host_list), vxlan_segments=vxlan
    )
