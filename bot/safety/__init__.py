"""Safety features: risk-language detection for crisis handling."""

from bot.safety.risk import (
    RiskDetector,
    RiskMatch,
    detector_from_env,
    load_detector,
    normalize,
)

__all__ = ["RiskDetector", "RiskMatch", "detector_from_env", "load_detector", "normalize"]
