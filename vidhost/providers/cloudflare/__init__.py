"""The Cloudflare Stream API subset (ADR 0092): a thin view of ordinary vidhost videos."""
