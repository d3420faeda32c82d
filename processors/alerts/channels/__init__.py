"""Where parent alerts go: a webhook, the desktop (D-Bus); the history always gets them."""

from processors.alerts.channels.base import AlertChannel, Delivery
from processors.alerts.channels.desktop import DesktopChannel
from processors.alerts.channels.webhook import WebhookChannel, sign, verify

__all__ = ["AlertChannel", "Delivery", "DesktopChannel", "WebhookChannel", "sign", "verify"]
