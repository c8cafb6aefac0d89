"""Models of the core room: the abstract bases of every object and the audit history."""

from .audit import AuditAction, AuditChainHead, AuditEntry, ChangeSource
from .base import BaseModel, CanvasPlacedModel

__all__ = ["AuditAction", "AuditChainHead", "AuditEntry", "BaseModel", "CanvasPlacedModel", "ChangeSource"]
