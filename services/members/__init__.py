"""The members service (organisation tree, candidates, member lifecycle).

Public entry point for the command line (``dangvien``): ``vault_url``, where the personal-data key
vault lives beside a read model. Every other module is internal. Loaded on first use, so
importing the package (or its pure domain modules) stays cheap."""

__all__ = ["vault_url"]


def __getattr__(name: str):
    if name in __all__:
        from services.members import dependencies
        return getattr(dependencies, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
