"""The configuration files a lab host gets: its nftables table (NAT, redirects, firewall) and dnsmasq's."""

from __future__ import annotations

from topology import snapshot as s

from .model import Firewall, LabNetwork, iface
from .plan import NFT_TABLE


def nft_table(net: LabNetwork, h: s.Host) -> str:
    """pf ``nat``/``rdr`` (or natd, pot's anchors) and the host's firewall as one nftables table."""
    eff = net.effective_iface
    node = net.nodes[h.name]
    lines = [f"table ip {NFT_TABLE} {{", f"  # {h.name}: NAT, port redirects and firewall of the design"]
    if h.redirects:
        lines += ["  chain prerouting {", "    type nat hook prerouting priority dstnat; policy accept;"]
        for iface_name, protocol, external, target, port in node.redirects:
            lines.append(f'    iifname "{iface_name}" {protocol} dport {external} dnat to {target}:{port}')
        lines.append("  }")
    if h.nat:
        lines += ["  chain postrouting {", "    type nat hook postrouting priority srcnat; policy accept;"]
        for x in h.nat:
            match = f" ip saddr {x.source}" if x.source else ""
            lines.append(f'    oifname "{eff.get((h.name, x.interface), x.interface)}"{match} masquerade  # {x.engine}')
        lines.append("  }")
    if node.firewall is not None:
        lines += nft_filter(node.firewall, management="mgmt0")
    lines += ["}", ""]
    return "\n".join(lines)


def nft_filter(firewall: Firewall, *, management: str | None) -> list[str]:
    """pf filtering in nftables: ``pf_in``/``pf_out`` decide (``return`` = pass), the hooks call them.

    pf's last-match rule is kept by listing quick rules first in order, then the others last to first, each
    ending the evaluation; the default comes last. Established connections pass (pf keeps state).
    """

    def chain(direction: str) -> list[str]:
        relevant = [r for r in firewall.rules if r.direction in ("any", direction)]
        ordered = [r for r in relevant if r.quick] + [r for r in reversed(relevant) if not r.quick]
        out = [f"  chain pf_{direction} {{"]
        for r in ordered:
            match = []
            if r.iface:
                match.append(f'{"iifname" if direction == "in" else "oifname"} "{r.iface}"')
            if r.source:
                match.append(f"ip saddr {r.source.nft()}")
            if r.destination:
                match.append(f"ip daddr {r.destination.nft()}")
            if r.protocol != "any":
                match.append(f"meta l4proto {r.protocol}")
            if r.port is not None:
                match.append(
                    f"th dport {r.port}" if r.protocol != "any" else f"meta l4proto {{ tcp, udp }} th dport {r.port}"
                )
            out.append(f"    {' '.join(match)} {'return' if r.action == 'pass' else 'drop'}".replace("     ", "    "))
        out += [f"    {'drop' if firewall.default_block else 'return'}", "  }"]
        return out

    lines = chain("in") + chain("out")
    keep = "    ct state established,related accept"
    lab_path = [f'    iifname "{management}" accept  # the lab\'s own management path'] if management else []
    lab_path_out = [f'    oifname "{management}" accept'] if management else []
    lines += ["  chain input {", "    type filter hook input priority filter; policy accept;", keep,
              '    iifname "lo" accept', *lab_path, "    jump pf_in", "  }"]  # fmt: skip
    # Forwarded connections are decided on the way in: pf's states float across interfaces.
    lines += ["  chain forward {", "    type filter hook forward priority filter; policy accept;", keep,
              "    jump pf_in", "  }"]  # fmt: skip
    lines += ["  chain output {", "    type filter hook output priority filter; policy accept;", keep,
              '    oifname "lo" accept', *lab_path_out, "    jump pf_out", "  }"]  # fmt: skip
    return lines


def dnsmasq_conf(d: s.DhcpService, switch: s.Switch, base: str, pid: str) -> str:
    """dnsmasq serving DHCP (only) on ``switch``, its leases and pid file under the host's directory."""
    address = iface(switch.address or "")
    lines = [
        f"# dnsmasq for switch {switch.name} (jailnet lab)",
        "port=0",  # DHCP only: no DNS server, and no forwarding of queries anywhere
        f"interface={switch.interface_name}",
        "bind-interfaces",
        f"listen-address={address.ip}",
        "dhcp-authoritative",
        "user=root",
        f"pid-file={pid}",
        f"dhcp-leasefile={base}/run/dnsmasq-{switch.name}.leases",
        f"dhcp-range={d.range_start},{d.range_end},{address.netmask},{d.lease_time}",
        f"dhcp-option=option:router,{address.ip}",
    ]
    for lease in d.static_leases:
        host = f",{lease.hostname}" if lease.hostname else ""
        lines.append(f"dhcp-host={lease.mac},{lease.address}{host}")
    return "\n".join(lines) + "\n"


__all__ = ["dnsmasq_conf", "nft_filter", "nft_table"]
