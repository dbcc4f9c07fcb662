"""Toy project settings: Kedro defaults, no hooks."""
