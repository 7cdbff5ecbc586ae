"""Applications built on the product parts: market commentary (more to come: the sentiment factor, the event graph)."""
