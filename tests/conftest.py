"""Shared fixtures: the virtual-audio rig and the local Messages-API server are pytest plug-ins."""

pytest_plugins = ["tests.audio_rig", "tests.fake_messages_api"]
