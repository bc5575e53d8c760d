"""Blueprints, one per screen area: authorise, validate, call one service, commit once, render."""
