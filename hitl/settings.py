"""Typed settings for the review app, read from ``SCIDISCO_*`` environment variables.

Outside development the app refuses to start with a missing, default or short secret: a
known secret lets anyone forge a session cookie.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "scidisco-development-secret-do-not-use-in-production"
MIN_SECRET_LENGTH = 32
DEFAULT_DB_URL = "sqlite:///scidisco.db"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class SettingsError(ValueError):
    """The settings cannot be used to start the app; the message says what to set."""


class Settings(BaseSettings):
    """Review-app settings. Every field reads ``SCIDISCO_<FIELD>`` from the environment."""

    model_config = SettingsConfigDict(env_prefix="SCIDISCO_", extra="ignore")

    env: Environment = Field(
        default=Environment.PRODUCTION,
        description="`development` allows the built-in secret and plain-HTTP cookies.",
    )
    secret_key: str | None = Field(
        default=None, description="Signs session cookies; at least 32 characters in production."
    )
    db_url: str = Field(default=DEFAULT_DB_URL, description="SQLAlchemy URL of the database.")
    session_max_age_s: int = Field(default=8 * 3600, gt=0, description="Session lifetime.")
    login_window_s: int = Field(default=300, gt=0, description="Window for counting failures.")
    login_max_failures: int = Field(
        default=5, gt=0, description="Failed logins allowed per username or address per window."
    )
    page_size: int = Field(default=50, gt=0, le=500, description="Queue rows per page.")

    @property
    def development(self) -> bool:
        return self.env == Environment.DEVELOPMENT

    def resolved_secret(self) -> str:
        """The secret to sign cookies with.

        Raises:
            SettingsError: outside development, the secret is missing, the development
                default, or shorter than 32 characters.
        """
        if self.development:
            return self.secret_key or DEV_SECRET
        if not self.secret_key:
            raise SettingsError(
                "SCIDISCO_SECRET_KEY is not set; production needs a random secret, e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`, "
                "or set SCIDISCO_ENV=development for local use"
            )
        if self.secret_key == DEV_SECRET:
            raise SettingsError(
                "SCIDISCO_SECRET_KEY is the built-in development secret; set a random one"
            )
        if len(self.secret_key) < MIN_SECRET_LENGTH:
            raise SettingsError(
                f"SCIDISCO_SECRET_KEY has {len(self.secret_key)} characters; "
                f"use at least {MIN_SECRET_LENGTH} random ones"
            )
        return self.secret_key
