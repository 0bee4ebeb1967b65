"""Coldsend: a self-hosted cold-email outreach server with an Instantly API V2 compatible API."""

__version__ = "0.1.0"
