"""Outbound webhooks: a durable outbox filled from the event log (see docs/realtime.md)."""
