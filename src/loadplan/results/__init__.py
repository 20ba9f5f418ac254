"""Results: interval snapshots, the run log on disk, and runs read back from it."""
