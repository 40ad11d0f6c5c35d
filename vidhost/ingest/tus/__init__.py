"""Resumable uploads: tus 1.0.0 sessions stored piece by piece, then handed to the domain."""
