"""Views of a whole tree for other tools: the relation graph (Mermaid, DOT, HTML)."""
