"""The token-sunset campaign ("Wygaszanie tokenów", issue 12 #5): move every client off its KSeF token."""
