"""Real-time status: WebSocket fan-out of domain events (see docs/realtime.md)."""
