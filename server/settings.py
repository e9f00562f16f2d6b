"""Settings: one frozen dataclass, read from ``ONEWINDOW_*`` variables and passed in."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Settings:
    # Empty means the embedded default: a SQLite file in the working directory.
    database_url: str = ""
    redis_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1  # server processes sharing the port (serve --workers)
    # Signs staff tokens and keys ID-number fingerprints. A random one is made
    # per process when unset, which is fine for a demo and wrong for production.
    secret: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    default_tz: str = "Asia/Shanghai"
    redis_prefix: str = "onewindow:"
    rate_limit_client: str = "30/60"
    rate_limit_id: str = "5/60"
    rate_limit_login: str = "20/60"
    token_ttl_s: int = 12 * 3600
    max_body_bytes: int = 16 * 1024
    log_level: str = "INFO"
    # WebSocket: messages a client may fall behind before it is told to resume,
    # seconds between heartbeats, seconds between checks of the streams for
    # events the bus did not bring.
    ws_outbox: int = 1000
    ws_heartbeat_s: float = 15.0
    ws_poll_s: float = 1.0
    # WebSocket limits: the largest message a client may send (bytes), topics per
    # connection, connections per client address, and seconds a connection that has
    # neither signed in nor subscribed may stay silent before it is closed.
    ws_max_message_bytes: int = 16 * 1024
    ws_max_subscriptions: int = 50
    ws_max_per_client: int = 500
    ws_idle_s: float = 30.0
    # Addresses (space-separated IPs or CIDRs) of reverse proxies whose X-Forwarded-For
    # is believed; from anyone else the header is ignored.
    trusted_proxies: str = ""
    # SIGTERM: seconds to finish in-flight requests before the rest are cut.
    drain_s: float = 10.0
    # The Cybersecurity Law asks for at least six months of staff-action logs.
    audit_retention_days: int = 180
    # Uploaded materials (网上申报): the largest file taken, and the directory the
    # embedded default keeps them in (empty: beside the SQLite file; PostgreSQL keeps
    # them in its own table).
    upload_max_bytes: int = 10 * 1024 * 1024
    files_dir: str = ""
    # Origins (space-separated) of a hall's own signage page that may frame the hall
    # screens; staff pages are never framed.
    display_frame_ancestors: str = ""
    # Where citizens' phones reach this server (the QR on a ticket slip points there);
    # empty: the address the kiosk itself used.
    public_url: str = ""
    # Notifications. SMS: a JSON POST to this gateway; e-mail: this SMTP server. Unset,
    # messages go to the log channel (the server's log), which is the embedded default.
    sms_gateway_url: str = ""
    sms_gateway_key: str = field(default="", repr=False)
    # Gateway template ids by our template name: "called=SMS_1,sign_in_code=SMS_2".
    sms_templates: str = ""
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_from: str = "onewindow@localhost"
    smtp_starttls: bool = False
    # Outbox worker: seconds between polls when idle, send attempts before a message
    # is marked failed, seconds a gateway may take.
    notify_poll_s: float = 1.0
    notify_max_attempts: int = 8
    notify_timeout_s: float = 10.0
    # Citizens' sign-in codes: per phone and per client.
    rate_limit_code_phone: str = "3/600"
    rate_limit_code_client: str = "10/600"
    citizen_token_ttl_s: int = 30 * 86400

    @classmethod
    def from_environ(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str, default: str) -> str:
            return env.get(f"ONEWINDOW_{name}", default)

        base = cls()
        return cls(
            database_url=get("DATABASE_URL", base.database_url),
            redis_url=get("REDIS_URL", base.redis_url),
            host=get("HOST", base.host),
            port=int(get("PORT", str(base.port))),
            workers=int(get("WORKERS", str(base.workers))),
            secret=get("SECRET", "") or base.secret,
            default_tz=get("TZ", base.default_tz),
            redis_prefix=get("REDIS_PREFIX", base.redis_prefix),
            rate_limit_client=get("RATE_LIMIT_CLIENT", base.rate_limit_client),
            rate_limit_id=get("RATE_LIMIT_ID", base.rate_limit_id),
            rate_limit_login=get("RATE_LIMIT_LOGIN", base.rate_limit_login),
            token_ttl_s=int(get("TOKEN_TTL_S", str(base.token_ttl_s))),
            max_body_bytes=int(get("MAX_BODY_BYTES", str(base.max_body_bytes))),
            log_level=get("LOG_LEVEL", base.log_level),
            ws_outbox=int(get("WS_OUTBOX", str(base.ws_outbox))),
            ws_heartbeat_s=float(get("WS_HEARTBEAT_S", str(base.ws_heartbeat_s))),
            ws_poll_s=float(get("WS_POLL_S", str(base.ws_poll_s))),
            ws_max_message_bytes=int(get("WS_MAX_MESSAGE_BYTES", str(base.ws_max_message_bytes))),
            ws_max_subscriptions=int(get("WS_MAX_SUBSCRIPTIONS", str(base.ws_max_subscriptions))),
            ws_max_per_client=int(get("WS_MAX_PER_CLIENT", str(base.ws_max_per_client))),
            ws_idle_s=float(get("WS_IDLE_S", str(base.ws_idle_s))),
            trusted_proxies=get("TRUSTED_PROXIES", ""),
            drain_s=float(get("DRAIN_S", str(base.drain_s))),
            display_frame_ancestors=get("DISPLAY_FRAME_ANCESTORS", ""),
            public_url=get("PUBLIC_URL", "").rstrip("/"),
            sms_gateway_url=get("SMS_GATEWAY_URL", ""),
            sms_gateway_key=get("SMS_GATEWAY_KEY", ""),
            sms_templates=get("SMS_TEMPLATES", ""),
            smtp_host=get("SMTP_HOST", ""),
            smtp_port=int(get("SMTP_PORT", str(base.smtp_port))),
            smtp_user=get("SMTP_USER", ""),
            smtp_password=get("SMTP_PASSWORD", ""),
            smtp_from=get("SMTP_FROM", base.smtp_from),
            smtp_starttls=get("SMTP_STARTTLS", "0").lower() in ("1", "true", "yes"),
            notify_poll_s=float(get("NOTIFY_POLL_S", str(base.notify_poll_s))),
            notify_max_attempts=int(get("NOTIFY_MAX_ATTEMPTS", str(base.notify_max_attempts))),
            notify_timeout_s=float(get("NOTIFY_TIMEOUT_S", str(base.notify_timeout_s))),
            rate_limit_code_phone=get("RATE_LIMIT_CODE_PHONE", base.rate_limit_code_phone),
            rate_limit_code_client=get("RATE_LIMIT_CODE_CLIENT", base.rate_limit_code_client),
            citizen_token_ttl_s=int(get("CITIZEN_TOKEN_TTL_S", str(base.citizen_token_ttl_s))),
            audit_retention_days=int(
                get("AUDIT_RETENTION_DAYS", str(base.audit_retention_days))
            ),
            upload_max_bytes=int(get("UPLOAD_MAX_BYTES", str(base.upload_max_bytes))),
            files_dir=get("FILES_DIR", ""),
        )

    def effective_database_url(self, cwd: Path | None = None) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(cwd or Path.cwd()) / 'onewindow.db'}"
