"""One-off data migrations of the task table, run by an operator (docs/data-model.md,
"Migrations"). Never imported by the service."""
