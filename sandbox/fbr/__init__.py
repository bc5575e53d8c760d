"""A local stand-in for FBR's IMS POS API (fbr.md §2): cloud PostData, the local fiscal component, strict
validation, recorded invoices and fault injection. Start with `python -m sandbox.fbr --port 5002`."""

from sandbox.fbr.app import create_fbr_sandbox_app

__all__ = ["create_fbr_sandbox_app"]
