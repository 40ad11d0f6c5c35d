"""Standalone media toolkit: probing, ladder selection, HLS command building, ffmpeg running.

Nothing in this package imports from the rest of :mod:`vidhost`; it only needs the ffmpeg binary
shipped by ``imageio-ffmpeg`` and PyAV (``av``) for probing.
"""
