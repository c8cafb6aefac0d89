"""Safe parameters: hostile values in every parameter are refused with a clear message; good ones pass."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from executors.diagnostics.catalogue import Target, build_argv
from executors.diagnostics.context import parameter_context
from executors.diagnostics.params import (
    FILTER_MAX_LENGTH,
    ParamKind,
    UnsafeParameter,
    capture_bounds,
    check_bound,
    check_group,
    check_interface,
    check_jail,
    check_pf_anchor,
    check_pf_table,
    check_tcpdump_filter,
    check_vni,
    remote_command,
)

from .support import s10

CONTEXT = parameter_context(s10(), "jailhost-b", Target.FREEBSD)

INJECTIONS = ["em0; reboot", "$(reboot)", "`reboot`", "em0 && id", "em0|id", "em0\nid", "../../etc/passwd", "-a",
              "em0'", 'em0"', "em0 ", " em0", "em0\x00", "*", "em0>x", "~root", "\u0435m0"]  # fmt: skip


@pytest.mark.parametrize("value", [*INJECTIONS, "", "a" * 16, "0em", "emX0", 5, None, ["em0"]])
def test_interface_names_are_refused_unless_safe_and_known(value):  # type: ignore[no-untyped-def]
    with pytest.raises(UnsafeParameter, match=r"^interface .* refused: ") as refused:
        check_interface(value, CONTEXT)
    assert refused.value.parameter == "interface"


@pytest.mark.parametrize("value", ["em0", "switch111", "vxlan222"])
def test_known_interfaces_pass(value):  # type: ignore[no-untyped-def]
    assert check_interface(value, CONTEXT) == value


def test_an_unknown_but_well_formed_interface_says_which_ones_exist():
    with pytest.raises(UnsafeParameter) as refused:
        check_interface("em1", CONTEXT)
    assert str(refused.value) == (
        "interface 'em1' refused: not an interface of this host (known: em0, switch111, switch222, vxlan111, vxlan222)"
    )


@pytest.mark.parametrize("value", [*INJECTIONS, "", "a" * 65, "-vnetjail", "www", 7])
def test_jail_names_are_refused_unless_safe_and_known(value):  # type: ignore[no-untyped-def]
    with pytest.raises(UnsafeParameter, match=r"^jail .* refused: "):
        check_jail(value, CONTEXT)


@pytest.mark.parametrize(
    ("value", "reason"),
    [("111; ls", "whole number"), ("0x6f", "whole number"), (-1, "24 bits"), (1 << 24, "24 bits"),
     (True, "whole number"), (333, "its VNIs: 111, 222"), ("1e3", "whole number"), (1.0, "whole number")],
)  # fmt: skip
def test_vnis_are_24_bit_numbers_of_the_hosts_segments(value, reason):  # type: ignore[no-untyped-def]
    with pytest.raises(UnsafeParameter, match=reason):
        check_vni(value, CONTEXT)


def test_a_vni_given_as_digits_is_the_segment():
    assert check_vni("222", CONTEXT) == 222


@pytest.mark.parametrize("value", [*INJECTIONS, "bridge0", "viid-10cd3", "group_with_a_long_name", "nogroup"])
def test_interface_groups_refused(value):  # type: ignore[no-untyped-def]
    with pytest.raises(UnsafeParameter, match=r"^group "):
        check_group(value, CONTEXT)


@pytest.mark.parametrize("value", ["bridge", "vm-switch", "epair"])
def test_interface_groups_accepted(value):  # type: ignore[no-untyped-def]
    assert check_group(value, CONTEXT) == value


@pytest.mark.parametrize("value", ["nat -F all", "Anchors", "rules;", "", "NAT", None])
def test_pf_tables_are_an_allow_list(value):  # type: ignore[no-untyped-def]
    with pytest.raises(UnsafeParameter, match=r"^table .* refused: (must be one of nat, rules, state, info|must be)"):
        check_pf_table(value)


@pytest.mark.parametrize("value", ["../x", "pot-nat; ls", "a b", "pot-rdr/../../x", "/abs", "", "x" * 70, "$(id)"])
def test_pf_anchors_refused(value):  # type: ignore[no-untyped-def]
    with pytest.raises(UnsafeParameter, match=r"^anchor "):
        check_pf_anchor(value)


@pytest.mark.parametrize("value", ["pot-nat", "pot-rdr/vnetpot1", "pot-rdr/*", "jails/web.example"])
def test_pf_anchors_accepted(value):  # type: ignore[no-untyped-def]
    assert check_pf_anchor(value) == value


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [(ParamKind.PACKETS, 0, "between 1 and 100000"), (ParamKind.PACKETS, 100_001, "between 1 and 100000"),
     (ParamKind.PACKETS, "-5", "whole number"), (ParamKind.PACKETS, "5; reboot", "whole number"),
     (ParamKind.SECONDS, 601, "between 1 and 600"), (ParamKind.SECONDS, True, "whole number"),
     (ParamKind.SECONDS, 2.5, "whole number"), (ParamKind.BYTES, 10**12, "between 1024 and 104857600"),
     (ParamKind.SNAPLEN, 10, "between 64 and 65535"), (ParamKind.PACKETS, "1e3", "whole number")],
)  # fmt: skip
def test_capture_bounds_have_maxima(kind, value, reason):  # type: ignore[no-untyped-def]
    with pytest.raises(UnsafeParameter, match=reason):
        check_bound(kind, value)


def test_capture_bounds_have_defaults():
    bounds = capture_bounds()
    assert (bounds.packets, bounds.seconds, bounds.bytes, bounds.snaplen) == (1000, 30, 10 * 1024 * 1024, 2048)
    assert capture_bounds(packets="20", seconds=5).packets == 20


HOSTILE_FILTERS = [
    ("udp; reboot", "cannot read a pcap filter token at ';"),
    ("$(reboot)", "cannot read a pcap filter token at '\\$"),
    ("`id`", "cannot read a pcap filter token at '`"),
    ("port 4789 && rm -rf /", "'rm' is not a pcap-filter word"),
    ("host evil.example.com", "cannot read a pcap filter token|is not a pcap-filter word"),
    ("host gateway.lan", "cannot read a pcap filter token|is not a pcap-filter word"),
    ("-w /tmp/x", "must not start with '-'"),
    ("udp\nreboot", "control characters"),
    ("not !icmp", "instead of '!'"),
    ("'udp'", "cannot read a pcap filter token at \"'udp'\""),
    ('"udp"', "cannot read a pcap filter token"),
    ("udp > /tmp/x", "'tmp' is not a pcap-filter word"),
    ("(udp", "a '\\(' is not closed"),
    ("udp)", "a '\\)' closes nothing"),
    ("host 10.0.0.256", "not an IPv4 address"),
    ("net 10.0.0.0/33", "not an IPv4 address"),
    ("host 1::2::3", "not an IPv6 address"),
    ("udp " * 65, "more than 64 tokens"),
    ("u" * (FILTER_MAX_LENGTH + 1), "longer than 512"),
    ("port ssh", "'ssh' is not a pcap-filter word"),
    ("udp\\ and port 1", "cannot read a pcap filter token"),
    ("udp\tand port 1", "control characters"),
]


@pytest.mark.parametrize(("value", "reason"), HOSTILE_FILTERS)
def test_hostile_tcpdump_filters_are_refused_with_the_reason(value, reason):  # type: ignore[no-untyped-def]
    with pytest.raises(UnsafeParameter, match=r"^filter .* refused: .*(" + reason + ")"):
        check_tcpdump_filter(value)


GOOD_FILTERS = [
    "udp and port 4789",
    "udp && port 4789",
    "host 10.0.111.1",
    "net 10.0.0.0/8 and not arp",
    "ether host 02:0e:35:b7:6d:01",
    "ip6 and host fe80::1",
    "icmp or (udp and dst port 4789)",
    "udp[8:2] = 0x0800",
    "tcp[tcpflags] & tcp-syn != 0".replace("!=", "="),
    "vlan 101 and ip",
    "portrange 4789-4790",
    "greater 1400",
    "dst host 239.0.0.111",
    "",
]


@pytest.mark.parametrize("value", GOOD_FILTERS)
def test_good_filters_pass_and_tcpdump_compiles_them(value):  # type: ignore[no-untyped-def]
    """Every filter the allow-list accepts is also one that the real tcpdump compiles (-d prints the BPF)."""
    checked = check_tcpdump_filter(value)
    if os.geteuid() != 0 or shutil.which("tcpdump") is None:
        pytest.skip("compiling a filter needs tcpdump and root (it opens the interface)")
    done = subprocess.run(["tcpdump", "-d", "-i", "lo", "--", checked], capture_output=True, text=True, timeout=10)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("parameter", "value"),
    [("interface", "em0;id"), ("filter", "udp;id"), ("packets", "1;id"), ("seconds", "$(id)"), ("bytes", "`id`"),
     ("snaplen", "0x10"), ("format", "pcap;id")],
)  # fmt: skip
def test_every_capture_parameter_refuses_injection_before_any_argv_exists(parameter, value):  # type: ignore[no-untyped-def]
    values = {"interface": "em0", parameter: value}
    with pytest.raises(UnsafeParameter, match=f"^{parameter} "):
        build_argv("capture", Target.FREEBSD, values, CONTEXT)


@pytest.mark.parametrize(
    ("diagnostic", "values"),
    [("interface", {"interface": "em0;id"}), ("interface-group", {"group": "bridge;id"}),
     ("vxlan-ftable", {"vni": "111;id"}), ("vxlan-ftable", {"interface": "vxlan111 vxlanflush"}),
     ("pf-nat", {"anchor": "pot-nat -F all"}), ("multicast-memberships", {"interface": "$IFACE"})],
)  # fmt: skip
def test_every_diagnostic_parameter_refuses_injection(diagnostic, values):  # type: ignore[no-untyped-def]
    with pytest.raises(UnsafeParameter, match="refused"):
        build_argv(diagnostic, Target.FREEBSD, values, CONTEXT)
    with pytest.raises(UnsafeParameter, match="refused"):
        build_argv("arp", Target.FREEBSD, {}, CONTEXT, jail="vnetjail-b;id")


SHELL_SYNTAX = set(";$`'\"\\\n\r\t!#~{}?") | {"\x00"}


@settings(max_examples=400, deadline=None)
@given(
    text=st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
    | st.from_regex(r"[a-z0-9 .:/()&|=<>\[\]!;$-]{0,40}")
)
def test_an_accepted_filter_never_holds_shell_syntax(text):  # type: ignore[no-untyped-def]
    try:
        accepted = check_tcpdump_filter(text)
    except UnsafeParameter:
        return
    assert not (set(accepted) & SHELL_SYNTAX), accepted
    assert not accepted.startswith("-")


@settings(max_examples=400, deadline=None)
@given(text=st.text(max_size=20))
def test_an_accepted_interface_is_a_known_name(text):  # type: ignore[no-untyped-def]
    try:
        accepted = check_interface(text, CONTEXT)
    except UnsafeParameter:
        return
    assert accepted in CONTEXT.known_interfaces()


@settings(max_examples=40, deadline=None)
@given(
    argv=st.lists(
        st.text(alphabet=st.characters(codec="utf-8", exclude_characters="!"), min_size=0, max_size=12).filter(
            lambda x: not any(ord(c) < 0x20 or ord(c) == 0x7F for c in x)
        ),
        min_size=1,
        max_size=5,
    )
)
def test_any_safe_argv_comes_back_from_sh_unchanged(argv):  # type: ignore[no-untyped-def]
    line = remote_command(["printf", "<%s>\\n", *argv])
    done = subprocess.run(["sh", "-c", line], capture_output=True, timeout=10, check=True)
    assert done.stdout.decode() == "".join(f"<{a}>\n" for a in argv)
