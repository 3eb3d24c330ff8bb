"""The framework every provider simulator is built on. Modules, each with one concern:

simulator    `Simulator`: a provider's slug, error builders, limits; `@simulator.endpoint`
tokens       issue, redeem, rotate, validate, revoke and expire OAuth credentials
oauth        consent page, token endpoint and revocation views (`OAuthPolicy`)
ratelimit    `RateLimit`: per-key sliding windows answering the provider's own 429
errors       every provider's error bodies; `ErrorResponse` to answer with one from a view
jsonbody     `strict_json`: reject unknown fields as the provider does
faults       server errors, 429 bursts, latency, lost responses (`configure`, ...)
lostresponse how a response is lost on the wire (timeout, reset, truncate)
accountant   the accountant page and the `AccountantBook` a simulator implements
control      /_control/ endpoints: faults, tokens, admitted requests over HTTP
site         the /sandbox/ index and the URL patterns that mount simulators
"""
