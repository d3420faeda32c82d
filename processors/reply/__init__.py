"""The reply stage (AI_RESPONSE): Claude or the offline responder, and the child-safety filter."""
