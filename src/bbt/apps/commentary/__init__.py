"""Commentary written from a price series: facts (bbt.ts.facts) -> text in a voice -> every claim checked (bbt.ts.claims)."""

from bbt.apps.commentary.template import STYLES, Commentary, realise, select_facts

__all__ = ["STYLES", "Commentary", "realise", "select_facts"]
