"""The audio-enhancement stage (AUDIO_ENHANCEMENT): high-pass, noise reduction, loudness."""
