"""Celery tasks, the SSH transport, apply/rollback, diagnostics, websocket consumers and the lab."""
