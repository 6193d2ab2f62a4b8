"""Gateway benchmark: overhead, throughput, streaming TTFB and memory, against LiteLLM."""
