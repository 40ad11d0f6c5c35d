"""Outbound network access on users' behalf (ADR 0052)."""
