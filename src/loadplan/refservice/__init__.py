"""The reference target: a small but real multilingual search service to load.

``loadplan target serve`` runs it; ``server.serve(config)`` does the same from Python, and
``server.start_in_thread(config)`` runs it beside a test. Nothing here is imported by
``import loadplan``, and importing it starts nothing.
"""
