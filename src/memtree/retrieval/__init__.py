"""Query -> result: the retrieval tiers and the confidence gate, pure ranking, context packs."""
