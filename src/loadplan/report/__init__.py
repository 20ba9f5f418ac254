"""Reports: the terminal summary, Markdown and HTML."""
