"""Email verification: the requests, their jobs, webhooks and CLI around the probe pipeline (`probe/`)."""
