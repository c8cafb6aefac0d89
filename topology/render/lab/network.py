"""The lab's model of a design as Linux sees it: namespaces, links, L2 domains, routes, NAT. Pure.

Both the lab renderer (what to configure) and the expectation function (what must be reachable) read this
model, so a translation choice (say, addresses of a bridge member moving onto the bridge) is made once.

Translation choices, FreeBSD -> Linux, each reported as a note where the user could be surprised:

* an address on a bridge member (``vxlan111`` in ``switch111``) is configured on the bridge: Linux does not
  deliver IP traffic to an enslaved port, FreeBSD does;
* a host that NATs or redirects forwards IPv4 even without ``gateway_enable`` (pf NAT for jails behind a
  bridge needs forwarding on FreeBSD as well);
* physical interfaces are cabled by subnet: interfaces whose addresses share a subnet sit on one underlay
  bridge ("LAN"); interfaces without an address share one more LAN (VLAN trunks);
* the "internet" is a stub namespace on documentation addresses attached to the LAN of each NAT or redirect
  interface, at the design's default-router address when it has one.
"""

from __future__ import annotations

import hashlib

from topology import snapshot as s

from .model import (
    INTERNET_SERVER,
    MGMT_NETWORK,
    UPLINK_FALLBACK,
    Guest,
    GuestNic,
    IPv4Address,
    IPv4Interface,
    LabNetwork,
    Uplink,
    iface,
    lab_id,
)
from .nodes import NodeInputs, build_nodes


