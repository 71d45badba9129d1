"""Optera appliance: the proxy server, its pipeline and its stores."""
