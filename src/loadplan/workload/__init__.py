"""Realistic workloads: what to send, in what proportions, tagged for per-bucket results."""
