"""Running plans: worker processes, merging, sinks, stop conditions."""
