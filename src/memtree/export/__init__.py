"""The whole tree for other tools: the relation graph (Mermaid, DOT, HTML) and export/import."""
