"""A provider client for the limiter's tests: its requests go through the shared limiter on
one key (mock its HTTP with `responses`)."""

from integrations.http import ProviderClient
from integrations.ratelimit import RateLimitPolicy


class LimitedClient(ProviderClient):
    base_url = "https://limited.test"
    uses_access_token = False


class LimitedProvider:
    key = "limited"
    name = "Limited"
    connection = None
    rate_limit = RateLimitPolicy(limit=5, window_seconds=1)

    def rate_limit_key(self, path=""):
        return "limited:scope"
