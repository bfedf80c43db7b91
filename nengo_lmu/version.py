"""The version of nengo-lmu."""

version = "0.1.0.dev0"
