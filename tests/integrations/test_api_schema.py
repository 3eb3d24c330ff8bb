"""Our API described: /api/schema/ is a valid OpenAPI 3 document holding every API route, each
operation with its shapes and the 422 "blocked" problem; /api/docs/ needs no network."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_spec_validator import validate
from rest_framework.views import APIView

pytestmark = pytest.mark.django_db

OURS = ("/api/integrations/", "/api/accounting/")
# Every route is described; a provider describes its own endpoints in its package.
NOT_YET_DESCRIBED = set()


def drf_routes(patterns=None, prefix=""):
    """Every URL of a DRF view, as "/api/integrations/{}/export"."""
    routes = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            routes |= drf_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "cls", None)
            if view is not None and issubclass(view, APIView):
                routes.add(normalize("/" + prefix + str(pattern.pattern)))
    # The schema and docs views describe the API; they are not part of it.
    return {r for r in routes if r.startswith("/api/") and r not in ("/api/schema/",
                                                                     "/api/docs/")}


def normalize(path):
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path.replace("^", "").replace("$", ""))


@pytest.fixture
def schema(client):
    answer = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert answer.status_code == 200
    return answer.json()


def test_the_schema_is_valid_openapi_3_with_every_route(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")
    described = {normalize(path) for path in schema["paths"]}
    routes = drf_routes()
    assert "/api/integrations/{}/export" in routes  # the walk finds our routes at all
    assert routes <= described, routes - described


def test_every_change_answers_blocked_with_its_problems(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method == "post":
                blocked = operation["responses"]["422"]["content"]["application/json"]
                assert blocked["schema"] == {"$ref": "#/components/schemas/Blocked"}, path
    problem = schema["components"]["schemas"]["Problem"]["properties"]
    assert set(problem) == {"message", "fix_url", "field"}


def test_our_endpoints_declare_their_request_and_response(schema):
    for path, item in schema["paths"].items():
        if not path.startswith(OURS) or path in NOT_YET_DESCRIBED:
            continue
        for method, operation in item.items():
            ok = [code for code in operation["responses"] if code.startswith("2")]
            assert ok and "content" in operation["responses"][ok[0]], (method, path)
            if method == "post" and not path.endswith("/disconnect"):
                assert "requestBody" in operation, (method, path)


def test_the_docs_page_uses_only_its_own_files(client):
    page = client.get("/api/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any("swagger-ui" in a for a in assets)
    assert not [a for a in assets if a.startswith(("http:", "https:", "//"))], assets
    for asset in assets:
        if "drf_spectacular_sidecar" in asset:
            relative = asset.split("/static/", 1)[1].split("?")[0]
            assert finders.find(relative), asset
