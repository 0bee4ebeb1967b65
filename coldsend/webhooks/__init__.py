"""Webhooks: subscriptions, the facts they are owed, and the delivery log."""
