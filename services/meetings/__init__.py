"""The meetings service (cell meetings, attendance, dues, meeting quality, early warnings).

Public entry point for the command line (``dangvien``): ``vault_url``, where the service's key vault
(the absence reasons' keys) lives beside a read model. Every other module is internal. Loaded on
first use, so importing the package (or its pure domain modules) stays cheap."""

__all__ = ["vault_url"]


def __getattr__(name: str):
    if name in __all__:
        from services.meetings import dependencies
        return getattr(dependencies, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
