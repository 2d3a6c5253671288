"""SAT catalog descriptions the printed CFDI shows beside each key, and the document titles.

Régimen fiscal and uso del CFDI come from the shared `postventa.cfdi.catalogs` data (complete);
the other catalogs here hold the common keys of SAT's c_* catalogs (Anexo 20, catCFDI.xsd):
anything else prints its key alone.
"""

from __future__ import annotations

from postventa.cfdi.parse import Nodo

CATALOGS: dict[str, dict[str, str]] = {
    "RegimenFiscal": {
        "601": "General de Ley Personas Morales",
        "603": "Personas Morales con Fines no Lucrativos",
        "605": "Sueldos y Salarios e Ingresos Asimilados a Salarios",
        "606": "Arrendamiento",
        "607": "Régimen de Enajenación o Adquisición de Bienes",
        "608": "Demás ingresos",
        "610": "Residentes en el Extranjero sin Establecimiento Permanente en México",
        "611": "Ingresos por Dividendos (socios y accionistas)",
        "612": "Personas Físicas con Actividades Empresariales y Profesionales",
        "614": "Ingresos por intereses",
        "615": "Régimen de los ingresos por obtención de premios",
        "616": "Sin obligaciones fiscales",
        "620": "Sociedades Cooperativas de Producción que optan por diferir sus ingresos",
        "621": "Incorporación Fiscal",
        "622": "Actividades Agrícolas, Ganaderas, Silvícolas y Pesqueras",
        "623": "Opcional para Grupos de Sociedades",
        "624": "Coordinados",
        "625": "Régimen de las Actividades Empresariales con ingresos a través de "
        "Plataformas Tecnológicas",
        "626": "Régimen Simplificado de Confianza",
    },
    "UsoCFDI": {
        "G01": "Adquisición de mercancías",
        "G02": "Devoluciones, descuentos o bonificaciones",
        "G03": "Gastos en general",
        "I01": "Construcciones",
        "I02": "Mobiliario y equipo de oficina por inversiones",
        "I03": "Equipo de transporte",
        "I04": "Equipo de cómputo y accesorios",
        "I05": "Dados, troqueles, moldes, matrices y herramental",
        "I06": "Comunicaciones telefónicas",
        "I07": "Comunicaciones satelitales",
        "I08": "Otra maquinaria y equipo",
        "D01": "Honorarios médicos, dentales y gastos hospitalarios",
        "D02": "Gastos médicos por incapacidad o discapacidad",
        "D03": "Gastos funerales",
        "D04": "Donativos",
        "D05": "Intereses reales efectivamente pagados por créditos hipotecarios (casa habitación)",
        "D06": "Aportaciones voluntarias al SAR",
        "D07": "Primas por seguros de gastos médicos",
        "D08": "Gastos de transportación escolar obligatoria",
        "D09": "Depósitos en cuentas para el ahorro, primas que tengan como base planes de "
        "pensiones",
        "D10": "Pagos por servicios educativos (colegiaturas)",
        "S01": "Sin efectos fiscales",
        "CP01": "Pagos",
        "CN01": "Nómina",
    },
    "FormaPago": {
        "01": "Efectivo",
        "02": "Cheque nominativo",
        "03": "Transferencia electrónica de fondos",
        "04": "Tarjeta de crédito",
        "05": "Monedero electrónico",
        "06": "Dinero electrónico",
        "08": "Vales de despensa",
        "12": "Dación en pago",
        "13": "Pago por subrogación",
        "14": "Pago por consignación",
        "15": "Condonación",
        "17": "Compensación",
        "23": "Novación",
        "24": "Confusión",
        "25": "Remisión de deuda",
        "26": "Prescripción o caducidad",
        "27": "A satisfacción del acreedor",
        "28": "Tarjeta de débito",
        "29": "Tarjeta de servicios",
        "30": "Aplicación de anticipos",
        "31": "Intermediario pagos",
        "99": "Por definir",
    },
    "MetodoPago": {
        "PUE": "Pago en una sola exhibición",
        "PPD": "Pago en parcialidades o diferido",
    },
    "TipoDeComprobante": {
        "I": "Ingreso",
        "E": "Egreso",
        "T": "Traslado",
        "N": "Nómina",
        "P": "Pago",
    },
    "Exportacion": {
        "01": "No aplica",
        "02": "Definitiva con clave A1",
        "03": "Temporal",
        "04": "Definitiva con clave distinta a A1 o cuando no existe enajenación",
    },
    "ObjetoImp": {
        "01": "No objeto de impuesto",
        "02": "Sí objeto de impuesto",
        "03": "Sí objeto del impuesto y no obligado al desglose",
        "04": "Sí objeto del impuesto y no causa impuesto",
        "05": "Sí objeto del impuesto, IVA crédito PODEBI",
        "06": "Sí objeto del IVA, no traslado IVA",
        "07": "No traslado del IVA, sí desglose IEPS",
        "08": "No traslado del IVA, no desglose IEPS",
    },
    "Moneda": {
        "MXN": "Peso mexicano",
        "USD": "Dólar americano",
        "EUR": "Euro",
        "CAD": "Dólar canadiense",
        "GBP": "Libra esterlina",
        "JPY": "Yen",
        "XXX": "Sin moneda",
    },
    "ClaveUnidad": {
        "H87": "Pieza",
        "E48": "Unidad de servicio",
        "ACT": "Actividad",
        "EA": "Elemento",
        "C62": "Uno",
        "XUN": "Unidad",
        "KGM": "Kilogramo",
        "GRM": "Gramo",
        "LTR": "Litro",
        "MLT": "Mililitro",
        "MTR": "Metro",
        "CMT": "Centímetro",
        "MTK": "Metro cuadrado",
        "XBX": "Caja",
        "XPK": "Paquete",
        "KT": "Kit",
        "SET": "Conjunto",
        "PR": "Par",
        "HUR": "Hora",
        "DAY": "Día",
        "MON": "Mes",
        "ANN": "Año",
        "A9": "Tarifa",
    },
    "Impuesto": {"001": "ISR", "002": "IVA", "003": "IEPS"},
    "Periodicidad": {
        "01": "Diario",
        "02": "Semanal",
        "03": "Quincenal",
        "04": "Mensual",
        "05": "Bimestral",
    },
    "Meses": {
        "01": "Enero",
        "02": "Febrero",
        "03": "Marzo",
        "04": "Abril",
        "05": "Mayo",
        "06": "Junio",
        "07": "Julio",
        "08": "Agosto",
        "09": "Septiembre",
        "10": "Octubre",
        "11": "Noviembre",
        "12": "Diciembre",
        "13": "Enero-Febrero",
        "14": "Marzo-Abril",
        "15": "Mayo-Junio",
        "16": "Julio-Agosto",
        "17": "Septiembre-Octubre",
        "18": "Noviembre-Diciembre",
    },
    "TipoRelacion": {
        "01": "Nota de crédito de los documentos relacionados",
        "02": "Nota de débito de los documentos relacionados",
        "03": "Devolución de mercancía sobre facturas o traslados previos",
        "04": "Sustitución de los CFDI previos",
        "05": "Traslados de mercancías facturados previamente",
        "06": "Factura generada por los traslados previos",
        "07": "CFDI por aplicación de anticipo",
    },
}

