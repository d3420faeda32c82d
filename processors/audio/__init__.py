"""Audio helpers shared by stages and hearing (not a stage): samples, the PortAudio guard."""
