"""Warmup among a pool of the workspace's own mailboxes: the daily plan and ramp, the text library, pairing,
recognising warmup mail, where it landed, and the analytics and pool report built from those measurements."""
