"""The Mux Video API subset (ADR 0091): the shapes of Mux's API reference on vidhost's core.

A Mux asset is an ordinary vidhost video (asset id = video id); a direct upload is a
resumable upload (``vidhost.ingest.tus``) whose completion goes through
``VideoService.accept_source``; playback ids and signed playback reuse ADR 0050's signing keys
and tokens. Routes: ``api.py`` (``/video/v1``, ``/system/v1``), ``upload_url.py`` (the
upload ``url``), ``playback.py`` (``stream.mux.com``/``image.mux.com`` shapes).
"""
