"""vm-bhyve (service, switches, guests) and dnsmasq (DHCP on switches)."""

from __future__ import annotations

import re

from ...snapshot import VirtualMachine
from .context import HostContext, address_of
from .plan import Flag, HostPlan, UnsafeValueError, command_line, conf_word, q

# vm-bhyve's loader per guest type (vm-bhyve templates: bhyveload for FreeBSD, grub for Linux, uefi otherwise)
_LOADERS = {"freebsd": "bhyveload", "linux": "grub"}


def vm_dir_path(vm_dir: str) -> str:
    """Where vm-bhyve's directory is mounted: ``zfs:zroot/vms`` -> ``/zroot/vms`` (default ZFS mountpoint)."""
    return "/" + vm_dir.removeprefix("zfs:").strip("/") if vm_dir.startswith("zfs:") else vm_dir.rstrip("/")


def _uses_vm_bhyve(ctx: HostContext) -> bool:
    return bool(ctx.host.vms) or any(s.kind == "vm-switch" for s in ctx.host.switches)


def manual_switches(ctx: HostContext) -> list[str]:
    """Bridge-kind switches a VM attaches to: vm-bhyve must know them as ``manual`` switches (name order)."""
    used = {nic.switch for vm in ctx.host.vms for nic in vm.nics}
    return [s.name for s in sorted(ctx.host.switches, key=lambda s: s.name) if s.kind == "bridge" and s.name in used]


def _system_conf(ctx: HostContext, manual: list[str]) -> str:
    """vm-bhyve's ``$vm_dir/.config/system.conf`` for the design's switches (what ``vm switch`` writes)."""
    lines: list[str] = []
    names: list[str] = []
    for switch in ctx.host.switches:
        if switch.kind == "vm-switch":
            names.append(switch.name)
            lines.append(f'type_{_var(switch.name)}="standard"')
            if switch.ports:
                lines.append(f'ports_{_var(switch.name)}="{" ".join(conf_word(p.interface) for p in switch.ports)}"')
            if switch.address:
                lines.append(f'addr_{_var(switch.name)}="{conf_word(switch.address)}"')
            if switch.mtu:
                lines.append(f'mtu_{_var(switch.name)}="{switch.mtu}"')
        elif switch.name in manual:
            names.append(switch.name)
            lines += [f'type_{_var(switch.name)}="manual"', f'bridge_{_var(switch.name)}="{conf_word(switch.name)}"']
        else:
            continue
        if switch.private:
            lines.append(f'private_{_var(switch.name)}="yes"')
    return "\n".join([f'switch_list="{" ".join(names)}"', *lines]) + "\n"


def _var(name: str) -> str:
    """A switch name as part of a variable name of vm-bhyve's system.conf (sourced by sh)."""
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise UnsafeValueError(f"{name!r} cannot be part of a variable name in vm-bhyve's system.conf")
    return name


def plan_vm_bhyve(plan: HostPlan, ctx: HostContext) -> None:
    """``vm init`` and the switches: standard switches it creates, manual ones for existing bridges."""
    if not _uses_vm_bhyve(ctx):
        return
    host = ctx.host
    section = plan.section("vm-bhyve and its virtual switches")
    section.enable("vm")
    section.sysrc("vm_dir", host.vm_dir)
    if host.vm_dir.startswith("zfs:"):
        section.cmd("zfs", "create", Flag("-p"), host.vm_dir.removeprefix("zfs:"))  # -p: no error on a re-run
    section.run("vm init")
    manual = manual_switches(ctx)
    for switch in host.switches:
        if switch.kind == "vm-switch":
            options: list[object] = []
            if switch.address:
                options += [Flag("-a"), switch.address]
            if switch.mtu:
                options += [Flag("-m"), switch.mtu]
            section.cmd("vm", "switch", "create", *options, switch.name)
            for port in switch.ports:
                section.cmd("vm", "switch", "add", switch.name, port.interface)
            for _, member in ctx.members_by_switch.get(switch.name, ()):
                section.cmd("vm", "switch", "add", switch.name, member.interface_name)
        elif switch.name in manual:
            section.note(f"{switch.name} is configured in rc.conf; vm-bhyve only attaches guests to it")
            section.cmd("vm", "switch", "create", Flag("-t"), "manual", Flag("-b"), switch.name, switch.name)
        else:
            continue
        if switch.private:
            section.cmd("vm", "switch", "private", switch.name, "on")
    if any(s.kind == "vm-switch" for s in host.switches) or manual:
        path = f"{vm_dir_path(host.vm_dir)}/.config/system.conf"
        section.managed(path, _system_conf(ctx, manual), "vm switch stores these switches")


