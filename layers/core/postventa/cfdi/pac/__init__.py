"""PAC port and adapters (sandbox, Finkok, SW Sapien, Facturama)."""
