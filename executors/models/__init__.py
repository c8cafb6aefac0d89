"""Models of the executors room: labs, and jobs (work on hosts run by a Celery worker) with their output."""

from .diagnostics import DiagnosticRun
from .jobs import Job, JobKind, JobOutput, JobState, JobStep, JobStepState, OutputStream
from .lab import Lab, LabState

__all__ = [
    "DiagnosticRun",
    "Job",
    "JobKind",
    "JobOutput",
    "JobState",
    "JobStep",
    "JobStepState",
    "Lab",
    "LabState",
    "OutputStream",
]