def plan_dhcp(plan: HostPlan, ctx: HostContext) -> None:
    """dnsmasq serving DHCP (and DNS) on the switches, as in the article, plus static leases."""
    host = ctx.host
    if not host.dhcp:
        return
    lines = ["domain-needed"]
    for service in host.dhcp:
        switch = ctx.switches.get(service.switch)
        address = address_of(switch.address) if switch else None
        if address:
            lines.append(f"listen-address={conf_word(address)}")
        lines.append(f"interface={conf_word(ctx.switch_interface(service.switch))}")
    # bind-dynamic rather than the article's bind-interfaces: the switches are created by vm-bhyve (or pot)
    # after dnsmasq may have started at boot, and bind-dynamic picks up their addresses when they appear
    lines += ["bind-dynamic", "local-service", "dhcp-authoritative"]
    for service in host.dhcp:
        lines.append(
            f"dhcp-range={conf_word(service.range_start)},{conf_word(service.range_end)},{conf_word(service.lease_time)}"
        )
        for lease in service.static_leases:
            hostname = f",{conf_word(lease.hostname)}" if lease.hostname else ""
            lines.append(f"dhcp-host={conf_word(lease.mac)},{conf_word(lease.address)}{hostname}")
    section = plan.section("DHCP (dnsmasq)")
    section.file("/usr/local/etc/dnsmasq.conf", "\n".join(lines) + "\n")
    section.enable("dnsmasq")
    section.run("service dnsmasq start")


def _template(vm: VirtualMachine) -> str:
    lines = [
        f'loader="{_LOADERS.get(vm.guest, "uefi")}"',
        f'cpu="{vm.cpu}"',
        f'memory="{conf_word(vm.memory)}"',
        'disk0_type="virtio-blk"',
        'disk0_name="disk0.img"',
    ]
    return "\n".join(lines) + "\n"


def _guest_settings(vm: VirtualMachine, ctx: HostContext) -> list[str]:
    """What to configure inside the guest (its own rc.conf), for the installer or a provisioning step."""
    lines = []
    for position, nic in enumerate(vm.nics):
        value = "DHCP" if nic.dhcp or not nic.address else f"inet {nic.address}"
        if nic.mtu:
            value += f" mtu {nic.mtu}"
        lines.append(f'ifconfig_vtnet{position}="{value}"')
    if vm.default_router:
        lines.append(f'defaultrouter="{vm.default_router}"')
    return lines


def plan_vms(plan: HostPlan, ctx: HostContext) -> None:
    """Each guest: a template without NICs, ``vm create``, one ``vm add -d network`` per NIC, install, boot."""
    host = ctx.host
    if not host.vms:
        return
    root = vm_dir_path(host.vm_dir)
    for vm in host.vms:
        section = plan.section(f"VM {vm.name}")
        section.note("a template without network: each NIC is added to its switch below (vtnet0, vtnet1 ...)")
        section.file(f"{root}/.templates/{conf_word(vm.name)}.conf", _template(vm))
        if vm.iso and "://" in vm.iso:
            iso = f"{root}/.iso/{vm.iso.rsplit('/', 1)[-1]}"
            section.run(f"[ -e {q(iso)} ] || {command_line('vm', 'iso', vm.iso)}")
        conf = f"{root}/{vm.name}/{vm.name}.conf"
        section.note("created once; a re-run keeps the guest and its disk")
        create = command_line("vm", "create", Flag("-t"), vm.name, Flag("-s"), vm.disk_size, vm.name)
        section.run(f"[ -e {q(conf)} ] || {create}")
        section.note("its NICs in the guest's configuration (what `vm add -d network` writes, without adding")
        section.note("another NIC on every run): network0 is vtnet0 in the guest, network1 vtnet1 ...")
        for position, nic in enumerate(vm.nics):
            section.sysrc_file(conf, f"network{position}_type", "virtio-net")
            section.sysrc_file(conf, f"network{position}_switch", nic.switch)
            if nic.mac:
                section.sysrc_file(conf, f"network{position}_mac", nic.mac)
            if nic.private and not ctx.private_members(nic.switch):
                section.note(f"vm-bhyve marks guests private per switch: run `vm switch private {nic.switch} on`")
        section.note("inside the guest (/etc/rc.conf):")
        for line in _guest_settings(vm, ctx):
            section.note(f"  {line}")
        if vm.iso:
            section.cmd("vm", "install", vm.name, vm.iso.rsplit("/", 1)[-1])
            section.note(f"finish the installer on `vm console {vm.name}` with the settings above")
        if vm.boot:
            section.sysrc("vm_list", vm.name, append=True)
        if not vm.iso:
            section.note(f"no installation medium in the design: install the guest with `vm install {vm.name} ISO`")
