"""The reporting service (the directive's reports from every service's facts).

Public entry points for the command line (``dangvien``): a report answer as CSV (``to_csv``),
XLSX (``to_xlsx``) or a table (``table``, ``title_lines``). Every other module is internal.
Loaded on first use, so importing the package stays cheap."""

__all__ = ["to_csv", "to_xlsx", "table", "title_lines"]


def __getattr__(name: str):
    if name in __all__:
        from services.reporting import exports
        return getattr(exports, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
