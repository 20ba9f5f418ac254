"""The regression gate: does a new build hold against the last one, with statistics.

``runs.compare_runs`` files both runs' seconds by stage and tag (``samples``), measures each
figure's change with a moving-block bootstrap interval (``stats``), and gives each row a
verdict against the ``--fail-on`` thresholds (``gate``).
"""
