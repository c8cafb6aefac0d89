"""The catalogue: every entry consistent, argv built exactly as the article types the commands."""

from __future__ import annotations

import dataclasses
import subprocess

import pytest

from executors.diagnostics.catalogue import (
    CATALOGUE,
    NotAvailable,
    Role,
    Target,
    build_argv,
    build_command,
    catalogue_as_dicts,
    pf_diagnostic,
)
from executors.diagnostics.context import host_facts, parameter_context
from executors.diagnostics.params import HostFacts, UnsafeParameter, remote_command
from executors.diagnostics.parsers import PARSERS

from .support import ROOT, freebsd, s10

F, L = Target.FREEBSD, Target.LAB


@pytest.fixture(scope="module")
def freebsd_b():  # type: ignore[no-untyped-def]
    return parameter_context(s10(), "jailhost-b", F)


@pytest.fixture(scope="module")
def lab_b():  # type: ignore[no-untyped-def]
    return parameter_context(s10(), "jailhost-b", L)


def test_every_entry_names_existing_parsers_and_mutating_ones_need_operator_and_confirmation():
    assert len({d.id for d in CATALOGUE}) == len(CATALOGUE)
    for entry in CATALOGUE:
        for name in entry.parsers.values():
            assert name is None or name in PARSERS, (entry.id, name)
        if entry.mutates:
            assert entry.role is Role.OPERATOR and entry.confirmation and entry.audited
        else:
            assert entry.role is Role.VIEWER and not entry.audited
    assert [d.id for d in CATALOGUE if d.mutates] == ["arp-flush", "vxlan-flush"]
    assert [d.id for d in CATALOGUE if d.streams] == ["capture"]
    # Only what the lab does not emulate has no lab equivalent.
    assert {d.id for d in CATALOGUE if d.lab is None} == {
        "interface-group", "pf-state", "pf-info", "vm-switches", "iocage-jails", "pot-jails"
    }  # fmt: skip


def test_a_pf_table_selects_its_entry_and_nothing_else_passes():
    assert [pf_diagnostic(t) for t in ("nat", "rules", "state", "info")] == [
        "pf-nat",
        "pf-rules",
        "pf-state",
        "pf-info",
    ]
    with pytest.raises(UnsafeParameter, match="must be one of nat, rules, state, info"):
        pf_diagnostic("nat -F all")


def test_the_documentation_lists_every_diagnostic_and_parser():
    text = (ROOT / "docs" / "diagnostics.md").read_text()
    for entry in CATALOGUE:
        assert f"| `{entry.id}` |" in text, entry.id
    for name in PARSERS:
        assert f"`{name}`" in text, name


def test_catalogue_for_the_ui_shows_capture_defaults_and_bounds():
    capture = next(d for d in catalogue_as_dicts() if d["id"] == "capture")
    parameters = capture["parameters"]
    assert isinstance(parameters, list)
    packets = next(p for p in parameters if p["name"] == "packets")
    assert packets == {"name": "packets", "kind": "packets", "required": False, "help": "", "default": 1000,
                       "minimum": 1, "maximum": 100000, "unit": "packets"}  # fmt: skip
    assert (
        capture["freebsd"]
        == "timeout -s INT {seconds} tcpdump -n -l -i {interface} -c {packets} -s {snaplen} [-- {filter}]"
    )
    assert capture["streams"] is True


