"""Blueprints: thin adapters between HTTP and the catalog."""
