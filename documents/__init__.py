"""Documents people sign and send, made from the reports' figures (not a service: the gateway and
the CLI both render them from the JSON the API returned)."""
