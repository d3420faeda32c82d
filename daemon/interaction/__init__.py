"""One utterance -> one job graph: the graph, the pipeline that runs it, its events, the stage
wiring and the typed outcome."""
