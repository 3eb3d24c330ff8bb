"""URLconf for the sandbox framework's tests: the test-only simulators mounted with the same
code that mounts the real ones (`@pytest.mark.urls("tests.sandbox.urls")`)."""

from django.urls import include, path

from sandbox.framework.site import sandbox_urlpatterns
from tests.sandbox.fake_provider import SIMULATORS

urlpatterns = [path("sandbox/", include((sandbox_urlpatterns(SIMULATORS), "sandbox")))]
