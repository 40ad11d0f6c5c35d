"""A client of vidhost's public HTTP API: settings, the REST calls, tus uploads, status sockets.

Nothing here imports the server's code: the command line (``vidhost.client.commands``) is built
only on what any other client could use.
"""
