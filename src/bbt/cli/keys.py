"""`bbt keys ...`: API keys of the service (stored hashed in SQLite beside the bundle)."""

from __future__ import annotations

from pathlib import Path

import typer

keys_app = typer.Typer(no_args_is_help=True)
_DB = typer.Option(None, "--db", help="Key database (default: the one `bbt serve` uses: keys_db of --config / "
                                      "BBT_SERVE_KEYS_DB, else keys.sqlite beside the bundle).")
_CONFIG = typer.Option(None, "--config", help="The service settings file `bbt serve --config` reads.")
_BUNDLE = typer.Option(None, "--bundle", help="The bundle `bbt serve --bundle` serves (keys live beside it).")


def _store(db: Path | None, config: Path | None = None, bundle: Path | None = None):
    from bbt.serve.app import keys_path
    from bbt.serve.keys import KeyStore
    from bbt.serve.settings import load_serve_settings

    return KeyStore(db or keys_path(load_serve_settings(config, bundle=bundle)))


@keys_app.command("create")
def create(name: str = typer.Argument(..., help="Who or what uses the key (e.g. quant-team)."),
           rate_limit: int = typer.Option(None, help="Requests per minute for this key (default: the service's)."),
           db: Path = _DB, config: Path = _CONFIG, bundle: Path = _BUNDLE) -> None:
    """Create a key and print it once: only its hash is stored."""
    store = _store(db, config, bundle)
    plaintext, rec = store.create(name, rate_limit)
    typer.echo(plaintext)
    typer.echo(f"key id {rec.id} for {rec.name!r} stored in {store.path}; keep the key above, it is not shown again",
               err=True)


@keys_app.command("list")
def list_keys(db: Path = _DB, config: Path = _CONFIG, bundle: Path = _BUNDLE) -> None:
    """Every key: id, name, created, revoked, its rate limit."""
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "name", "created", "revoked", "rate/min")
    for r in _store(db, config, bundle).list():
        table.add_row(r.id, r.name, r.created_at, r.revoked_at or "-", str(r.rate_limit_per_minute or "default"))
    Console().print(table)


@keys_app.command("revoke")
def revoke(key_id: str = typer.Argument(..., help="The key's id (from `bbt keys list`) or the key itself."),
           db: Path = _DB, config: Path = _CONFIG, bundle: Path = _BUNDLE) -> None:
    """Revoke a key: the running service refuses it from the next request on."""
    rec = _store(db, config, bundle).revoke(key_id)
    typer.echo(f"revoked {rec.id} ({rec.name})")
