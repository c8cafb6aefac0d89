"""Hosts as machines: how to reach them, with what credential, and what was learned from them."""
