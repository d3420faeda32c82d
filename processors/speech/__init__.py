"""The speech stage (task type "speech"): text-to-speech engines and playback."""
