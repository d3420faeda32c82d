"""Where parent alerts go: a webhook, the desktop (D-Bus); the history always gets them."""

from processors.alert_channels.base import AlertChannel, Delivery
from processors.alert_channels.desktop import DesktopChannel
from processors.alert_channels.webhook import WebhookChannel, sign, verify

__all__ = ["AlertChannel", "Delivery", "DesktopChannel", "WebhookChannel", "sign", "verify"]
