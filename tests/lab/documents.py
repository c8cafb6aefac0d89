"""Design documents of the article's scenarios, as the lab tests use them.

The repository's ``examples/`` files are written by another part of the project; these are the lab's own
small versions, so the lab tests do not depend on the examples' choices (e.g. whether the gateway's uplink
has an address). Addresses outside the article's are documentation addresses (RFC 5737).
"""

from __future__ import annotations

# S6: VNET jails with pot's public bridge, NAT through pot's anchor and an exported port (redirect).
S6 = """\
format: jailnet-design/1
name: lab-s06-pot
hosts:
  - name: jailhost
    tools: [pot]
    default_router: 192.168.0.1
    interfaces:
      - name: em0
        address: 192.168.0.2/24
    switches:
      - name: bridge0
        kind: pot-bridge
        address: 10.192.0.1/10
    jails:
      - name: vnetpot1
        type: vnet
        manager: pot
        default_router: 10.192.0.1
        nics: [{name: vnet0, switch: bridge0, address: 10.192.0.3/10}]
      - name: vnetpot2
        type: vnet
        manager: pot
        default_router: 10.192.0.1
        nics: [{name: vnet0, switch: bridge0, address: 10.192.0.4/10}]
    nat:
      - {interface: em0, source: 10.192.0.0/10, engine: pot}
    redirects:
      - {interface: em0, protocol: tcp, external_port: 80, target_port: 80, target_jail: vnetpot1}
"""

# S7: an iocage VNET jail on a vm-bhyve switch, NATed by pf on em0.
S7 = """\
format: jailnet-design/1
name: lab-s07-iocage
hosts:
  - name: jailhost
    tools: [iocage, vm-bhyve]
    default_router: 192.168.0.1
    interfaces:
      - name: em0
        address: 192.168.0.2/24
    switches:
      - name: services
        kind: vm-switch
        address: 10.1.1.1/24
    jails:
      - name: vnetcage
        type: vnet
        default_router: 10.1.1.1
        nics: [{name: vnet0, switch: services, address: 10.1.1.2/24}]
    nat:
      - {interface: em0, source: 10.1.1.0/24}
"""

# S8: S7 plus a VM getting its address from dnsmasq, and private switch members: the jail's port is private
# like the VM's, so the jail cannot reach the VM, yet both reach the internet through NAT.
S8 = """\
format: jailnet-design/1
name: lab-s08-private
hosts:
  - name: jailhost
    tools: [iocage, vm-bhyve, dnsmasq]
    default_router: 192.168.0.1
    interfaces:
      - name: em0
        address: 192.168.0.2/24
    switches:
      - name: services
        kind: vm-switch
        address: 10.1.1.1/24
        private: true
    jails:
      - name: vnetcage
        type: vnet
        default_router: 10.1.1.1
        nics: [{name: vnet0, switch: services, address: 10.1.1.2/24, private: true}]
    vms:
      - name: guest
        nics: [{switch: services, dhcp: true, mac: "58:9c:fc:00:00:11"}]
    dhcp:
      - switch: services
        range_start: 10.1.1.10
        range_end: 10.1.1.20
        static_leases: [{mac: "58:9c:fc:00:00:11", address: 10.1.1.11}]
    nat:
      - {interface: em0, source: 10.1.1.0/24}
"""

