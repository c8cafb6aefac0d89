"""The core room: what every app shares (base models, object services, the API and admin bases, the audit recorder).

``core`` imports no app of jailnet (``topology``, ``inventory``, ``executors``); they import it. An app tells
core about itself when Django starts (``AppConfig.ready``): which of its models are audited and where each
object belongs, which cross-object rules its objects obey.
"""
