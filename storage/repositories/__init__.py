"""Repositories: small functions over an `AsyncSession`; they never commit."""
