"""Talking to Claude: streaming client, prompt, sentence splitting, offline responder."""