# Complements by namespace (SAT's "Complementos al CFDI" and "Complementos concepto" pages).
COMPLEMENT_NAMES = {
    "http://www.sat.gob.mx/Pagos20": "Complemento para recepción de pagos",
    "http://www.sat.gob.mx/implocal": "Impuestos locales",
    "http://www.sat.gob.mx/nomina12": "Complemento de nómina",
    "http://www.sat.gob.mx/CartaPorte20": "Complemento Carta Porte",
    "http://www.sat.gob.mx/CartaPorte30": "Complemento Carta Porte",
    "http://www.sat.gob.mx/CartaPorte31": "Complemento Carta Porte",
    "http://www.sat.gob.mx/ComercioExterior11": "Complemento de comercio exterior",
    "http://www.sat.gob.mx/ComercioExterior20": "Complemento de comercio exterior",
    "http://www.sat.gob.mx/ine": "Complemento INE",
    "http://www.sat.gob.mx/leyendasFiscales": "Leyendas fiscales",
    "http://www.sat.gob.mx/donat": "Donatarias",
    "http://www.sat.gob.mx/divisas": "Divisas",
    "http://www.sat.gob.mx/iedu": "Instituciones educativas privadas",
    "http://www.sat.gob.mx/ventavehiculos": "Venta de vehículos nuevos",
    "http://www.sat.gob.mx/terceros": "Por cuenta de terceros",
    "http://www.sat.gob.mx/servicioparcialconstruccion": "Servicios parciales de construcción",
    "http://www.sat.gob.mx/vehiculousado": "Vehículo usado",
    "http://www.sat.gob.mx/EstadoDeCuentaCombustible12": "Estado de cuenta de combustibles",
    "http://www.sat.gob.mx/ConsumoDeCombustibles11": "Consumo de combustibles",
    "http://www.sat.gob.mx/pfic": "Persona física integrante de coordinado",
    "http://www.sat.gob.mx/TuristaPasajeroExtranjero": "Turista pasajero extranjero",
    "http://www.sat.gob.mx/registrofiscal": "CFDI registro fiscal",
    "http://www.sat.gob.mx/pagoenespecie": "Pago en especie",
    "http://www.sat.gob.mx/valesdedespensa": "Vales de despensa",
    "http://www.sat.gob.mx/aerolineas": "Aerolíneas",
    "http://www.sat.gob.mx/notariospublicos": "Notarios públicos",
    "http://www.sat.gob.mx/arteantiguedades": "Obras de artes plásticas y antigüedades",
    "http://www.sat.gob.mx/certificadodestruccion": "Certificado de destrucción",
    "http://www.sat.gob.mx/renovacionysustitucionvehiculos": (
        "Renovación y sustitución de vehículos"
    ),
    "http://www.sat.gob.mx/GastosHidrocarburos10": "Gastos de hidrocarburos",
    "http://www.sat.gob.mx/IngresosHidrocarburos10": "Ingresos de hidrocarburos",
}


