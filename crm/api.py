"""Conventions shared by every API endpoint: pagination, errors, authentication."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import exception_handler as drf_exception_handler

from crm.pagination import page_number, paginate


class CountlessPagination(BasePagination):
    """Page-number pagination that never counts the whole table (see crm.pagination)."""

    page_size = 50
    max_page_size = 200
    page_query_param = "page"
    page_size_query_param = "page_size"

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        number = page_number(request.query_params.get(self.page_query_param))
        size = page_number(request.query_params.get(self.page_size_query_param), self.page_size)
        for name, value in ((self.page_query_param, number), (self.page_size_query_param, size)):
            if value is None:
                raise exceptions.ValidationError({name: [_("Enter a whole number of 1 or more.")]})
        self.page = paginate(queryset, number, min(size, self.max_page_size))
        if not self.page.object_list and number > 1:
            raise exceptions.NotFound(_("This page is past the last one."))
        return self.page.object_list

    def _link(self, number):
        url = self.request.build_absolute_uri()
        if number == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, number)

    def get_paginated_response(self, data):
        return Response(
            {
                "page": self.page.number,
                "page_size": self.page.size,
                "next": self._link(self.page.number + 1) if self.page.has_next else None,
                "previous": self._link(self.page.number - 1) if self.page.has_previous else None,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["page", "page_size", "next", "previous", "results"],
            "properties": {
                "page": {"type": "integer", "example": 1},
                "page_size": {"type": "integer", "example": 50},
                "next": {"type": "string", "format": "uri", "nullable": True},
                "previous": {"type": "string", "format": "uri", "nullable": True},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number, from 1.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, at most {self.max_page_size}.",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


def error_body(status_code, code, message, fields=None):
    """The one shape of every API error: ``{"error": {"status", "code", "message", "fields"}}``."""
    return {
        "error": {
            "status": status_code,
            "code": code,
            "message": str(message),
            "fields": fields or {},
        }
    }


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body(
            response.status_code, "invalid", _("Some values are not valid."), detail
        )
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        response.data = error_body(response.status_code, code, exc.detail)
    else:  # Http404 and PermissionDenied from Django, already turned into DRF responses.
        code = "not_found" if response.status_code == 404 else "permission_denied"
        message = _("Not found.") if response.status_code == 404 else _("Permission denied.")
        response.data = error_body(response.status_code, code, message)
    return response


def json_not_found(request, exception=None):
    return JsonResponse(
        error_body(status.HTTP_404_NOT_FOUND, "not_found", _("Not found.")), status=404
    )


def json_server_error(request):
    return JsonResponse(
        error_body(500, "server_error", _("Something went wrong on our side.")), status=500
    )


# PostgreSQL stores offsets up to ±15:59; ISO 8601 and Python accept up to ±23:59.
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)


def validate_utc_offset(value):
    """A date-time filter's value must carry an offset the database can read: refused with
    a 400 naming the field, where the database would have failed the request."""
    offset = value.utcoffset() if value is not None else None
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise ValidationError(_("Enter a time zone offset between -15:59 and +15:59."))
