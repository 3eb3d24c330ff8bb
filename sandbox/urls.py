"""Mounted at /sandbox/ by config.urls when SANDBOX_ENABLED: the index and every registered
simulator under /sandbox/<slug>/."""

from sandbox.framework.site import sandbox_urlpatterns
from sandbox.registry import SIMULATORS

app_name = "sandbox"
urlpatterns = sandbox_urlpatterns(SIMULATORS)
