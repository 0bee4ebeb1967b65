"""What the account operations' notes say about warmup fields (docs/compatibility.md)."""

WARMUP_FIELD_NOTES = (
    " warmup (docs/warmup.md): limit is the daily maximum (default COLDSEND_WARMUP_DEFAULT_LIMIT, 10); "
    "increment disabled (or unset) sends the limit from the first day, 0-4 starts at "
    "COLDSEND_WARMUP_RAMP_START (2) and adds that many a day up to the limit; reply_rate (default 0.3), "
    "advanced.open_rate (1), important_rate (0, sets \\Flagged: Gmail's Important label is not set) and "
    "spam_save_rate (1: the share of spam copies rescued to the INBOX, the rest filed from spam) say how "
    "the pool treats this account's warmup mail; read_emulation opens messages as a client does (FETCH "
    "BODY[]) instead of flagging them \\Seen, with no dwell time; weekday_only: no warmup on Saturday and "
    "Sunday (UTC); warm_ctd is stored and has no effect (warmup mail has no links); warmup_custom_ftag "
    "ends the body of each warmup message."
)
STATUS_NOTES = (
    " warmup_status: 1 on, 0 off, -2 when no spam folder can be found (no \\Junk flag and none of the "
    "usual names: warmup waits until one is); -1 and -3 are never set. An account that is paused or in "
    "an error status (connection error included) takes no part in warmup (nothing planned, sent or read "
    "for it) until it is active again, and its ramp waits. timestamp_warmup_start: the first enable. "
    "stat_warmup_score: the health score of warmup-analytics (percent of its found warmup mail that "
    "landed in the inbox, last 30 days); null until measured."
)