@pytest.mark.parametrize(
    ("diagnostic", "values", "argv"),
    [
        ("interface", {"interface": "vxlan111"}, ("ifconfig", "vxlan111")),
        ("interfaces", {}, ("ifconfig", "-a")),
        ("interface-group", {"group": "bridge"}, ("ifconfig", "-g", "bridge")),
        ("listening-sockets", {}, ("sockstat", "-l4")),
        ("multicast-memberships", {"interface": "em0"}, ("ifmcstat", "-i", "em0")),
        ("multicast-memberships", {}, ("ifmcstat",)),
        ("arp", {}, ("arp", "-an")),
        ("arp-flush", {}, ("arp", "-ad")),
        ("vxlan-ftable", {"interface": "vxlan111"}, ("sysctl", "net.link.vxlan.111.ftable.dump")),
        ("vxlan-ftable", {"vni": 222}, ("sysctl", "net.link.vxlan.222.ftable.dump")),
        ("vxlan-flush", {"interface": "vxlan222"}, ("ifconfig", "vxlan222", "vxlanflush")),
        ("pf-nat", {"anchor": "pot-nat"}, ("pfctl", "-s", "nat", "-a", "pot-nat")),
        ("pf-state", {}, ("pfctl", "-s", "state")),
        ("vm-switches", {}, ("vm", "switch", "list")),
        ("pot-jails", {}, ("pot", "ls")),
        ("capture", {"interface": "em0", "filter": "udp && port 4789", "packets": 50},
         ("timeout", "-s", "INT", "30", "tcpdump", "-n", "-l", "-i", "em0", "-c", "50", "-s", "2048", "--",
          "udp && port 4789")),
        ("capture", {"interface": "vxlan111", "format": "pcap", "seconds": "5"},
         ("timeout", "-s", "INT", "5", "tcpdump", "-n", "-U", "-w", "-", "-i", "vxlan111", "-c", "1000", "-s", "2048")),
    ],
)  # fmt: skip
def test_freebsd_argv_is_what_the_article_types(freebsd_b, diagnostic, values, argv):  # type: ignore[no-untyped-def]
    assert build_argv(diagnostic, F, values, freebsd_b) == argv


@pytest.mark.parametrize(
    ("diagnostic", "values", "argv"),
    [
        ("interfaces", {}, ("ip", "-j", "-d", "addr", "show")),
        ("multicast-memberships", {"interface": "em0"}, ("ip", "-j", "maddr", "show", "dev", "em0")),
        ("vxlan-ftable", {"vni": 111}, ("bridge", "-j", "fdb", "show", "dev", "vxlan111")),
        ("vxlan-flush", {"interface": "vxlan111"}, ("bridge", "fdb", "flush", "dev", "vxlan111", "self", "dynamic")),
        ("arp-flush", {}, ("ip", "-4", "neigh", "flush", "all")),
        ("pf-nat", {}, ("nft", "list", "ruleset")),
        ("jails", {}, ("ip", "-j", "netns", "list")),
    ],
)
def test_lab_argv_is_the_linux_equivalent(lab_b, diagnostic, values, argv):  # type: ignore[no-untyped-def]
    assert build_argv(diagnostic, L, values, lab_b) == argv


def test_iocage_jails_are_entered_by_their_jexec_name_and_see_their_own_interfaces(freebsd_b):  # type: ignore[no-untyped-def]
    assert build_argv("arp", F, {}, freebsd_b, jail="vnetjail-b") == ("jexec", "ioc-vnetjail-b", "arp", "-an")
    argv = build_argv("capture", F, {"interface": "epair0b", "packets": 5}, freebsd_b, jail="vnetjail-b")
    assert argv[:2] == ("jexec", "ioc-vnetjail-b") and "epair0b" in argv
    with pytest.raises(UnsafeParameter, match="not an interface of jail vnetjail-b"):
        build_argv("capture", F, {"interface": "em0"}, freebsd_b, jail="vnetjail-b")  # em0 is the host's


def test_lab_vnet_jails_are_their_namespaces_and_plain_jails_have_none(lab_b):  # type: ignore[no-untyped-def]
    argv = build_argv("interface", L, {"interface": "vnet0"}, lab_b, jail="vnetjail-b")
    assert argv[0] == "nsenter" and argv[1].endswith("-jailhost-b-j-vnetjail-b") and argv[2:4] == ("ip", "-j")
    with pytest.raises(NotAvailable, match="has no network namespace of its own in the lab"):
        build_argv("arp", L, {}, lab_b, jail="plainjail-b")


