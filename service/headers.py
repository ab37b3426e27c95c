"""The security headers every response carries, in one place: the middleware adds them to
what the app answers, and the last-resort error handler to the 500s written outside it."""

from __future__ import annotations

# Pages load only their own scripts (no inline script, no CDN): an injected <script> that
# escaping missed still does not run. Inline style attributes are used by the templates.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# FastAPI's own API docs load Swagger/ReDoc from a CDN: they only get the framing rule.
DOCS_PATHS = ("/docs", "/redoc")

SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",  # rep links are credentials: never leak them onwards
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def security_headers(path: str, *, https: bool) -> dict[str, str]:
    """Every security header for a response to `path`."""
    policy = "frame-ancestors 'none'" if path.startswith(DOCS_PATHS) else CONTENT_SECURITY_POLICY
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": policy}
    if https:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return headers
