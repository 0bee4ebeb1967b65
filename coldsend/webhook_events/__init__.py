"""Webhook events: the delivery log, one row per attempt to deliver (the spec's Webhook Event)."""
