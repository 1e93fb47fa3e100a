"""The reporting service (the directive's reports from every service's facts).

It has no entry point for the command line: the CLI asks for reports over HTTP and writes them
with ``documents.tables``, the one export writer. Every module here is internal."""

__all__: list[str] = []