S10 = """\
format: jailnet-design/1
name: lab-s10-vxlan
hosts:
  - name: gateway
    role: gateway
    gateway_enable: true
    default_router: 203.0.113.1
    interfaces:
      - {name: em0, address: 203.0.113.2/24, description: uplink}
      - {name: em1, address: 192.168.0.1/24}
    nat:
      - {interface: em0, engine: natd}
    firewall: {engine: ipfw, ipfw_type: open}
  - name: jailhost-a
    tools: [iocage, vm-bhyve]
    default_router: 192.168.0.1
    interfaces:
      - {name: igb0, address: 192.168.0.10/24}
    switches:
      - {name: switch111, address: 10.0.111.12/32, mtu: 1450}
      - {name: switch222, address: 10.0.222.12/32, mtu: 1450}
    jails:
      - name: vnetjail-a
        type: vnet
        boot: true
        default_router: 10.0.222.1
        nics: [{name: vnet0, switch: switch222, address: 10.0.222.13/24, mtu: 1450}]
    vms:
      - name: guest-a
        boot: true
        default_router: 10.0.111.1
        nics: [{switch: switch111, address: 10.0.111.13/24, mtu: 1450}]
  - name: jailhost-b
    tools: [iocage, vm-bhyve]
    default_router: 192.168.0.1
    interfaces:
      - {name: em0, address: 192.168.0.20/24}
    switches:
      - {name: switch111, address: 10.0.111.22/32, mtu: 1450}
      - {name: switch222, address: 10.0.222.22/32, mtu: 1450}
    jails:
      - name: plainjail-b
        boot: true
        allow_raw_sockets: true
        addresses: [{interface: vxlan111, address: 10.0.111.21/32}]
      - name: vnetjail-b
        type: vnet
        boot: true
        default_router: 10.0.111.1
        nics: [{name: vnet0, switch: switch111, address: 10.0.111.23/24, mtu: 1450}]
    vms:
      - name: guest-b
        boot: true
        default_router: 10.0.222.1
        nics: [{switch: switch222, address: 10.0.222.23/24, mtu: 1450}]
vxlan_segments:
  - name: vxlan111
    vni: 111
    subnet: 10.0.111.0/24
    multicast_group: 239.0.0.111
    members:
      - {host: gateway, interface_name: vxlan111, underlay_interface: em1, address: 10.0.111.1/24}
      - {host: jailhost-a, interface_name: vxlan111, underlay_interface: igb0, address: 10.0.111.10/24,
         switch: switch111}
      - {host: jailhost-b, interface_name: vxlan111, underlay_interface: em0, address: 10.0.111.20/24,
         switch: switch111}
  - name: vxlan222
    vni: 222
    subnet: 10.0.222.0/24
    multicast_group: 239.0.0.222
    members:
      - {host: gateway, interface_name: vxlan222, underlay_interface: em1, address: 10.0.222.1/24}
      - {host: jailhost-a, interface_name: vxlan222, underlay_interface: igb0, address: 10.0.222.10/24,
         switch: switch222}
      - {host: jailhost-b, interface_name: vxlan222, underlay_interface: em0, address: 10.0.222.20/24,
         switch: switch222}
"""

# S11: the VXLAN example in unicast mode: the gateway is the hub with one vxlan(4) per peer on one switch.
S11 = """\
format: jailnet-design/1
name: lab-s11-unicast
hosts:
  - name: gateway
    role: gateway
    gateway_enable: true
    default_router: 203.0.113.1
    interfaces:
      - {name: em0, address: 203.0.113.2/24}
      - {name: em1, address: 192.168.0.1/24}
    switches:
      - {name: switch111, address: 10.0.111.1/24, mtu: 1450}
    nat:
      - {interface: em0, source: 10.0.111.0/24}
  - name: jailhost-a
    default_router: 192.168.0.1
    interfaces:
      - {name: igb0, address: 192.168.0.10/24}
    switches:
      - {name: switch111, address: 10.0.111.12/32, mtu: 1450}
    jails:
      - name: vnetjail-a
        type: vnet
        default_router: 10.0.111.1
        nics: [{name: vnet0, switch: switch111, address: 10.0.111.13/24, mtu: 1450}]
  - name: jailhost-b
    default_router: 192.168.0.1
    interfaces:
      - {name: em0, address: 192.168.0.20/24}
    switches:
      - {name: switch111, address: 10.0.111.22/32, mtu: 1450}
    jails:
      - name: vnetjail-b
        type: vnet
        default_router: 10.0.111.1
        nics: [{name: vnet0, switch: switch111, address: 10.0.111.23/24, mtu: 1450}]
vxlan_segments:
  - name: vxlan111
    vni: 111
    mode: unicast
    subnet: 10.0.111.0/24
    members:
      - {host: gateway, interface_name: vxlan111a, underlay_interface: em1, remote_address: 192.168.0.10,
         switch: switch111}
      - {host: gateway, interface_name: vxlan111b, underlay_interface: em1, remote_address: 192.168.0.20,
         switch: switch111}
      - {host: jailhost-a, interface_name: vxlan111, underlay_interface: igb0, remote_address: 192.168.0.1,
         address: 10.0.111.10/24, switch: switch111}
      - {host: jailhost-b, interface_name: vxlan111, underlay_interface: em0, remote_address: 192.168.0.1,
         address: 10.0.111.20/24, switch: switch111}
"""


