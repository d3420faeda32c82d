"""The emotion stage (EMOTION_ANALYSIS, TEXT_ANALYSIS): words, voice cues, the trained model."""
