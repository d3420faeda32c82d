"""The parent-alert stage (task type NOTIFICATION): rules, dedup and rate limits, channels."""
