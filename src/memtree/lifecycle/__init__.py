"""Over time: lifecycle scores, usage signals, supersession, contradictions, consolidation,
stats, folder summaries, code anchors, and the service that applies them to a memory."""
