"""The reference target: a small but real multilingual search service to load.

``loadplan target serve`` runs it; ``server.serve(config)`` does the same from Python, and
``background.start_in_thread(config)`` / ``background.ServiceProcess.start(args)`` run it beside
other code (tests, a demo). Nothing here is imported by ``import loadplan``, and importing it
starts nothing.
"""
