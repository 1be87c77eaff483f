"""Entries on disk: the layout (paths, slugs, the walk), the markdown + YAML codec, the one
writer of memory files, links between entries, templates and whole-tree validation."""
