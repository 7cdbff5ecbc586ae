"""`bbt serve`: the API service on the default bundle (built on first start) or `--bundle DIR`."""

from __future__ import annotations

from pathlib import Path

import typer

from bbt.cli.options import DataDir


def serve_command(
    bundle: Path = typer.Option(None, help="Model bundle directory (default: the default bundle, built if missing)."),
    host: str = typer.Option(None, help="Interface to listen on (default 127.0.0.1; 0.0.0.0 opens it up)."),
    port: int = typer.Option(None, help="Port (default 8000)."),
    config: Path = typer.Option(None, help="Service settings file (TOML or JSON; env vars BBT_SERVE_* also work)."),
    data_dir: DataDir = None,
    no_keys: bool = typer.Option(False, "--no-keys", help="Serve without API keys (local experiments only)."),
    build: bool = typer.Option(True, help="Build the default bundle when it is missing."),
) -> None:
    """Serve the BBT API (11 capabilities + forecasting); prints example calls once ready."""
    import uvicorn
    from rich.console import Console

    from bbt.bundle.manifest import MANIFEST
    from bbt.errors import BBTError
    from bbt.serve.app import create_app, keys_path
    from bbt.serve.keys import KeyStore
    from bbt.serve.settings import default_bundle_dir, load_serve_settings

    console = Console(stderr=True)
    settings = load_serve_settings(config, bundle=bundle, host=host, port=port,
                                   require_keys=False if no_keys else None)
    root = settings.bundle or default_bundle_dir()
    if not (root / MANIFEST).is_file() or not _complete(root):
        if not build:
            raise BBTError(f"no complete bundle at {root}; build it with `bbt bundle build --out {root}`")
        console.print(f"[bold]building the model bundle in {root}[/] (first start only; cached afterwards)")
        from bbt.bundle.build import build_bundle
        from bbt.settings import resolve_data_dir

        build_bundle(resolve_data_dir(data_dir), root)
    settings = settings.model_copy(update={"bundle": root})
    key_hint = "$BBT_API_KEY"
    if settings.require_keys:
        store = KeyStore(keys_path(settings))
        if not store.list():  # why: only on a fresh key database; revoking every key must lock the API, not reopen it
            plaintext, rec = store.create("first-key")
            console.print(f"created a first API key (id {rec.id}); it is shown only now:\n  {plaintext}")
            key_hint = plaintext
        console.print(f"API keys: {store.path} (manage with `bbt keys ... --db {store.path}`)", highlight=False)
        store.close()
    elif settings.host not in ("127.0.0.1", "localhost", "::1"):
        console.print(f"[bold yellow]warning:[/] serving without API keys on {settings.host}: anyone who can reach "
                      "it can use it")
    base = f"http://{settings.host}:{settings.port}"
    auth = f" -H 'X-API-Key: {key_hint}'" if settings.require_keys else ""
    console.print("[bold]example calls[/] (OpenAPI docs at " + base + "/docs):")
    for path, body in (("/v1/sentiment/forum", '{"texts": ["这只股票又跌停了，太惨了"]}'),
                       ("/v1/kg/companies", '{"queries": ["600519"]}'),
                       ("/v1/announcements", '{"texts": ["公司股东将其持有的1050.3万股质押给华泰证券，占其所持股份的30.00%"]}'),
                       ("/v1/forecast", '{"items": [{"series": {"close": [10, 10.2, 10.1, 10.4, 10.3, 10.6]}, '
                                        '"horizon": 3}]}')):
        console.print(f"  curl -s {base}{path}{auth} -H 'Content-Type: application/json' -d '{body}'",
                      highlight=False, soft_wrap=True)
    if settings.require_keys:
        console.print("  more keys: bbt keys create NAME; revoke: bbt keys revoke ID", highlight=False)
    configure_logging(settings.log_level)
    # access_log off: our middleware logs every request with its request ID, status and latency instead
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level,
                timeout_graceful_shutdown=30, access_log=False)


def configure_logging(level: str) -> None:
    import logging

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("bbt.serve")
    logger.handlers[:] = [handler]
    logger.setLevel(level.upper())
    logger.propagate = False


def _complete(root: Path) -> bool:
    from bbt.bundle.build import STEPS
    from bbt.bundle.manifest import read_manifest
    from bbt.errors import BBTError

    try:
        m = read_manifest(root)
    except BBTError:
        return False
    return all(m.get("steps", {}).get(name, {}).get("done") for name, _ in STEPS)
