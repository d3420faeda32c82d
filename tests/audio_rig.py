"""PulseAudio virtual-audio rig fixtures (owned by the listening work; filled in there)."""
