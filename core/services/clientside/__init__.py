"""The client side (DESIGN.md §3 K): invitations and client users, what the office allows each client, the client
user's own company ("Moja firma") and the client programs' intake API.

Every call made for a client user or a client program is bound to one company: `bound_client` turns an id of any
other company into NotFound, so another client's data cannot be told apart from data that does not exist.
"""
