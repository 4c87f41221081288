"""Scoped throttles for login, token and upload (rates: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
overridable with CHEMVIZ_THROTTLE_LOGIN / _TOKEN / _UPLOAD)."""
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle


class ScopedThrottle(ScopedRateThrottle):
    """ScopedRateThrottle that reads the rates when asked, not at import, so settings changes
    (override_settings in tests) apply. Anonymous calls count per client address."""

    def get_rate(self):
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        return rates.get(self.scope)
