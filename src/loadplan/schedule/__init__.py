"""When each request is due: rate profiles, arrival processes and the resulting schedule."""
