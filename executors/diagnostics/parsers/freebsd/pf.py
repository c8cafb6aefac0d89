"""pf: states, NAT and redirect rules, filter rules (pfctl -s state|nat|rules)."""

from __future__ import annotations

import re

from ...records import (
    NatRule,
    Parsed,
    PfRule,
    PfState,
    RawLine,
)

# --- pf -----------------------------------------------------------------------------------------------------


def parse_pfctl_state(text: str) -> Parsed[PfState]:
    """``pfctl -s state``: ``IF PROTO ADDR[ (ORIG)] ->|<- ADDR[ (ORIG)]    SRC:DST`` (pf_print_state.c)."""
    result: Parsed[PfState] = Parsed()
    records = result.records
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split()
        if not words:
            continue
        state = _pf_state(words)
        if state is None:
            result.unparsed.append(RawLine(number, line))
        else:
            records.append(state)
    return result


def _pf_state(words: list[str]) -> PfState | None:
    count = len(words)
    if count not in (6, 7, 8):
        return None
    index = 3
    local_orig = remote_orig = None
    if words[index][:1] == "(":
        local_orig = words[index][1:-1]
        index += 1
    arrow = words[index]
    if arrow not in ("->", "<-") or index + 2 >= count:
        return None
    remote = words[index + 1]
    index += 2
    if words[index][:1] == "(":
        remote_orig = words[index][1:-1]
        index += 1
    if index != count - 1:
        return None
    direction = "out" if arrow == "->" else "in"
    return PfState(words[0], words[1], direction, words[2], local_orig, remote, remote_orig, words[index])


_PF_TOKENS = re.compile(r"\{[^}]*\}|\"[^\"]*\"|\S+")
_NAT_ACTIONS = ("nat", "rdr", "binat", "nat-anchor", "rdr-anchor", "binat-anchor")
_STOP_WORDS = frozenset(
    {"to", "port", "->", "flags", "tag", "tagged", "label", "round-robin", "random", "bitmask", "source-hash",
     "static-port", "sticky-address", "keep", "modulate", "synproxy", "no"}
)  # fmt: skip


def _collect(tokens: list[str], start: int) -> tuple[str | None, int]:
    """The words from ``start`` up to the next keyword, joined (``! 10.0.0.0/8``), and where they end."""
    words = []
    index = start
    while index < len(tokens) and tokens[index] not in _STOP_WORDS:
        words.append(tokens[index])
        index += 1
    return (" ".join(words) or None), index


def _port(tokens: list[str], index: int) -> tuple[str | None, int]:
    """After ``port``: ``= 8080`` -> "8080", ``1024:2048`` -> "1024:2048", ``{ 80, 443 }`` kept."""
    words = []
    while index < len(tokens) and tokens[index] not in _STOP_WORDS:
        words.append(tokens[index])
        index += 1
    text = " ".join(words)
    return (text[2:] if text.startswith("= ") else text) or None, index


def _tokens(line: str) -> list[str]:
    """pf words: brace lists and quoted strings stay one token (``{ 80, 443 }``)."""
    return _PF_TOKENS.findall(line) if "{" in line or '"' in line else line.split()


def parse_nat_rule_line(line: str) -> NatRule | None:
    """One ``pfctl -s nat`` line (print_rule + print_pool), or None when it is not a translation rule."""
    tokens = _tokens(line)
    if not tokens:
        return None
    negated = tokens[0] == "no"
    action_index = 1 if negated else 0
    if action_index >= len(tokens) or tokens[action_index] not in _NAT_ACTIONS:
        return None
    action = ("no-" if negated else "") + tokens[action_index]
    interface = proto = source = destination = target = port = target_port = None
    index = action_index + 1
    if action.endswith("-anchor") and index < len(tokens):
        target = tokens[index].strip('"')
        index += 1
    while index < len(tokens):
        token = tokens[index]
        if token == "on" and index + 1 < len(tokens):
            interface = tokens[index + 1]
            index += 2
        elif token == "proto" and index + 1 < len(tokens):
            proto = tokens[index + 1]
            index += 2
        elif token == "all":
            source = destination = "any"
            index += 1
        elif token == "from":
            source, index = _collect(tokens, index + 1)
            if index < len(tokens) and tokens[index] == "port":
                _, index = _port(tokens, index + 1)
        elif token == "to":
            destination, index = _collect(tokens, index + 1)
            if index < len(tokens) and tokens[index] == "port":
                port, index = _port(tokens, index + 1)
        elif token == "->":
            target, index = _collect(tokens, index + 1)
            if index < len(tokens) and tokens[index] == "port":
                target_port, index = _port(tokens, index + 1)
        else:
            index += 1
    return NatRule(action, interface, source, destination, target, proto, port, target_port, line.strip())


def parse_pfctl_nat(text: str) -> Parsed[NatRule]:
    """``pfctl -s nat``: nat/rdr/binat rules and nat-/rdr-anchors; ``-v`` counter lines are kept raw."""
    result: Parsed[NatRule] = Parsed()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        body = line.strip()
        if body[:1] == "@":  # -vv rule numbers
            body = body[1:].lstrip("0123456789 ")
        rule = parse_nat_rule_line(body)
        if rule is None:
            result.unparsed.append(RawLine(number, line))
        else:
            result.records.append(rule)
    return result


_FILTER_ACTIONS = ("pass", "block", "match", "scrub", "antispoof", "anchor")


def parse_pfctl_rules(text: str) -> Parsed[PfRule]:
    """``pfctl -s rules``: action, direction, quick and interface of each rule; the full text is kept."""
    result: Parsed[PfRule] = Parsed()
    for number, line in enumerate(text.splitlines(), 1):
        body = line.strip()
        if not body:
            continue
        tokens = _tokens(body)
        if tokens and tokens[0].startswith("@"):
            tokens = tokens[1:]
        if not tokens or tokens[0] not in _FILTER_ACTIONS:
            result.unparsed.append(RawLine(number, line))
            continue
        direction = next((t for t in tokens[1:4] if t in ("in", "out")), None)
        interface = tokens[tokens.index("on") + 1] if "on" in tokens[:-1] else None
        result.records.append(PfRule(tokens[0], direction, "quick" in tokens, interface, body))
    return result
