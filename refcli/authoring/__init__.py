"""Authoring: reading the firm's fiches, writing new records and importing them."""
