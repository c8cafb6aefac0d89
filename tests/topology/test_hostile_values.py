"""Hostile values in EVERY string field of the design format (enumerated from the format's dataclasses, so a
new field is covered without touching this file):

* through the import path: the document is refused, with an error at that field;
* straight into the renderer, bypassing validation: the renderer either refuses the value
  (``UnsafeValueError``) or quotes it so well that the rendered scripts, run under dash with every FreeBSD
  command stubbed, run the same commands as the benign design, create no file the design does not manage,
  add no line to any file, and run nothing unexpected.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from typing import Any, get_args, get_origin, get_type_hints

import pytest
from django.core.exceptions import ValidationError

from topology import snapshot as s
from topology.allowlists import (
    snapshot_validators,
    validate_description,
    validate_free_text,
    validate_rule_comment,
    value_errors,
)
from topology.design_io import _ENUMS, document_from_snapshot, dump_document
from topology.render.freebsd import UnsafeValueError, render_design
from topology.services.designs import design_import_document
from topology.validation import validate

from .render.helpers import file_content
from .render.sandbox import run_script, sandbox_available

HOSTILE = (
    "x;touch /pwned",
    "x; mkdir /pwned",
    "x; echo pwned > /pwned",
    "x\nsysrc /pwned",
    "$(touch /pwned)",
    "`touch /pwned`",
    "x'; touch /pwned; '",
    'x"; touch /pwned; "',
    "x\ntouch /pwned",
    "x\rtouch /pwned",
    "x\x00y",
    "*",
    "/etc/*",
    "-rf",
    "x" * 3000,
    "ok\n",
    "a b",
    "x|touch /pwned",
    "x && touch /pwned",
    "${IFS}touch${IFS}/pwned",
    "x#y",
    "x\\",
    "../../../etc/x",
    "\ndhcp-script=/tmp/x\n",
    'x"\nfoo="bar',
)


# the import path reads a whole document per value: one value of each kind of attack keeps it quick
HOSTILE_FOR_IMPORT = (
    "x;touch /pwned", "$(touch /pwned)", "`touch /pwned`", "x'; touch /pwned; '", "x\ntouch /pwned",
    "x\rtouch /pwned", "x\x00y", "*", "-rf", "x" * 3000, "ok\n", "\ndhcp-script=/tmp/x\n",
)  # fmt: skip


def _string_fields() -> list[tuple[type, str]]:
    """Every (dataclass, field) of the format whose value is text or a list of text, in a stable order."""
    seen: list[tuple[type, str]] = []
    visited: set[type] = set()

    def walk(cls: type) -> None:
        if cls in visited:
            return
        visited.add(cls)
        hints = get_type_hints(cls, vars(s))
        for f in dataclasses.fields(cls):
            tp = hints[f.name]
            if get_origin(tp) in (types.UnionType, typing.Union):
                tp = next(a for a in get_args(tp) if a is not type(None))
            if get_origin(tp) is tuple:
                item = get_args(tp)[0]
                if item is str:
                    seen.append((cls, f.name))
                elif isinstance(item, type) and dataclasses.is_dataclass(item):
                    walk(item)
            elif tp is str:
                seen.append((cls, f.name))
            elif isinstance(tp, type) and dataclasses.is_dataclass(tp):
                walk(tp)

    walk(s.DesignSnapshot)
    return seen


STRING_FIELDS = _string_fields()
_IDS = [f"{cls.__name__}.{name}" for cls, name in STRING_FIELDS]


def _design() -> s.DesignSnapshot:
    """A valid design in which every dataclass of the format appears and every optional text field is set."""
    rule = s.FirewallRule(
        action="pass", direction="in", quick=True, interface="em0", protocol="tcp",
        source="10.0.0.0/24", destination="10.0.0.5", port=22, comment="allow the LAN",
    )  # fmt: skip
    host = s.Host(
        name="hs",
        release="14.1-RELEASE",
        tools=("iocage", "pot", "vm-bhyve", "dnsmasq"),
        default_router="192.168.0.1",
        gateway_enable=True,
        zfs_pool="zroot",
        vm_dir="zfs:zroot/vms",
        interfaces=(
            s.Interface(name="em0", address="192.168.0.2/24", description="uplink"),
            s.Interface(name="em1", mtu=1450, description="lan"),
            s.Interface(name="em0.101", kind="vlan", parent="em0", vlan_tag=101, address="10.1.1.1/24"),
            s.Interface(name="lo1", kind="loopback", address="172.31.255.17/32"),
        ),
        static_routes=(s.StaticRoute(name="r1", destination="10.9.0.0/24", gateway="192.168.0.254", interface="em0"),),
        switches=(
            s.Switch(name="lan", address="10.0.0.1/24", mtu=1450, ports=(s.SwitchPort(interface="em1"),)),
            s.Switch(name="services", kind="vm-switch", address="10.1.2.1/24"),
            s.Switch(name="potbridge", kind="pot-bridge", address="10.192.0.1/10"),
        ),
        jails=(
            s.Jail(name="web", release="14.1-RELEASE", addresses=(s.JailAddress("em0.101", "10.1.1.2"),)),
            s.Jail(
                name="vj",
                type="vnet",
                release="14.1-RELEASE",
                nics=(s.JailNic(name="vnet0", switch="lan", address="10.0.0.5/24", mac="58:9c:fc:00:00:01", mtu=1450),),
                default_router="10.0.0.1",
                devfs_ruleset=501,
                firewall=s.FirewallPolicy(default_block=True, rules=(rule,)),
            ),
            s.Jail(
                name="vp",
                type="vnet",
                manager="pot",
                release="14.1-RELEASE",
                nics=(s.JailNic(name="vnet0", switch="potbridge", address="10.192.0.3/10"),),
            ),
            s.Jail(
                name="jc",
                type="vnet",
                manager="jail.conf",
                release="14.1-RELEASE",
                nics=(s.JailNic(name="vnet0", switch="lan", address="10.0.0.6/24", mtu=1450),),
                default_router="10.0.0.1",
            ),
            s.Jail(name="pa", manager="pot", release="14.1-RELEASE", addresses=(s.JailAddress("em0", "192.168.0.3"),)),
        ),
        vms=(
            s.VirtualMachine(
                name="guest",
                iso="https://download.freebsd.org/ftp/releases/ISO-IMAGES/14.1/FreeBSD-14.1-RELEASE-amd64-bootonly.iso",
                default_router="10.1.2.1",
                nics=(s.VmNic(switch="services", address="10.1.2.9/24", mac="58:9c:fc:00:00:02"),),
            ),
        ),
        dhcp=(
            s.DhcpService(
                switch="services",
                range_start="10.1.2.10",
                range_end="10.1.2.20",
                lease_time="12h",
                static_leases=(s.DhcpStaticLease(mac="58:9c:fc:00:00:03", address="10.1.2.50", hostname="other"),),
            ),
        ),
        nat=(s.OutboundNat(interface="em0", source="10.0.0.0/24"),),
        redirects=(
            s.PortRedirect(
                interface="em0",
                protocol="tcp",
                external_port=8080,
                target_port=80,
                target_jail="web",
                target_vm="guest",
                target_address="10.1.1.2",
            ),
        ),
        firewall=s.FirewallPolicy(default_block=True, antispoof=True, rules=(rule,)),
    )
    peer = s.Host(
        name="peer",
        interfaces=(s.Interface(name="em0", address="192.168.0.3/24"),),
        switches=(s.Switch(name="lan", mtu=1450),),
    )
    segment = s.VxlanSegment(
        name="vx111",
        vni=111,
        subnet="10.0.111.0/24",
        multicast_group="239.0.0.111",
        members=(
            s.VxlanMember(
                host="hs",
                interface_name="vxlan111",
                underlay_interface="em0",
                local_address="192.168.0.2",
                remote_address="192.168.0.3",
                address="10.0.111.1/24",
                switch="lan",
            ),
            s.VxlanMember(host="peer", interface_name="vxlan111", underlay_interface="em0", switch="lan"),
        ),
    )
    return s.DesignSnapshot(name="hostile", description="every field", hosts=(host, peer), vxlan_segments=(segment,))


def _replace(obj: Any, cls: type, name: str, value: str) -> Any:
    """``obj`` with field ``name`` of every ``cls`` instance inside it set to ``value``."""
    if isinstance(obj, tuple):
        return tuple(_replace(item, cls, name, value) for item in obj)
    if not dataclasses.is_dataclass(obj):
        return obj
    changes = {f.name: _replace(getattr(obj, f.name), cls, name, value) for f in dataclasses.fields(obj)}
    if type(obj) is cls:
        changes[name] = (value,) if isinstance(getattr(obj, name), tuple) else value
    return dataclasses.replace(obj, **changes)


def test_every_string_field_of_the_format_has_an_allow_list():
    table = snapshot_validators()
    unchecked = [
        f"{cls.__name__}.{name}"
        for cls, name in STRING_FIELDS
        if (cls, name) not in table and (cls, name) not in _ENUMS and (cls, name) != (s.Host, "tools")
    ]
    assert unchecked == []
    assert len(STRING_FIELDS) >= 60


def test_the_base_design_is_valid_but_for_the_fields_set_only_to_be_attacked():
    """Every optional text field is set, so a route has gateway and interface and a redirect three targets."""
    report = validate(_design())
    assert [(f.code, f.objects[0].path) for f in report.errors] == [
        ("JN214", "hs/static_routes/r1"),
        (report.errors[1].code, "hs/redirects/0"),
    ], report.errors


@pytest.mark.parametrize(("cls", "name"), STRING_FIELDS, ids=_IDS)
def test_import_refuses_hostile_values_with_an_error_at_the_field(cls, name):
    """No database access is allowed here: a refused document never reaches it."""
    validator = snapshot_validators().get((cls, name))
    for value in HOSTILE_FOR_IMPORT:
        if validator is not None and not value_errors(value, validator):
            # allowed where harmless (a description may say "a b" or "x;y"): the renderer test proves it
            assert validator in (validate_free_text, validate_description, validate_rule_comment), (value, validator)
            continue
        text = dump_document(document_from_snapshot(_replace(_design(), cls, name, value)))
        with pytest.raises(ValidationError) as info:
            design_import_document(document_text=text)
        errors = info.value.message_dict
        at_field = any(key == name or key.endswith(f".{name}") for key in errors)
        in_document = any(
            f".{name}:" in message
            or "unknown tool" in message
            # the reader refuses a character no value may hold before it builds values: it names line and column
            or re.match(r"refused: line \d+, column \d+: .* holds the character U\+", message)
            for message in errors.get("document", [])
        )
        assert at_field or in_document, (value, errors)


def _injected_lines(value: str, text: str) -> list[str]:
    """Lines of ``text`` that start with what follows a line break in ``value``: lines the value added.

    sh, rc.conf, pf.conf, dnsmasq.conf and jail.conf all end a line at a newline only; a comment line is
    harmless (a comment in the design may span lines).
    """
    fragments = [part.strip() for part in re.split(r"[\r\n]", value)[1:] if part.strip()]
    return [
        line
        for line in text.split("\n")
        if not line.lstrip().startswith("#") and any(line.lstrip().startswith(fragment) for fragment in fragments)
    ]


_BASELINE: dict[str, Any] = {}


def _baseline() -> dict[str, Any]:
    if not _BASELINE:
        configs = render_design(_design())
        _BASELINE["configs"] = configs
        _BASELINE["runs"] = {host: _run(config) for host, config in configs.items()}
    return _BASELINE


def _run(config: Any):
    written = {
        f.path for f in config.files if f"cat > {f.path} " in config.script or f"cat > '{f.path}' " in config.script
    }
    return run_script(config.script, directories={path.rsplit("/", 1)[0] or "/" for path in written}), written


@pytest.mark.skipif(not sandbox_available(), reason="needs user namespaces, chroot and dash")
@pytest.mark.parametrize(("cls", "name"), STRING_FIELDS, ids=_IDS)
def test_hostile_values_rendered_without_validation_cannot_inject(cls, name):
    """Every payload aims at /pwned with a command that is not stubbed (touch), a stubbed one (mkdir, sysrc)
    or a redirection: quoted, /pwned is never a whole argument, never a file, and no payload line stands alone."""
    baseline = _baseline()
    checked: set[str] = {config.script for config in baseline["configs"].values()}
    for value in HOSTILE:
        try:
            configs = render_design(_replace(_design(), cls, name, value))
        except UnsafeValueError:
            continue  # refused by the renderer itself: nothing is written
        for config in configs.values():
            for text in (config.script, *(f.content for f in config.files)):
                assert _injected_lines(value, text) == [], (value, _injected_lines(value, text))
            if config.script in checked:
                continue  # the same script as one already run: nothing new to learn
            checked.add(config.script)
            run, written = _run(config)
            assert "not found" not in run.stderr, (value, run.stderr)
            assert not [argv for argv in run.argv if "/pwned" in argv[1:]], (value, run.argv)
            assert not [path for path in run.files if "pwned" in path], (value, sorted(run.files))
            assert set(run.files) == written, (value, sorted(set(run.files) ^ written))
            for path in written:
                assert run.files[path].rstrip("\n") == file_content(config, path).rstrip("\n"), (value, path)


@pytest.mark.skipif(not sandbox_available(), reason="needs user namespaces, chroot and dash")
def test_the_sandbox_catches_an_injection():
    """The harness itself: an unquoted value does run its command and create its file."""
    run = run_script("#!/bin/sh\nzfs create tank;touch /pwned\necho x > /made\n")
    assert [argv[0] for argv in run.argv] == ["zfs"]
    assert "touch: not found" in run.stderr
    assert "/made" in run.files
