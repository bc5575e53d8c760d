"""Fiscal documents in our database: written at checkout, attempted, answered, overdue, read back for FBR
reporting, and the FBR settings of a merchant and its counters.

Domain operations like every service (flush, never commit); FBR's wire is `ismartsync/fiscal/`, and
`ismartsync/pipelines/fbr_report.py` sends a document between two commits.
"""
