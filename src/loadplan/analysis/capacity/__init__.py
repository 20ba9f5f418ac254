"""The capacity plan: what a run's steps say about how much load one instance holds under the
SLA, where latency turns, how throughput scales, what breaks first, and how many instances and
how large a cache growth needs."""
