"""Support for tests and benchmarks, kept out of the product.

Not listed in pyproject.toml's packages, so never installed with acip: tests/ and bench/
import it from the checkout (pytest's ``pythonpath``, or ``python -m bench.x`` from the
repository root).
"""
