"""The load engine: pacer, HTTP client and recorder, one event loop per process."""
