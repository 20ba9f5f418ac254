"""The load engine: pacer, HTTP client and recorder, one event loop per process.

Its per-request modules may run compiled (``build.py``); ``LOADPLAN_INTERPRETED=1`` in the
environment runs them from their source instead.
"""

import os

from loadplan.engine.build import INTERPRETED_ENV, prefer_source

if os.environ.get(INTERPRETED_ENV, "") not in ("", "0"):
    prefer_source()
