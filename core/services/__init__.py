"""Operations the buttons, the CLI and the worker run. Each takes the acting user, checks the role and audits."""
