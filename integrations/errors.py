"""What can go wrong when talking to a provider, classified the way the engine acts on it.

| class      | examples                                 | the engine                               |
|------------|------------------------------------------|------------------------------------------|
| Retryable  | 429, 5xx, connection refused             | backoff, Retry-After wins, then dead     |
| Ambiguous  | timeout or reset after the request left  | `unknown`: search before create next try |
| Permanent  | 400/422 validation, missing mapping      | `failed` with the provider's message     |
| Auth       | 401, invalid_grant, revoked consent      | connection `needs_reauth`, jobs wait     |
"""


class ProviderError(Exception):
    """Base: `message` is for people, `raw` is the provider's body verbatim, for the log."""

    def __init__(self, message, *, status_code=None, code=None, raw=None, raw_text=""):
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        self.raw = raw
        self.raw_text = raw_text

    def __str__(self):
        return self.message


class RetryableError(ProviderError):
    def __init__(self, message, *, retry_after=None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class RateLimitedError(RetryableError):
    """The provider answered 429."""


class AmbiguousError(ProviderError):
    """The request may or may not have taken effect at the provider."""


class PermanentError(ProviderError):
    """Retrying the same request cannot help; a person must fix something first."""


class AuthError(ProviderError):
    """The grant is gone (revoked, expired, wrong keys); a person must connect again."""


class LocalRateLimitWait(Exception):
    """Our own limiter would make this job wait too long; give the worker back and retry later."""

    def __init__(self, wait_seconds):
        super().__init__(f"rate limit slot in {wait_seconds:.1f} s")
        self.wait_seconds = wait_seconds


class ValidationProblem:
    """One thing that blocks an action, with where a person fixes it."""

    def __init__(self, message, *, fix_url="", field=""):
        self.message = str(message)
        self.fix_url = fix_url
        self.field = field

    def as_dict(self):
        return {"message": self.message, "fix_url": self.fix_url, "field": self.field}

    def __repr__(self):
        return f"ValidationProblem({self.message!r})"


class ActionBlocked(Exception):
    """Validation found problems; nothing was sent. Carries every problem at once."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(p.message for p in self.problems))
