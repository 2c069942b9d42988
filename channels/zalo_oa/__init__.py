"""The Zalo Official Account channel (Open API v3, OAuth v4)."""

from channels.zalo_oa.channel import ZaloOAChannel

__all__ = ["ZaloOAChannel"]