def test_what_a_target_lacks_is_not_available_and_typos_are_refused(freebsd_b, lab_b):  # type: ignore[no-untyped-def]
    with pytest.raises(NotAvailable, match="no equivalent on lab hosts"):
        build_argv("vm-switches", L, {}, lab_b)
    with pytest.raises(NotAvailable, match="does not run inside a jail"):
        build_argv("vxlan-ftable", F, {"interface": "vxlan111"}, freebsd_b, jail="vnetjail-b")
    with pytest.raises(UnsafeParameter, match="takes no such parameter"):
        build_argv("arp", F, {"interfce": "em0"}, freebsd_b)
    with pytest.raises(UnsafeParameter, match="is required"):
        build_argv("interface", F, {}, freebsd_b)
    with pytest.raises(NotAvailable, match="no diagnostic"):
        build_argv("reboot", F, {}, freebsd_b)
    with pytest.raises(UnsafeParameter, match="not a vxlan interface"):
        build_argv("vxlan-flush", F, {"interface": "switch111"}, freebsd_b)


def test_host_facts_widen_the_known_names():
    context = parameter_context(s10(), "jailhost-b", F, HostFacts(interfaces=frozenset({"vnet0.12"})))
    assert build_argv("interface", F, {"interface": "vnet0.12"}, context) == ("ifconfig", "vnet0.12")


def test_facts_gathered_from_a_hosts_own_output():
    interfaces = PARSERS["ifconfig"](freebsd("s10-jailhost-b-ifconfig.txt")).records
    jails = PARSERS["jls"](freebsd("reference-jls-n.txt")).records
    facts = host_facts(interfaces, jails)
    assert {"vnet0.12", "tap0", "lo0"} <= facts.interfaces
    assert {"vm-switch", "vm-port", "viid-3f2a9@", "epair"} <= facts.groups
    context = parameter_context(s10(), "jailhost-b", F, facts)
    assert build_argv("interface-group", F, {"group": "viid-3f2a9@"}, context) == ("ifconfig", "-g", "viid-3f2a9@")
    assert build_argv("arp", F, {}, context, jail="web") == ("jexec", "web", "arp", "-an")  # running, not designed


def test_the_ssh_command_line_of_a_capture_keeps_the_filter_one_word(freebsd_b):  # type: ignore[no-untyped-def]
    argv, line = build_command("capture", F, {"interface": "em0", "filter": "udp and port 4789"}, freebsd_b)
    assert line == "timeout -s INT 30 tcpdump -n -l -i em0 -c 1000 -s 2048 -- 'udp and port 4789'"
    assert argv[-1] == "udp and port 4789"


def test_remote_command_gives_sh_back_exactly_the_argv():
    """The quoted line, run by a real sh (what sshd hands it to), yields each element as one word."""
    argv = ["printf", "<%s>\\n", "udp and port 4789", "a'b", '"c"', "$HOME", "`id`", "; reboot", "*", "x|y &"]
    line = remote_command(argv)
    out = subprocess.run(["sh", "-c", line], capture_output=True, text=True, check=True, timeout=10).stdout
    assert out.splitlines() == [f"<{a}>" for a in argv[2:]]


@pytest.mark.parametrize("element", ["a\nreboot", "a\rb", "x\x00", "!!", "not!", "\t"])
def test_remote_command_refuses_what_csh_or_a_newline_would_change(element):  # type: ignore[no-untyped-def]
    with pytest.raises(UnsafeParameter, match="control character or '!'"):
        remote_command(["echo", element])


def test_a_renamed_vxlan_interface_is_read_through_its_clone_unit():
    """vxlan(4)'s sysctl tree is numbered by the clone unit, which a rename keeps (``vxblue`` cloned as vxlan0)."""
    snapshot = s10()
    segments = tuple(
        dataclasses.replace(
            seg,
            members=tuple(
                dataclasses.replace(m, interface_name="vxblue") if m.host == "gateway" and seg.vni == 222 else m
                for m in seg.members
            ),
        )
        for seg in snapshot.vxlan_segments
    )
    context = parameter_context(dataclasses.replace(snapshot, vxlan_segments=segments), "gateway", F)
    assert build_argv("vxlan-ftable", F, {"vni": 222}, context) == ("sysctl", "net.link.vxlan.0.ftable.dump")
    assert build_argv("vxlan-ftable", F, {"interface": "vxlan111"}, context) == (
        "sysctl", "net.link.vxlan.111.ftable.dump"
    )  # fmt: skip
