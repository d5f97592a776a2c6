"""What a running server does beside answering requests: ingest workers, the live hub of screen
events, the rules ticker, the simulated gateway and the MQTT subscriber."""
