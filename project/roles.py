"""The roles of jailnet, as Django groups, and the actions each may take.

viewer: read everything. designer: edit designs. approver: approve change requests.
operator: deploy and run diagnostics. admin: everything, including inventory credentials and users.
A superuser is an admin.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

VIEWER = "viewer"
DESIGNER = "designer"
APPROVER = "approver"
OPERATOR = "operator"
ADMIN = "admin"
ROLES = (VIEWER, DESIGNER, APPROVER, OPERATOR, ADMIN)

# Which roles may perform an action. Reading is open to every role.
ACTIONS: dict[str, frozenset[str]] = {
    "read": frozenset(ROLES),
    "edit_design": frozenset({DESIGNER, ADMIN}),
    "edit_inventory": frozenset({OPERATOR, ADMIN}),
    "approve": frozenset({APPROVER, ADMIN}),
    "deploy": frozenset({OPERATOR, ADMIN}),
    # the live plan of a change request: for who decides about it and who will deploy it
    "plan_deploy": frozenset({APPROVER, OPERATOR, ADMIN}),
    "diagnose": frozenset({OPERATOR, ADMIN}),
}


def user_roles(user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    """The role names a user holds (cached on the user object for the request)."""
    if not user.is_authenticated:
        return frozenset()
    cached: frozenset[str] | None = getattr(user, "_jailnet_roles", None)
    if cached is None:
        if getattr(user, "is_superuser", False):
            cached = frozenset(ROLES)
        else:
            groups = user.groups  # type: ignore[union-attr,attr-defined]
            cached = frozenset(groups.filter(name__in=ROLES).values_list("name", flat=True))
        setattr(user, "_jailnet_roles", cached)  # noqa: B010 - a per-request cache on the user object
    return cached


def user_can(user: AbstractBaseUser | AnonymousUser, action: str) -> bool:
    """Whether ``user`` holds a role allowed to perform ``action``."""
    return bool(user_roles(user) & ACTIONS[action])
