"""The sandbox as a site: the index page at /sandbox/ and the URL patterns that mount a list of
simulators under it, each in its own URL namespace (`sandbox:<slug>:...`).

The list is passed in rather than read from the registry, so tests can mount simulators of
their own with the same code the real site uses.
"""

from django.shortcuts import render
from django.urls import include, path


def index(request, simulators):
    """Every mounted simulator, with links to its pages and control endpoints."""
    return render(request, "sandbox/index.html", {"simulators": simulators})


def sandbox_urlpatterns(simulators):
    """Patterns for the index and every simulator in `simulators` (include them under
    "sandbox/" with the namespace "sandbox")."""
    slugs = [simulator.slug for simulator in simulators]
    duplicates = {slug for slug in slugs if slugs.count(slug) > 1}
    if duplicates:
        raise ValueError(f"simulators registered twice: {sorted(duplicates)}")
    patterns = [path("", index, {"simulators": list(simulators)}, name="index")]
    for simulator in simulators:
        patterns.append(path(f"{simulator.slug}/",
                             include((simulator.urlpatterns(), simulator.slug))))
    return patterns
