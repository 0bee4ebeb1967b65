"""Email verification: syntax, DNS, SMTP probe, catch-all, disposable and role checks."""
