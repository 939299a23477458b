"""The independent witness: its own process, key and storage; cosigns extensions only."""
