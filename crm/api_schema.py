"""The OpenAPI schema tells the truth about errors too: every operation lists the error
answers it can give, in the one shape of ``crm.api.error_body``.

Kept apart from ``crm.api``: drf-spectacular reads DRF's settings on import, and those name
``crm.api`` classes.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error answer has this shape (see `crm.api.error_body`).",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message", "fields"],
            "properties": {
                "status": {"type": "integer", "description": "The HTTP status, repeated."},
                "code": {
                    "type": "string",
                    "description": "`invalid`, `parse_error`, `not_authenticated`, "
                    "`authentication_failed`, `permission_denied`, `not_found`, "
                    "`method_not_allowed`, `unsupported_media_type`, `throttled`, …",
                },
                "message": {"type": "string", "description": "In the caller's language."},
                "fields": {
                    "type": "object",
                    "description": "For `invalid`: the messages of each field that is not "
                    "valid (`non_field_errors` for the whole); otherwise empty.",
                    "additionalProperties": {},
                },
            },
        }
    },
}

ERROR_DESCRIPTIONS = {
    "400": "Some values are not valid; nothing was changed.",
    "401": "No credentials, or credentials that are not valid.",
    "403": "Visible to the caller but not theirs to change.",
    "404": "No such record in the caller's scope, or a page past the last one.",
    "415": "The body is neither JSON nor form data.",
    "429": "Too many requests from this user (or address) in a minute: wait the seconds "
    "that `Retry-After` says (`throttled`).",
}


class ApiSchema(AutoSchema):
    """Documents the error answers each operation can give, in the one shape they all share.

    - 401 on every operation (every endpoint needs a logged-in user);
    - 400 where the caller sends something to check: a body or query parameters;
    - 403 on operations that change something (the edit rule, or a session without CSRF);
    - 404 on operations that name a record in the path, and on paginated lists (page past
      the last one);
    - 415 on operations that take a body, sent in a media type the API does not read;
    - 429 on every operation (crm.throttling).
    """

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        parameters = operation.get("parameters", [])
        codes = {"401", "429"}
        if "requestBody" in operation or any(p["in"] == "query" for p in parameters):
            codes.add("400")
        if "requestBody" in operation:
            codes.add("415")
        if self.method not in ("GET", "HEAD", "OPTIONS"):
            codes.add("403")
        if any(p["in"] == "path" for p in parameters) or self._is_paginated():
            codes.add("404")
        component = ResolvedComponent(
            name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR_SCHEMA
        )
        self.registry.register_on_missing(component)
        responses = operation.setdefault("responses", {})
        for code in sorted(codes):
            responses.setdefault(
                code,
                {
                    "description": ERROR_DESCRIPTIONS[code],
                    "content": {"application/json": {"schema": component.ref}},
                },
            )
        return operation

    def _is_paginated(self):
        return (
            self.method == "GET"
            and self._is_list_view()
            and getattr(self.view, "pagination_class", None) is not None
        )
