"""The gateway service (HTTP, users, access control).

Public entry points for the command line (``dangvien``): the users' store (``UserStore`` over
``db_url(data_dir)``) and the demo login (``demo_login``). Every other module is internal. They are
loaded on first use, so importing the package stays cheap."""

__all__ = ["UserStore", "db_url", "demo_login"]


def __getattr__(name: str):
    if name in __all__:
        from services.gateway import auth
        return getattr(auth, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
