"""Helpers every kind of test shares: the plan driver, ``eventually()`` and unique plan ids.

See docs/testing.md for how to use them in a new test.
"""
