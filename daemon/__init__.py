"""teddy's runtime: hearing, one job graph per utterance, history, config, CLI and operations."""
