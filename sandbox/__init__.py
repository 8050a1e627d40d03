"""Sandboxes shipped with the suite for tests, onboarding and demos.

Not real partners: each one says so in its answers and its README.
"""
