"""Online serving on Ray Serve: OpenAI-compatible routes and e-commerce task routes for checkpoints."""
