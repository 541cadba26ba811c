"""The heavier safety runners (``make safety``): schemathesis fuzzing, a loopback load test, a summary."""