def build_network(snapshot: s.DesignSnapshot) -> LabNetwork:
    """Derive the lab model of ``snapshot``."""
    lid = lab_id(snapshot.name)
    notes: list[str] = []
    hosts = [h.name for h in snapshot.hosts]
    host_netns = {h.name: f"{lid}-{h.name}" for h in snapshot.hosts}
    mgmt = {}
    for index, h in enumerate(snapshot.hosts):
        number = int(MGMT_NETWORK.network_address) + index + 2
        mgmt[h.name] = IPv4Interface(f"{IPv4Address(number)}/{MGMT_NETWORK.prefixlen}")

    # --- which Linux interface carries a design interface's addresses ---------------------------------
    effective: dict[tuple[str, str], str] = {}
    switch_ifname: dict[tuple[str, str], str] = {}
    for h in snapshot.hosts:
        for i in h.interfaces:
            effective[(h.name, i.name)] = i.name
        for w in h.switches:
            switch_ifname[(h.name, w.name)] = w.interface_name
            effective[(h.name, w.name)] = w.interface_name
            effective[(h.name, w.interface_name)] = w.interface_name
            for p in w.ports:
                effective[(h.name, p.interface)] = w.interface_name
    for seg in snapshot.vxlan_segments:
        for m in seg.members:
            if m.switch and (m.host, m.switch) in switch_ifname:
                effective[(m.host, m.interface_name)] = switch_ifname[(m.host, m.switch)]
                if m.address:
                    notes.append(
                        f"{m.host}: address {m.address} of {m.interface_name} is configured on bridge "
                        f"{switch_ifname[(m.host, m.switch)]} (Linux does not deliver IP to a bridge member)"
                    )
            else:
                effective[(m.host, m.interface_name)] = m.interface_name

    # --- underlay LANs ----------------------------------------------------------------------------------
    nat_ifaces = {(h.name, x.interface) for h in snapshot.hosts for x in h.nat}
    nat_ifaces |= {(h.name, x.interface) for h in snapshot.hosts for x in h.redirects}
    lan_keys: dict[str, str] = {}
    lans: dict[str, list[tuple[str, str]]] = {}
    lan_of: dict[tuple[str, str], str] = {}
    uplink_fallback: dict[tuple[str, str], IPv4Interface] = {}
    fallback_index = 0
    for h in snapshot.hosts:
        for i in h.interfaces:
            if i.kind != "physical":
                continue
            if i.address:
                key = str(iface(i.address).network)
            elif (h.name, i.name) in nat_ifaces:
                # An uplink the design leaves to DHCP: give it its own LAN with the stub on documentation space.
                net = list(UPLINK_FALLBACK.subnets(new_prefix=30))[fallback_index]
                fallback_index += 1
                key = f"uplink:{h.name}:{i.name}"
                uplink_fallback[(h.name, i.name)] = IPv4Interface(f"{net.network_address + 2}/{net.prefixlen}")
            else:
                key = "unnumbered"
            if key not in lan_keys:
                lan_keys[key] = f"lan{len(lan_keys)}"
                lans[lan_keys[key]] = []
            lans[lan_keys[key]].append((h.name, i.name))
            lan_of[(h.name, i.name)] = lan_keys[key]

    def lan_of_iface(host: s.Host, name: str) -> str | None:
        i = next((x for x in host.interfaces if x.name == name), None)
        if i is None:
            return None
        if i.kind == "vlan" and i.parent:
            return lan_of.get((host.name, i.parent))
        return lan_of.get((host.name, name))

    # A VLAN is an L2 segment of its own on its parent's LAN: (LAN, tag) -> bridge name, with its members.
    vlan_lans: dict[str, list[tuple[str, str]]] = {}
    for h in snapshot.hosts:
        for i in h.interfaces:
            parent_lan = lan_of_iface(h, i.name) if i.kind == "vlan" and i.vlan_tag is not None else None
            if parent_lan is not None:
                vlan_lans.setdefault(f"{parent_lan}v{i.vlan_tag}", []).append((h.name, i.name))

    # --- uplinks: where the internet stub attaches -----------------------------------------------------
    uplinks: list[Uplink] = []
    owned = {
        iface(a).ip
        for h in snapshot.hosts
        for a in [i.address for i in h.interfaces] + [w.address for w in h.switches]
        if a
    }
    seen_lans: set[str] = set()
    for h in snapshot.hosts:
        for name in dict.fromkeys([x.interface for x in h.nat] + [x.interface for x in h.redirects]):
            design_iface = next((x for x in h.interfaces if x.name == name), None)
            if design_iface is None:
                notes.append(f"{h.name}: NAT/redirect interface {name} is not a host interface; no internet here")
                continue
            lan = lan_of_iface(h, name)
            address = iface(design_iface.address) if design_iface.address else uplink_fallback.get((h.name, name))
            if lan is None or address is None:
                notes.append(f"{h.name}: {name} has no address to NAT behind; the internet stub is not attached")
                continue
            assigned = not design_iface.address
            if lan in seen_lans:
                continue
            seen_lans.add(lan)
            router = IPv4Address(h.default_router) if h.default_router else None
            if router is not None and router in address.network and router not in owned:
                stub = IPv4Interface(f"{router}/{address.network.prefixlen}")
                default_added = False
            else:
                stub = IPv4Interface(f"{_highest_free(address, owned)}/{address.network.prefixlen}")
                default_added = router is None
            uplinks.append(
                Uplink(
                    lan=lan,
                    stub_iface=f"up{len(uplinks)}",
                    stub_address=stub,
                    host=h.name,
                    host_iface=name,
                    host_address=address,
                    assigned_host_address=assigned,
                    default_route_added=default_added,
                )
            )
            if assigned:
                notes.append(f"{h.name}: uplink {name} has no design address; the lab gives it {address}")
            notes.append(f"internet stub: {stub} on the LAN of {h.name} {name}; server {INTERNET_SERVER.ip}")
            if default_added:
                notes.append(f"{h.name}: no default router in the design; the lab routes via the stub {stub.ip}")

    # --- guests (VNET jails and VMs) ------------------------------------------------------------------
    guests: dict[str, list[Guest]] = {}
    for h in snapshot.hosts:
        switches = {w.name: w for w in h.switches}
        items: list[Guest] = []
        epair = tap = 0
        for j in h.jails:
            if j.type != "vnet":
                continue
            nics: list[GuestNic] = []
            for jnic in j.nics:
                sw = switches.get(jnic.switch)
                nics.append(
                    GuestNic(
                        host_side=f"epair{epair}a",
                        guest_side=jnic.name,
                        switch_iface=sw.interface_name if sw else jnic.switch,
                        address=iface(jnic.address) if jnic.address else None,
                        dhcp=jnic.dhcp,
                        mac=jnic.mac or _mac(snapshot.name, h.name, j.name, jnic.name),
                        mtu=jnic.mtu,
                        isolated=jnic.private or bool(sw and sw.private),
                    )
                )
                epair += 1
            items.append(Guest("vnet-jail", j.name, f"{lid}-{h.name}-j-{j.name}", nics, j.default_router))
        for v in h.vms:
            nics = []
            for index, vnic in enumerate(v.nics):
                sw = switches.get(vnic.switch)
                nics.append(
                    GuestNic(
                        host_side=f"tap{tap}",
                        guest_side=f"vtnet{index}",
                        switch_iface=sw.interface_name if sw else vnic.switch,
                        address=iface(vnic.address) if vnic.address else None,
                        dhcp=vnic.dhcp,
                        mac=vnic.mac or _mac(snapshot.name, h.name, v.name, str(index)),
                        mtu=vnic.mtu,
                        isolated=vnic.private or bool(sw and sw.private),
                    )
                )
                tap += 1
            items.append(Guest("vm", v.name, f"{lid}-{h.name}-v-{v.name}", nics, v.default_router))
        guests[h.name] = items

    graph = build_nodes(
        NodeInputs(
            snapshot=snapshot,
            lab_id=lid,
            host_netns=host_netns,
            effective=effective,
            lan_of_iface=lan_of_iface,
            uplinks=uplinks,
            guests=guests,
            notes=notes,
        )
    )
    return LabNetwork(
        lab_id=lid,
        hosts=hosts,
        host_netns=host_netns,
        mgmt_address=mgmt,
        lans=lans,
        vlan_lans=vlan_lans,
        lan_of=lan_of,
        uplinks=uplinks,
        effective_iface=effective,
        guests=guests,
        nodes=graph.nodes,
        endpoints=graph.endpoints,
        bridge_uplink_isolated=graph.bridge_uplink_isolated,
        tunnels=graph.tunnels,
        vxlan_members={h.name: snapshot.vxlan_members_of(h.name) for h in snapshot.hosts},
        notes=notes,
    )


def _mac(*parts: str) -> str:
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return "02:" + ":".join(f"{b:02x}" for b in digest[:5])  # locally administered, unicast


def _highest_free(address: IPv4Interface, owned: set[IPv4Address]) -> IPv4Address:
    """The highest host address of ``address``'s subnet that nobody owns (the stub's end of an uplink).

    Searched from the top, lazily: a /16 underlay has 65,534 addresses and only a few are taken.
    """
    network = address.network
    top = int(network.broadcast_address) - (1 if network.prefixlen < 31 else 0)
    bottom = int(network.network_address) + (1 if network.prefixlen < 31 else 0)
    for value in range(top, bottom - 1, -1):
        candidate = IPv4Address(value)
        if candidate not in owned and candidate != address.ip:
            return candidate
    raise ValueError(f"no free address left in {network} for the internet stub")
