"""Capacity models fitted to measured load levels: how far a service scales, and where it stops.

The Universal Scalability Law (``usl``) turns throughput measured at several loads into contention
(sigma), coherency (kappa) and single-unit throughput (lambda), and from them the load where
throughput peaks; ``usl_data`` reads the (N, X) CSV files that R's usl and usl4j take, so a fit can
be checked against theirs. Everything here is arithmetic on numbers already measured: nothing
reads the engine or the scenarios that produced them.
"""
