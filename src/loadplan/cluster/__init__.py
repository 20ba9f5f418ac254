"""Load beyond one machine: loadplan's workers as Ray actors (the optional ``ray`` extra).

Nothing here imports Ray at import time; ``connect.import_ray`` does, when a run asks for it.
"""
