"""Pagination shared by every list endpoint."""

from rest_framework.pagination import LimitOffsetPagination


class StandardPagination(LimitOffsetPagination):
    """``?limit=&offset=`` pagination, 50 by default, at most 1000 per page."""

    default_limit = 50
    max_limit = 1000
