"""Object references for findings: the ``kind`` the API uses and a readable ``path`` for each object.

Paths follow the design document: ``jailhost-a/jails/vnetjail-a/nics/vnet0``. Named objects use their
name; unnamed ones (plain jail addresses, VM NICs, leases, NAT rules, redirects, firewall rules) use
their position in their list, starting at 0. VXLAN objects live under ``vxlan_segments/<segment>``.
"""

from __future__ import annotations

from .. import snapshot as s
from ..snapshot import ObjectRef


def host_ref(host: s.Host) -> ObjectRef:
    """Reference to a host."""
    return ObjectRef("host", host.name, host.id)


def interface_ref(host: s.Host, interface: s.Interface) -> ObjectRef:
    """Reference to an interface."""
    return ObjectRef("interface", f"{host.name}/interfaces/{interface.name}", interface.id)


def static_route_ref(host: s.Host, route: s.StaticRoute) -> ObjectRef:
    """Reference to a static route."""
    return ObjectRef("static-route", f"{host.name}/static_routes/{route.name}", route.id)


def switch_ref(host: s.Host, switch: s.Switch) -> ObjectRef:
    """Reference to a switch."""
    return ObjectRef("switch", f"{host.name}/switches/{switch.name}", switch.id)


def switch_port_ref(host: s.Host, switch: s.Switch, port: s.SwitchPort) -> ObjectRef:
    """Reference to a switch port."""
    # Switch ports have no kind of their own in the API: the finding points at the switch's port list entry.
    return ObjectRef("switch", f"{host.name}/switches/{switch.name}/ports/{port.interface}", switch.id)


def jail_ref(host: s.Host, jail: s.Jail) -> ObjectRef:
    """Reference to a jail."""
    return ObjectRef("jail", f"{host.name}/jails/{jail.name}", jail.id)


def jail_nic_ref(host: s.Host, jail: s.Jail, nic: s.JailNic) -> ObjectRef:
    """Reference to a VNET jail NIC."""
    return ObjectRef("jail-nic", f"{host.name}/jails/{jail.name}/nics/{nic.name}", nic.id)


def jail_address_ref(host: s.Host, jail: s.Jail, position: int, address: s.JailAddress) -> ObjectRef:
    """Reference to a plain jail address (by position)."""
    return ObjectRef("jail-address", f"{host.name}/jails/{jail.name}/addresses/{position}", address.id)


def vm_ref(host: s.Host, vm: s.VirtualMachine) -> ObjectRef:
    """Reference to a VM."""
    return ObjectRef("vm", f"{host.name}/vms/{vm.name}", vm.id)


def vm_nic_ref(host: s.Host, vm: s.VirtualMachine, position: int, nic: s.VmNic) -> ObjectRef:
    """Reference to a VM NIC (by position)."""
    return ObjectRef("vm-nic", f"{host.name}/vms/{vm.name}/nics/{position}", nic.id)


def dhcp_ref(host: s.Host, service: s.DhcpService) -> ObjectRef:
    """Reference to a DHCP service (by its switch)."""
    return ObjectRef("dhcp-service", f"{host.name}/dhcp/{service.switch}", service.id)


def dhcp_lease_ref(host: s.Host, service: s.DhcpService, position: int, lease: s.DhcpStaticLease) -> ObjectRef:
    """Reference to a DHCP static lease (by position)."""
    return ObjectRef("dhcp-lease", f"{host.name}/dhcp/{service.switch}/static_leases/{position}", lease.id)


def nat_ref(host: s.Host, position: int, nat: s.OutboundNat) -> ObjectRef:
    """Reference to an outbound NAT rule (by position)."""
    return ObjectRef("nat", f"{host.name}/nat/{position}", nat.id)


def redirect_ref(host: s.Host, position: int, redirect: s.PortRedirect) -> ObjectRef:
    """Reference to a port redirect (by position)."""
    return ObjectRef("port-redirect", f"{host.name}/redirects/{position}", redirect.id)


def firewall_ref(owner_path: str, policy: s.FirewallPolicy) -> ObjectRef:
    """``owner_path`` is a host name or a jail path (``jailhost-a/jails/vnetcage``)."""
    return ObjectRef("firewall-policy", f"{owner_path}/firewall", policy.id)


def firewall_rule_ref(owner_path: str, position: int, rule: s.FirewallRule) -> ObjectRef:
    """Reference to a firewall rule (by position)."""
    return ObjectRef("firewall-rule", f"{owner_path}/firewall/rules/{position}", rule.id)


def segment_ref(segment: s.VxlanSegment) -> ObjectRef:
    """Reference to a VXLAN segment."""
    return ObjectRef("vxlan-segment", f"vxlan_segments/{segment.name}", segment.id)


def member_ref(segment: s.VxlanSegment, member: s.VxlanMember) -> ObjectRef:
    """Reference to a VXLAN member (by host and interface name)."""
    return ObjectRef(
        "vxlan-member", f"vxlan_segments/{segment.name}/members/{member.host}/{member.interface_name}", member.id
    )
