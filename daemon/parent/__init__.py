"""The parent page: what a parent opens on a phone on the home network (issue 13).

Served by the daemon's own HTTP server (``daemon/ops/http.py`` mounts :class:`ParentSite`):
Now, Conversations, Feelings, Alerts, Settings, Privacy (export and delete) and the JSON API
behind them, behind a parent password (``teddy parent set-password``), sessions with CSRF tokens
and login rate limiting; the API also takes ``Authorization: Bearer <health.token>``.

    site = parent_site(daemon)       # daemon/parent/wiring.py: the live parts, as callables
    HealthServer(..., site=site)
"""
