"""Shared fixtures: databases (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.db import engine_with_schema, fresh_postgres_database, require_postgres, sqlite_url
from tests.harness import BotHarness, running_bot


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database URL: SQLite, and PostgreSQL when TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    async with fresh_postgres_database(require_postgres()) as url:
        yield url


@pytest.fixture
async def any_engine(any_db_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine with the schema, on SQLite and on PostgreSQL."""
    async with engine_with_schema(any_db_url) as engine:
        yield engine


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An engine with the schema on a fresh SQLite file."""
    async with engine_with_schema(sqlite_url(tmp_path)) as engine:
        yield engine


@pytest.fixture
async def bot(tmp_path: Path, sqlite_engine: AsyncEngine) -> AsyncIterator[BotHarness]:
    """A running bot on SQLite, driven through process_update against the emulator."""
    async with running_bot(tmp_path, sqlite_engine) as harness:
        yield harness


@pytest.fixture
async def any_bot(tmp_path: Path, any_engine: AsyncEngine) -> AsyncIterator[BotHarness]:
    """A running bot on SQLite and on PostgreSQL."""
    async with running_bot(tmp_path, any_engine) as harness:
        yield harness
