"""Models of the executors room: labs, and jobs (work on hosts run by a Celery worker) with their output."""

from .jobs import Job, JobKind, JobOutput, JobState, JobStep, JobStepState, OutputStream
from .lab import Lab, LabState

__all__ = ["Job", "JobKind", "JobOutput", "JobState", "JobStep", "JobStepState", "Lab", "LabState", "OutputStream"]
