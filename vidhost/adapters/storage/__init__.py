"""Storage adapters (local filesystem, S3). Chosen in ``vidhost.app.wiring``."""
