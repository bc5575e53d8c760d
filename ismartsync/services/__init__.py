"""Domain operations: plain functions that flush and never commit."""
