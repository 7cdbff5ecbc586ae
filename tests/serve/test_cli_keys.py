"""`bbt keys create/list/revoke` on a key database of its own."""

from typer.testing import CliRunner

from bbt.cli.main import app
from bbt.serve.keys import KeyStore


def test_create_list_revoke(tmp_path):
    db = tmp_path / "keys.sqlite"
    runner = CliRunner()
    made = runner.invoke(app, ["keys", "create", "quant-team", "--rate-limit", "30", "--db", str(db)])
    assert made.exit_code == 0, made.output
    key = made.stdout.strip().splitlines()[0]
    rec = KeyStore(db).verify(key)
    assert rec.name == "quant-team" and rec.rate_limit_per_minute == 30
    listed = runner.invoke(app, ["keys", "list", "--db", str(db)])
    assert rec.id in listed.stdout and "quant-team" in listed.stdout
    assert runner.invoke(app, ["keys", "revoke", rec.id, "--db", str(db)]).exit_code == 0
    assert KeyStore(db).verify(key).active is False
    again = runner.invoke(app, ["keys", "revoke", rec.id, "--db", str(db)])
    assert again.exit_code != 0 and "already revoked" in str(again.exception)
