"""API permission: every endpoint needs an authenticated user with a role; writes need the view's action."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from project.roles import user_can


class RolePermission(BasePermission):
    """Reads need any role; writes need the role for the view's ``write_action`` (default ``edit_design``).

    A view may map extra actions to other role actions with ``action_permissions`` (e.g. ``approve``).
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        action_map: dict[str, str] = getattr(view, "action_permissions", {})
        view_action = getattr(view, "action", None)
        if view_action in action_map:
            return user_can(request.user, action_map[view_action])
        if request.method in SAFE_METHODS:
            return user_can(request.user, "read")
        return user_can(request.user, getattr(view, "write_action", "edit_design"))
