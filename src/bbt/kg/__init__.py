"""Stock knowledge graph: companies, executives, industries, concepts and top holders in one SQLite file."""

from bbt.kg.build import build_kg
from bbt.kg.graph import DEFAULT_KG_PATH, KnowledgeGraph, load_kg

__all__ = ["DEFAULT_KG_PATH", "KnowledgeGraph", "build_kg", "load_kg"]
