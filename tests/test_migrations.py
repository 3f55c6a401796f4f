"""Migrations: empty → head on SQLite and PostgreSQL, and the models match the migrations."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import make_engine
from storage.migrate import upgrade_async
from storage.models import Base


async def test_upgrade_from_empty_to_head_matches_models(any_db_url: str) -> None:
    await upgrade_async(any_db_url)
    engine = make_engine(any_db_url)
    try:
        async with engine.connect() as conn:

            def diff(sync_conn: object) -> list[object]:
                context = MigrationContext.configure(
                    sync_conn,  # type: ignore[arg-type]
                    opts={"compare_type": True},
                )
                return list(compare_metadata(context, Base.metadata))

            differences = await conn.run_sync(diff)
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    assert differences == []
    assert set(Base.metadata.tables) <= tables


async def test_upgrade_twice_is_a_no_op(any_db_url: str) -> None:
    await upgrade_async(any_db_url)
    await upgrade_async(any_db_url)
