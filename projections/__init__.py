"""Read models folded from the event store, and history for auditors (docs/projections.md).

queries (what the API and CLI read), projector (keeps read models current), rebuild
(fresh tables beside the live ones, swapped in at once), history (a plan as of an instant
or version), export (audit exports checkable offline). Domain-made histories for tests and
benchmarks live in testkit.synthetic, outside the product.
"""
