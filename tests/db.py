"""Test databases: a fresh SQLite file per test; PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import make_engine
from storage.models import Base


def postgres_url() -> str | None:
    """The PostgreSQL server for tests, or None; fails hard when CI requires it."""
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not url and (os.environ.get("REQUIRE_POSTGRES") == "1"):
        pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url.split("://", 1)[1]
    return url or None


def require_postgres() -> str:
    """Skip (outside CI) or fail (in CI) when no PostgreSQL is configured."""
    url = postgres_url()
    if url is None:
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL")
    return url


@asynccontextmanager
async def fresh_postgres_database(server_url: str) -> AsyncIterator[str]:
    """Create a throw-away database on the server, yield its URL, drop it afterwards."""
    name = f"circlebot_t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0)
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@asynccontextmanager
async def engine_with_schema(url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on `url` with every table created from the models."""
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    try:
        yield engine
    finally:
        await engine.dispose()


def sqlite_url(folder: Path) -> str:
    """A SQLite file URL inside `folder`."""
    return f"sqlite+aiosqlite:///{folder / 'test.sqlite3'}"
