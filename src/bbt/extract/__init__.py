"""Information extraction from Chinese financial text: entities, events, causes, values."""
