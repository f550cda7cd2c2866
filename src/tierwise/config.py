"""Settings from TIERWISE_* environment variables and an optional tierwise.toml."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

Language = Literal["zh_CN", "en"]
DEMO_SECRET_KEY = "tierwise-demo-only-secret"
MIN_SECRET_CHARS = 16  # an empty or guessable key signs sessions and pseudonyms as badly as none
# What an import file may hold; beyond these it is refused before it costs much time or memory.
IMPORT_MAX_ROWS = 5_000_000
IMPORT_MAX_COLUMNS = 500
IMPORT_MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
IMPORT_MAX_XLSX_MB = 256  # the workbook's parts uncompressed, together
IMPORT_MAX_UPLOAD_MB = 100  # one HTTP request (API or console upload)


class Settings(BaseSettings):
    """Everything an operator may set; the environment wins over tierwise.toml."""

    model_config = SettingsConfigDict(
        env_prefix="TIERWISE_",
        toml_file="tierwise.toml",
        extra="ignore",
    )

    database_url: str = "sqlite:///tierwise.db"
    lang: Language = "zh_CN"
    timezone: str = "Asia/Shanghai"
    import_batch_rows: int = 50_000
    # Seconds a write waits for another writer (SQLite) or a lock (PostgreSQL) before "busy".
    busy_timeout: float = Field(default=30.0, gt=0, le=3600)
    order_days_ahead: int = 365  # an order dated later than today + this is a typing mistake
    import_max_rows: int = IMPORT_MAX_ROWS
    import_max_columns: int = IMPORT_MAX_COLUMNS
    import_max_cell_chars: int = IMPORT_MAX_CELL_CHARS
    import_max_xlsx_mb: int = IMPORT_MAX_XLSX_MB
    import_max_upload_mb: int = IMPORT_MAX_UPLOAD_MB
    # Sign-in and the HTTP server. The default key is only good for the demo: serving refuses it.
    secret_key: str = DEMO_SECRET_KEY
    demo: bool = False
    session_hours: float = 12.0
    lockout_attempts: int = 5
    lockout_minutes: float = 15.0
    failed_sign_in_delay: float = 0.5
    token_days: int = 90
    # Where notices to customers are mailed from; without a host, `notices send` sends nothing.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_sender: str = "noreply@example.com"

    def today(self) -> dt.date:
        """Today in the company's zone: the date an order without one gets."""
        return dt.datetime.now(ZoneInfo(self.timezone)).date()

    def latest_order_date(self) -> dt.date:
        """The last order date any path accepts: today in the configured zone + order_days_ahead."""
        return self.today() + dt.timedelta(days=self.order_days_ahead)

    @property
    def insecure(self) -> bool:
        """Outside demo mode a server must not sign cookies with a key everyone knows or guesses."""
        return not self.demo and (
            self.secret_key == DEMO_SECRET_KEY or len(self.secret_key.strip()) < MIN_SECRET_CHARS
        )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Read init args, then the environment, then tierwise.toml in the working directory."""
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))
