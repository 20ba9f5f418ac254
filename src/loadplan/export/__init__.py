"""Export a plan's workload as a script for another load tool (wrk Lua, k6 JavaScript).

``sequence.py`` turns a plan into one ``Export`` value (the seeded request sequence with its
tags, the stages, the SLA); ``wrk.py`` and ``k6.py`` each render it as text, or refuse a plan
feature their tool cannot express. Export sits beside the reports at the end of the pipeline:
it reads plan, workload and schedule, and only the CLI imports it.
"""
