"""The NOTICE kind: a one-off message whose HTML (no member free text) is in payload["text"]."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import NOTICE, Button, Rendered, renderer
from storage.models import Delivery

if TYPE_CHECKING:
    from bot.services import Services


@renderer(NOTICE)
async def render_notice(session: AsyncSession, delivery: Delivery, services: Services) -> Rendered:
    """payload["text"] as is; optional payload["buttons"]: [[{"label", "data"|"url"}]]."""
    text = str(delivery.payload.get("text") or "")
    if not text.strip():
        return Rendered(skip="empty notice")
    rows = delivery.payload.get("buttons") or []
    buttons = [
        [Button(str(b["label"]), data=b.get("data"), url=b.get("url")) for b in row]
        for row in rows
    ]
    return Rendered(text=text, buttons=buttons)
