"""Notices to customers when their tier moves, a downgrade nears or a reward is granted."""
