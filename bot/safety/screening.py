"""The risk detector of this process, loaded once from the settings."""

from __future__ import annotations

from bot.safety.risk import RiskDetector, RiskMatch, load_detector
from bot.services import Services

DETECTOR_KEY = "safety.risk_detector"


def detector_for(services: Services) -> RiskDetector:
    """The detector built from RISK_PHRASES_FILE / RISK_PHRASES_REPLACE, cached in services."""
    found = services.extras.get(DETECTOR_KEY)
    if isinstance(found, RiskDetector):
        return found
    settings = services.settings
    detector = load_detector(settings.risk_phrases_file or None, settings.risk_phrases_replace)
    services.extras[DETECTOR_KEY] = detector
    return detector


def find_risk(services: Services, text: str | None) -> RiskMatch | None:
    """The first risk phrase in `text`, or None (the text is never logged)."""
    if not text:
        return None
    return detector_for(services).check(text)
