"""Wire models, defined once and shared by the client, the server and the UI."""
