"""The design model: one module per concept."""

from .changes import (
    OPEN_STATES,
    Approval,
    ChangeRequest,
    ChangeRequestComment,
    ChangeRequestHost,
    ChangeRequestState,
    ChangeRequestTransition,
    ReviewDecision,
    Revision,
    RevisionHost,
)
from .design import Design
from .events import LiveEvent
from .firewall import FirewallPolicy, FirewallRule
from .host import Host, Interface, StaticRoute
from .jail import Jail, JailAddress, JailNic
from .services import DhcpService, DhcpStaticLease, OutboundNat, PortRedirect
from .switch import Switch, SwitchPort
from .vm import VirtualMachine, VmNic
from .vxlan import VxlanMember, VxlanSegment

__all__ = [
    "OPEN_STATES",
    "Approval",
    "ChangeRequest",
    "ChangeRequestComment",
    "ChangeRequestHost",
    "ChangeRequestState",
    "ChangeRequestTransition",
    "Design",
    "DhcpService",
    "DhcpStaticLease",
    "FirewallPolicy",
    "FirewallRule",
    "Host",
    "Interface",
    "Jail",
    "JailAddress",
    "JailNic",
    "LiveEvent",
    "OutboundNat",
    "PortRedirect",
    "ReviewDecision",
    "Revision",
    "RevisionHost",
    "StaticRoute",
    "Switch",
    "SwitchPort",
    "VirtualMachine",
    "VmNic",
    "VxlanMember",
    "VxlanSegment",
]