# Firewalls (S9 and the pf example of the plain-jail section, on VNET jails): the host blocks by default and
# passes its own outbound traffic, what comes from the switch, and the redirect to webcage; vnetcage's own
# pf blocks TCP to the internet server (the article blocks 1.1.1.1; the stub has documentation addresses).
FIREWALL = """\
format: jailnet-design/1
name: lab-firewall
hosts:
  - name: jailhost
    default_router: 192.168.0.1
    interfaces:
      - {name: em0, address: 192.168.0.2/24}
    switches:
      - {name: services, kind: vm-switch, address: 10.1.1.1/24}
    jails:
      - name: vnetcage
        type: vnet
        default_router: 10.1.1.1
        devfs_ruleset: 501
        nics: [{name: vnet0, switch: services, address: 10.1.1.2/24}]
        firewall:
          rules:
            - {action: block, quick: true, protocol: tcp, destination: 198.51.100.80, port: 80}
            - {action: pass}
      - name: webcage
        type: vnet
        default_router: 10.1.1.1
        nics: [{name: vnet0, switch: services, address: 10.1.1.3/24}]
    nat:
      - {interface: em0, source: 10.1.1.0/24}
    redirects:
      - {interface: em0, protocol: tcp, external_port: 8080, target_port: 22, target_jail: webcage}
    firewall:
      default_block: true
      rules:
        - {action: pass, direction: out, interface: em0}
        - {action: pass, direction: in, interface: vm-services, destination: "!10.1.1.1"}
        - {action: pass, direction: in, interface: em0, protocol: tcp, destination: 10.1.1.3, port: 22}
"""

# S10 with a pf policy on jailhost-b that blocks everything coming in (and passes what it sends): VXLAN from
# the other hosts is dropped there, so jailhost-b's guests are cut off from the rest of the segment.
S10_CLOSED = S10.replace("name: lab-s10-vxlan", "name: lab-s10-closed").replace(
    "  - name: jailhost-b\n    tools: [iocage, vm-bhyve]\n",
    "  - name: jailhost-b\n    tools: [iocage, vm-bhyve]\n"
    "    firewall: {default_block: true, rules: [{action: pass, direction: out}]}\n",
)

# VLANs: three hosts on one LAN; two share VLAN 101, the third is on VLAN 102 with an address of the same
# subnet, so only the tag (the L2 segment) keeps it apart. A plain jail on each VLAN address, as in S3.
VLANS = """\
format: jailnet-design/1
name: lab-vlans
hosts:
""" + "".join(
    f"""\
  - name: host-{n}
    tools: [iocage]
    interfaces:
      - name: em0
        address: 192.168.0.{n}/24
      - name: em0.{tag}
        kind: vlan
        parent: em0
        vlan_tag: {tag}
        address: 10.1.1.{n}/24
    jails:
      - name: cage-{n}
        addresses: [{{interface: em0.{tag}, address: 10.1.1.{n + 10}}}]
"""
    for n, tag in ((1, 101), (2, 101), (3, 102))
)

SCENARIOS = {
    "s06": S6, "s07": S7, "s08": S8, "s10": S10, "s11": S11, "firewall": FIREWALL, "s10-closed": S10_CLOSED,
    "vlans": VLANS,
}  # fmt: skip
