"""Tests of the AI-response stage, its safety filter and the local Messages-API server."""
