"""One address through the checks: syntax, DNS, SMTP RCPT probe, catch-all, disposable, role; no tables."""
