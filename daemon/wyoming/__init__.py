"""teddy as a Wyoming conversation agent, so a Home Assistant voice device can be the bear."""
