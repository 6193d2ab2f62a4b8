"""Device sign-in for the terminal client: a code approved in the browser issues the device
an API key of its own (``service`` for the flow, ``endpoints`` for the client's JSON API,
``pages`` for the approval page)."""