def complement_title(node: Nodo) -> str:
    """'Complemento de nómina 1.2'; an unknown complement is named by its element and namespace."""
    version = node.get("Version") or node.get("version")
    name = COMPLEMENT_NAMES.get(node.namespace)
    if name is None:
        name = f"Complemento {node.name} ({node.namespace})" if node.namespace else node.name
    return f"{name} {version}" if version else name


DOCUMENT_TITLES = {
    "I": "FACTURA",
    "E": "NOTA DE CRÉDITO",
    "T": "CARTA PORTE / TRASLADO",
    "N": "RECIBO DE NÓMINA",
    "P": "RECIBO DE PAGO",
}


def _shared_description(catalog: str, key: str) -> str | None:
    """Régimen and uso descriptions from the shared postventa.cfdi.catalogs data."""
    from postventa.cfdi import catalogs

    loader = {"RegimenFiscal": "regimenes_fiscales", "UsoCFDI": "usos_cfdi"}.get(catalog)
    table = getattr(catalogs, loader, None) if loader else None
    if table is None:
        return None
    try:
        row = table().get(key)
    except (OSError, ValueError):  # data file missing or unreadable: use the built-in table
        return None
    text = getattr(row, "descripcion", None)
    return text if isinstance(text, str) and text else None


def describe(catalog: str, key: str | None) -> str:
    """'601 - General de Ley Personas Morales'; the key alone when no catalog knows it."""
    if not key:
        return ""
    text = _shared_description(catalog, key) or CATALOGS.get(catalog, {}).get(key)
    return f"{key} - {text}" if text else key
