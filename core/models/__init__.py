"""Models of the core room: the abstract bases of every object and the audit history."""

from .audit import AuditAction, AuditEntry, ChangeSource
from .base import BaseModel, CanvasPlacedModel

__all__ = ["AuditAction", "AuditEntry", "BaseModel", "CanvasPlacedModel", "ChangeSource"]
