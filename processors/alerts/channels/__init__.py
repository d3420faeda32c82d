"""Where parent alerts go: apprise URLs (phones), a webhook, the desktop (D-Bus); the history
always gets them. The apprise channel is imported from ``channels.apprise`` only when URLs are
configured (loading apprise's plugins costs start-up time)."""

from processors.alerts.channels.base import AlertChannel, Delivery, UnusableChannel
from processors.alerts.channels.desktop import DesktopChannel
from processors.alerts.channels.webhook import WebhookChannel, sign, verify

__all__ = [
    "AlertChannel",
    "Delivery",
    "DesktopChannel",
    "UnusableChannel",
    "WebhookChannel",
    "sign",
    "verify",
]
