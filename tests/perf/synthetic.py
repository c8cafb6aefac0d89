"""A synthetic design of any size, shaped like the article's VXLAN example, for benchmarks."""

from __future__ import annotations

import ipaddress

from topology import snapshot as s


def synthetic_design(
    *, hosts: int = 1000, jails_per_host: int = 20, vms_per_host: int = 2, segments: int = 200, name: str = "synthetic"
) -> s.DesignSnapshot:
    """Hosts on one underlay; each joins one VXLAN segment through a switch carrying its VNET jails and VMs.

    Half the jails of a host are VNET jails on the switch, half plain jails aliased on lo1; every host
    runs dnsmasq on its switch, NATs the segment and has a pf firewall. One gateway per segment.
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
        vnet = jails_per_host // 2
        jails = [
            s.Jail(
                name=f"vnet{j}",
                type="vnet",
                boot=True,
                default_router=f"{net}.1",
                nics=(s.JailNic(name="vnet0", switch="switch0", address=f"{net}.{10 + slot * 20 + j}/24", mtu=1450),),
            )
            for j in range(vnet)
        ]
        jails += [
            s.Jail(
                name=f"plain{j}",
                addresses=(
                    s.JailAddress(interface="lo1", address=f"{ipaddress.IPv4Address(plain_base + i * 32 + j + 1)}/32"),
                ),
            )
            for j in range(jails_per_host - vnet)
        ]
        vms = [
            s.VirtualMachine(
                name=f"vm{v}",
                default_router=f"{net}.1",
                nics=(s.VmNic(switch="switch0", address=f"{net}.{10 + slot * 20 + vnet + v}/24", mtu=1450),),
            )
            for v in range(vms_per_host)
        ]
        switch_address = f"{net}.{200 + slot}/32" if slot < 50 else None
        host_list.append(
            s.Host(
                name=f"host{i:04d}",
                tools=("iocage", "vm-bhyve", "dnsmasq"),
                default_router="192.168.0.254" if i else None,
                interfaces=(
                    s.Interface(name="em0", address=f"{underlay}/16"),
                    s.Interface(name="lo1", kind="loopback"),
                ),
                switches=(s.Switch(name="switch0", address=switch_address),),
                jails=tuple(jails),
                vms=tuple(vms),
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
                host=f"host{i:04d}",
                interface_name=f"vxlan{seg + 1}",
                underlay_interface="em0",
                switch="switch0",
                address=f"{net}.{2 + slot}/24" if slot == 0 else None,
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
