"""The command line: `app` (the typer app), `main` (the error boundary), one module per area
of commands, and the output helpers. Importing this package imports nothing heavy."""
