"""Settings: defaults, then the config file, then OPTERA_* environment.

One typed `Settings` object is built at start-up and handed to everything
that needs it; nothing reads the environment after that.
"""

from __future__ import annotations

import os
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

DEFAULT_CONFIG = Path("config/optera.toml")


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8080
    admin_host: str = "127.0.0.1"
    admin_port: int = 8081
    admin_token_file: str | None = None
    metrics_require_token: bool = True
    data_dir: str = "./data"
    max_body_bytes: int = 64 * 1024 * 1024
    log_level: str = "INFO"
    cors_origins: list[str] = Field(default_factory=lambda: ["*"])


class UpstreamSettings(BaseModel):
    openai_base_url: str = "https://api.openai.com/v1"
    anthropic_base_url: str = "https://api.anthropic.com/v1"
    connect_timeout_s: float = Field(default=10.0, gt=0, allow_inf_nan=False)
    idle_timeout_s: float = Field(default=600.0, gt=0, allow_inf_nan=False)
    total_timeout_s: float = Field(default=3600.0, gt=0, allow_inf_nan=False)
    max_connections: int = Field(default=1000, ge=1)
    keepalive_expiry_s: float = Field(default=30.0, gt=0, allow_inf_nan=False)
    transport: str = "aiohttp"


class PlanSettings(BaseModel):
    starter: int = 100_000
    growth: int = 500_000
    enterprise: int = 5_000_000


class BurstSettings(BaseModel):
    rate_per_second: float = 50.0
    capacity: int = 200


class CacheSettings(BaseModel):
    exact_enabled: bool = True
    ttl_seconds: int = 86_400
    max_entries: int = 100_000
    max_megabytes: int = 512
    inflight_wait_seconds: float = 300.0
    embeddings: bool = True


class SemanticSettings(BaseModel):
    enabled: bool = True
    threshold: float = 0.88
    model: str = "optera/minilm-l6-int8"
    model_path: str | None = None
    threads: int = 1
    mirror_rows: int = 50_000
    word_overlap: float = 0.4


class CompressionSettings(BaseModel):
    preamble: bool = True
    repetition: bool = True
    summarize: bool = False
    summarize_threshold_tokens: int = 6000
    summarize_keep_turns: int = 6
    summarize_stride_turns: int = 4
    summarize_max_tokens: int = 1024
    summarize_timeout_s: float = 60.0
    summary_model_openai: str = "gpt-4o-mini"
    summary_model_anthropic: str = "claude-haiku-4-5"
    tools: bool = True
    images: bool = True
    provider_cache_breakpoints: bool = True


class RoutingSettings(BaseModel):
    enabled: bool = True
    threshold: float = 0.8
    overrides: dict[str, str] = Field(default_factory=dict)
    models_file: str | None = None
    examples_file: str | None = None


class PrivacySettings(BaseModel):
    store_prompts: bool = False


class PriceOverride(BaseModel):
    """Dollars per million tokens for one model, replacing genai-prices."""

    input_mtok: Decimal
    output_mtok: Decimal
    cache_read_mtok: Decimal | None = None
    cache_write_mtok: Decimal | None = None


class RunawayLeakSettings(BaseModel):
    min_turns: int = 10
    growth_factor: float = 4.0
    growing_share: float = 0.8
    loop_per_minute: int = 10
    loop_size_spread: float = 0.02


class OversizedLeakSettings(BaseModel):
    context_share: float = 0.8
    median_factor: float = 8.0
    short_answer_tokens: int = 256
    min_prompt_tokens: int = 4000
    median_hours: int = 24
    min_samples: int = 20
    min_requests: int = 3
    models_file: str | None = None


class RetryLeakSettings(BaseModel):
    window_seconds: int = 120
    min_retries: int = 3
    error_burst_per_minute: int = 10
    error_burst_share: float = 0.5


class CostSpikeLeakSettings(BaseModel):
    factor: float = 4.0
    min_excess_usd: Decimal = Decimal("1.00")
    baseline_hours: int = 24
    min_baseline_hours: int = 6
    tags: list[str] = Field(default_factory=lambda: ["feature"])


class LeakSettings(BaseModel):
    enabled: bool = True
    interval_seconds: int = 300
    window_minutes: int = 60
    runaway_prompt: RunawayLeakSettings = Field(default_factory=RunawayLeakSettings)
    oversized_context: OversizedLeakSettings = Field(
        default_factory=OversizedLeakSettings
    )
    retry: RetryLeakSettings = Field(default_factory=RetryLeakSettings)
    cost_spike: CostSpikeLeakSettings = Field(default_factory=CostSpikeLeakSettings)


class Settings(BaseModel):
    server: ServerSettings = Field(default_factory=ServerSettings)
    upstream: UpstreamSettings = Field(default_factory=UpstreamSettings)
    plans: PlanSettings = Field(default_factory=PlanSettings)
    burst: BurstSettings = Field(default_factory=BurstSettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)
    semantic: SemanticSettings = Field(default_factory=SemanticSettings)
    compression: CompressionSettings = Field(default_factory=CompressionSettings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    prices: dict[str, PriceOverride] = Field(default_factory=dict)
    leaks: LeakSettings = Field(default_factory=LeakSettings)
    extra: dict[str, Any] = Field(default_factory=dict)

    @property
    def data_path(self) -> Path:
        return Path(self.server.data_dir).expanduser()


ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "OPTERA_HOST": ("server", "host"),
    "OPTERA_PORT": ("server", "port"),
    "OPTERA_ADMIN_HOST": ("server", "admin_host"),
    "OPTERA_ADMIN_PORT": ("server", "admin_port"),
    "OPTERA_ADMIN_TOKEN_FILE": ("server", "admin_token_file"),
    "OPTERA_DATA_DIR": ("server", "data_dir"),
    "OPTERA_LOG_LEVEL": ("server", "log_level"),
    "OPTERA_OPENAI_BASE_URL": ("upstream", "openai_base_url"),
    "OPTERA_ANTHROPIC_BASE_URL": ("upstream", "anthropic_base_url"),
    "OPTERA_UPSTREAM_TRANSPORT": ("upstream", "transport"),
    "OPTERA_SEMANTIC_MODEL": ("semantic", "model"),
    "OPTERA_SEMANTIC_MODEL_PATH": ("semantic", "model_path"),
}


def config_path(explicit: str | None, env: dict[str, str]) -> Path | None:
    """The config file to read: --config, else OPTERA_CONFIG, else the default."""
    chosen = explicit or env.get("OPTERA_CONFIG")
    if chosen:
        return Path(chosen)
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def load_settings(
    explicit: str | None = None, env: dict[str, str] | None = None
) -> Settings:
    """Build the settings from the config file and the environment."""
    env = dict(os.environ) if env is None else env
    raw: dict[str, Any] = {}
    path = config_path(explicit, env)
    if path is not None:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    for var, (section, key) in ENV_OVERRIDES.items():
        if var in env and env[var] != "":
            raw.setdefault(section, {})[key] = env[var]
    return Settings.model_validate(raw)
