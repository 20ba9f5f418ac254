"""Where merged seconds go while a run is on: the terminal, Prometheus, the target's metrics."""
