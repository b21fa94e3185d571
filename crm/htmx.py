def is_htmx(request) -> bool:
    """Whether htmx sent the request, so a view answers with a fragment, not a whole page."""
    return request.headers.get("HX-Request") == "true"
