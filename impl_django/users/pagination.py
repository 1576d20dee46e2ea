"""The page of list_users: {"items", "total", "limit", "offset"}."""

from typing import Any

from django.db.models import QuerySet
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response


class UserPagination(BasePagination):
    """The users at the offset and up to the limit that the query asks for, and their total."""

    # DRF's LimitOffsetPagination answers {"count", "next", "previous", "results"} and takes
    # a bad limit or offset for the default. Here the viewset's query (UserQuerySerializer)
    # has validated both, with the email filter, so that one 422 names every bad parameter.
    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any]:
        """Return the users of the page, and count all of them."""
        self.limit, self.offset = view.query["limit"], view.query["offset"]
        page = list(queryset[self.offset : self.offset + self.limit])
        self.total = queryset.count()
        return page

    def get_paginated_response(self, data: Any) -> Response:
        """Return the page with its total, limit and offset."""
        return Response(
            {"items": data, "total": self.total, "limit": self.limit, "offset": self.offset}
        )
