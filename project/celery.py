"""The Celery app. Tasks live in ``executors/tasks.py``; they are thin wrappers around services."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

app = Celery("jailnet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
