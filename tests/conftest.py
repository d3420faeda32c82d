"""Shared fixtures: the virtual-audio rig, the local Messages-API server and real Wyoming servers
are pytest plug-ins."""

pytest_plugins = ["tests.audio_rig", "tests.fake_messages_api", "tests.wyoming_servers"]
