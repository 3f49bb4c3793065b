"""A load benchmark of the forum on PostgreSQL: ``python -m bench.run`` (see bench/README.md)."""
