"""Processing tasks run by workers: each reads and writes only through the storage port."""
