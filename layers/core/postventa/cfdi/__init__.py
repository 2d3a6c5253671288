"""CFDI 4.0 engine: receptor validation, invoice building, sealing, PAC port, PDF, global invoice.

No AWS in here. Heavy imports (satcfdi, reportlab) happen inside functions, never at module import,
so functions that do not stamp never pay for them.
"""
