"""The OpenAPI description of our API (drf-spectacular): `/api/schema/`, docs at `/api/docs/`
(Swagger UI from drf-spectacular-sidecar's own files, so it works with no network).

Every view declares its request and response serializers; the answers every view can give are
added here once (`add_problem_responses`, a post-processing hook): 422 with every problem that
blocks the action, 400 for a request that is wrong in itself, 403 and 404, and 502 when the
provider failed. They are the shapes of `integrations.api.exception_handler`.
"""

STRING = {"type": "string"}
COMPONENTS = {
    "Problem": {"type": "object", "required": ["message", "fix_url", "field"], "properties": {
        "message": {**STRING, "description": "What is wrong, in the user's language."},
        "fix_url": {**STRING, "description": "The hub's page where it is fixed, or empty."},
        "field": {**STRING, "description": "What it concerns (e.g. mapping.vat.addon)."}}},
    "Blocked": {"type": "object", "required": ["error", "problems"], "properties": {
        "error": {"type": "string", "enum": ["blocked"]},
        "problems": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}}}},
    "ValidationErrors": {"type": "object", "description": "Field (or `detail`) -> messages.",
                         "additionalProperties": {"type": "array", "items": STRING}},
    "Detail": {"type": "object", "required": ["detail"], "properties": {"detail": STRING}},
    "ProviderFailed": {"type": "object", "required": ["error", "message"], "properties": {
        "error": {**STRING, "description": "The kind of failure, e.g. PermanentError."},
        "message": STRING}},
}
RESPONSES = {
    "400": ("ValidationErrors", "The request itself is wrong: each field with what to fix."),
    "403": ("Detail", "Not allowed: changes need the organization's admin role."),
    "404": ("Detail", "Not in your organization (or no such thing)."),
    "422": ("Blocked", "Nothing was done: every problem at once, each with where to fix it."),
    "502": ("ProviderFailed", "The accounting system answered with an error."),
}


def add_problem_responses(result, generator, request, public):
    """Every operation gets the error answers it can give, with their shapes: reads 403 and
    404, changes all of them."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(COMPONENTS)
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for code in (("403", "404") if method == "get" else tuple(RESPONSES)):
                schema, description = RESPONSES[code]
                responses.setdefault(code, {"description": description, "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}})
    return result
