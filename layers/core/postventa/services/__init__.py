"""Use cases the entry points call: one function per thing a handler does."""
