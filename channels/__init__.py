"""Channel adapters: each turns its platform's events into core events and sends the core's replies out."""
