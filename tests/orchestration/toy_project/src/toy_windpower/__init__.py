"""Toy Kedro project for the orchestration tests."""
