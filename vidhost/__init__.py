"""vidhost: a self-hosted video platform backend."""

__version__ = "0.1.0"
