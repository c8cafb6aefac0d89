"""The Celery app. Tasks live in ``executors/tasks.py``; they are thin wrappers around services.

The project room knows no domain: what runs around each task (the change context that attributes a task's
changes to its user) is connected by the apps themselves when Django starts (``core/task_context.py``).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

app = Celery("jailnet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
