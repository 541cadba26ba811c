"""Alembic migrations for the diary, shipped inside the package and run by :mod:`babyskin.store.migrate`."""
