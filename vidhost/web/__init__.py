"""The web app (ADR 0080): pages and static assets served by ``vidhost serve`` at ``/``.

The app is a client of the public API only; this package adds pages, the vendored
libraries, offline API docs and the one-time sign-in code of the embedded profile.
"""
