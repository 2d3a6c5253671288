"""Postventa: post-sale CFDI 4.0 invoicing for Mexican online sellers."""

__version__ = "0.1.0"
