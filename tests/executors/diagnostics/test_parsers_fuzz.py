"""No input crashes a parser: random text, and real samples with lines cut, repeated and spliced (hypothesis)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from executors.diagnostics.parsers import PARSERS
from executors.diagnostics.records import Parsed, RawLine

from .support import FIXTURES

SAMPLES = [p.read_text() for p in sorted((FIXTURES / "freebsd").glob("*.txt"))]
SAMPLES += [p.read_text() for p in sorted((FIXTURES / "linux").rglob("*")) if p.is_file()]
SAMPLE_LINES = sorted({line for text in SAMPLES for line in text.splitlines()})

# Text that looks like the tools' output: sample lines, cut at random places, with random junk between them.
line = st.one_of(
    st.sampled_from(SAMPLE_LINES),
    st.builds(lambda s, a, b: s[a:b], st.sampled_from(SAMPLE_LINES), st.integers(0, 40), st.integers(0, 120)),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=80),
    st.sampled_from(
        [
            "\t",
            "    ",
            "member: ",
            "vxlan vni ",
            "inet ",
            "flags=",
            "<",
            ">",
            "(",
            ")",
            "{",
            "[",
            "]",
            "0x",
            ":",
            "->",
            " : ",
            "=",
            '"',
            "pot name : ",
            "D 0x01 ",
            "group ",
            "|",
            "+---",
        ]
    ),
)
text_like_output = st.lists(st.lists(line, max_size=4).map("".join), max_size=30).map("\n".join)

# JSON documents shaped like iproute2/nftables output with wrong types in every place.
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "ifname",
                    "flags",
                    "mtu",
                    "addr_info",
                    "linkinfo",
                    "info_kind",
                    "info_data",
                    "master",
                    "info_slave_kind",
                    "info_slave_data",
                    "family",
                    "local",
                    "prefixlen",
                    "id",
                    "group",
                    "dst",
                    "dev",
                    "lladdr",
                    "state",
                    "maddr",
                    "address",
                    "mac",
                    "name",
                    "nftables",
                    "rule",
                    "expr",
                    "match",
                    "left",
                    "right",
                    "meta",
                    "key",
                    "dnat",
                    "masquerade",
                    "payload",
                    "prefix",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


def _well_formed(result: Parsed[object], text: str) -> None:
    assert isinstance(result, Parsed)
    assert all(isinstance(r, RawLine) and isinstance(r.text, str) for r in result.unparsed)


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=text_like_output)
def test_parsers_never_raise_on_text_like_their_input(name, text):  # type: ignore[no-untyped-def]
    _well_formed(PARSERS[name](text), text)


@pytest.mark.parametrize("name", sorted(n for n in PARSERS if "json" in n))
@settings(max_examples=150, deadline=None)
@given(document=json_value)
def test_json_parsers_never_raise_on_json_of_the_wrong_shape(name, document):  # type: ignore[no-untyped-def]
    text = json.dumps(document)
    _well_formed(PARSERS[name](text), text)
    _well_formed(PARSERS[name](json.dumps([document])), text)
    _well_formed(PARSERS[name](json.dumps({"nftables": [{"rule": document}]})), text)


@pytest.mark.parametrize("name", sorted(n for n in PARSERS if "json" not in n))
@settings(max_examples=100, deadline=None)
@given(text=text_like_output)
def test_line_parsers_account_for_every_line_they_do_not_understand(name, text):  # type: ignore[no-untyped-def]
    """A raw line is the input line as printed (same number and text), never something invented."""
    result = PARSERS[name](text)
    lines = text.splitlines()
    for raw in result.unparsed:
        assert 1 <= raw.number <= len(lines)
        assert raw.text.rstrip("\\").rstrip() == lines[raw.number - 1].rstrip("\\").rstrip()
