"""Credentials on the Klient and Certyfikaty pages: the list, the upload and token forms, the revoke dialog.

No secret ever enters session state for longer than the callback that hands it to the service: text inputs are
emptied and file uploaders replaced (a new key) in that same callback.
"""
