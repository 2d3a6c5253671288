"""One adapter per sales channel behind one port: verify, normalize the order, message, upload."""
