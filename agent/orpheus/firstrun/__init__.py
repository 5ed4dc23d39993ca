"""The first-run wizard's state: whether an administrator has finished or skipped it."""
