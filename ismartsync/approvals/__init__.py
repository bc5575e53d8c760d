"""Approvals at the counter: what a supervisor is asked to approve, and the member's form kept waiting meanwhile."""
