"""Settings of the ASGI server the browser tests start (``asgi_server``): the project's, plus what the tests need.

The test process hashes passwords with MD5 (fast; tests/conftest.py), so the server must accept MD5 hashes.
Static files come from frontend/dist through the finders (DEBUG), as under pytest-django's live server.
"""

from project.settings import *  # noqa: F403

DEBUG = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
