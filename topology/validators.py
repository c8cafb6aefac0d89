"""The allow-lists of :mod:`topology.allowlists` as Django validators, for the model fields.

The API and the Django admin run them (``full_clean``), the importer runs the same lists on the
document first; a refused value is a field error with the list's message.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.deconstruct import deconstructible

from . import allowlists as lists


@deconstructible
class FullMatchValidator(RegexValidator):
    """Accept a text only when all of it matches ``pattern`` (no trailing newline, no control character).

    A :class:`RegexValidator` (so the API schema and the designer's field list carry the pattern, anchored
    ``^(?:...)$`` for JavaScript), but checked with ``fullmatch``: Django's ``search`` with ``$`` would
    accept a value with a newline at its end.
    """

    def __init__(self, pattern: str, message: str, max_length: int | None = None):
        super().__init__(f"^(?:{pattern})$", message, code="invalid")
        self.pattern = pattern
        self.max_length = max_length
        self._list = lists.AllowList(pattern, message, max_length)

    def __call__(self, value: object) -> None:
        try:
            self._list(value)
        except lists.ValueProblem as exc:
            raise ValidationError(str(exc), code="invalid") from exc

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FullMatchValidator) and (self.pattern, self.message, self.max_length) == (
            other.pattern,
            other.message,
            other.max_length,
        )

    def __hash__(self) -> int:
        return hash((self.pattern, self.message, self.max_length))


def _django(allow: lists.AllowList) -> FullMatchValidator:
    if allow.max_length is None:  # as the migrations spell it
        return FullMatchValidator(allow.pattern, allow.message)
    return FullMatchValidator(allow.pattern, allow.message, allow.max_length)


def _raising(check: Callable[[str], None], value: str) -> None:
    try:
        check(value)
    except lists.ValueProblem as exc:
        raise ValidationError(str(exc), code="invalid") from exc


validate_design_name = _django(lists.validate_design_name)
validate_host_name = _django(lists.validate_host_name)
validate_jail_name = _django(lists.validate_jail_name)
validate_vm_name = _django(lists.validate_vm_name)
validate_route_name = _django(lists.validate_route_name)
validate_jail_nic_name = _django(lists.validate_jail_nic_name)
validate_segment_name = _django(lists.validate_segment_name)
validate_dns_name = _django(lists.validate_dns_name)
validate_release = _django(lists.validate_release)
validate_zfs_pool = _django(lists.validate_zfs_pool)
validate_vm_dir = _django(lists.validate_vm_dir)
validate_size = _django(lists.validate_size)
validate_guest = _django(lists.validate_guest)
validate_iso = _django(lists.validate_iso)
validate_lease_time = _django(lists.validate_lease_time)
validate_description = _django(lists.validate_description)
validate_rule_comment = _django(lists.validate_rule_comment)
validate_free_text = _django(lists.validate_free_text)


def validate_ipv4_address(value: str) -> None:
    """Accept a dotted-quad IPv4 address such as ``10.1.1.1``."""
    _raising(lists.validate_ipv4_address, value)


def validate_ipv4_interface(value: str) -> None:
    """Accept an address with optional prefix length (``10.1.1.1/24``, ``172.31.255.17``)."""
    _raising(lists.validate_ipv4_interface, value)


def validate_ipv4_network(value: str) -> None:
    """Accept an address, network or host prefix (``10.1.1.0/24``, ``172.31.255.17``); host bits allowed."""
    _raising(lists.validate_ipv4_network, value)


def validate_pf_network(value: str) -> None:
    """Accept a network as pf writes it in a rule, optionally negated (``!192.168.0.2``, ``10.1.1.0/24``)."""
    _raising(lists.validate_pf_network, value)


# MACs and interface names are formats the designer checks with its own code (kinds_ts), hence functions.
def validate_mac(value: str) -> None:
    """Accept a MAC address written as six lower-case colon-separated octets."""
    _raising(lists.validate_mac, value)


def validate_interface_name(value: str) -> None:
    """Accept a FreeBSD interface name: a letter, then letters, digits, ``_ . -``; at most 15 characters."""
    _raising(lists.validate_interface_name, value)


IFNAMSIZ = lists.IFNAMSIZ
