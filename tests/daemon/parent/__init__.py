"""Tests of the parent page (daemon/parent)."""
