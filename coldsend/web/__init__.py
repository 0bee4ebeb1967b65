"""The dashboard: server-rendered pages at `/` over the same domain services as the API."""
