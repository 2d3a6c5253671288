"""SAT's CFDI 4.0 validation matrix as one table, rule by rule, in SAT's order.

Source: "Matriz de códigos de error para el Comprobante fiscal digital por Internet. Versión 4.0"
(MatrizDeErrores_CFDI_v40_20241213.xls, SAT, 2024-12-13): 128 codes, CFDI40101-CFDI40222,
CFDI140223-CFDI140227 and CFDI40999. Each row keeps SAT's code, the node/attribute it concerns
(`field`, what the correction loop asks the buyer or seller to fix), what SAT validates (our
Spanish summary), SAT's short error message, and whether it is decidable here:

* OFFLINE: from the XML, the SAT catalogs and a clock; `check` implements it.
* REGISTRO: needs SAT's registers (l_RFC, l_LCO, the RFC validator): only the PAC can decide.
* PAC: needs the PAC's own state or data only it has (confirmation keys, the day's FIX rate).

After the matrix come the stamping rules of the RMF that PACs report with their classic codes
(303, 304, 305, 401, 402), marked `origin="rmf"`. docs/cfdi-validation-matrix.md is generated
from this table (`python -m postventa.cfdi.validation.docs`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from postventa.cfdi.validation import checks as c
from postventa.cfdi.validation.document import ClockReading, Document

Check = Callable[[Document], Iterable[str]]
ClockCheck = Callable[[ClockReading], Iterable[str]]


class Kind(StrEnum):
    OFFLINE = "offline"
    REGISTRO = "registro"
    PAC = "pac"


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    field: str  # node.attribute the rule refuses, e.g. "Receptor.Nombre"
    description: str  # what SAT validates, in our words
    message: str  # SAT's short error message
    kind: Kind
    check: Check | None = None  # set for OFFLINE rules decided by the document alone
    origin: str = "matriz"  # "matriz" (SAT's 128 codes) or "rmf" (classic stamping codes)
    limits: str | None = None  # what part of the rule the offline check leaves to the PAC
    clock_check: ClockCheck | None = None  # set for the OFFLINE rule on the stamping clock

    @property
    def checked(self) -> bool:
        return self.check is not None or self.clock_check is not None


def _off(
    code: str, field: str, description: str, message: str, check: Check, limits: str | None = None
) -> Rule:
    return Rule(code, field, description, message, Kind.OFFLINE, check, limits=limits)


def _reg(code: str, field: str, description: str, message: str) -> Rule:
    return Rule(code, field, description, message, Kind.REGISTRO)


def _pac(code: str, field: str, description: str, message: str) -> Rule:
    return Rule(code, field, description, message, Kind.PAC)


_CATALOG_COLUMNS = (
    "el catálogo de satcfdi no trae las columnas 'Incluir IVA trasladado' ni 'Complemento que "
    "debe incluir' de c_ClaveProdServ"
)

# fmt: off
RULES: tuple[Rule, ...] = (
    # -- Comprobante -------------------------------------------------------------------------
    _off("CFDI40101", "Comprobante.Fecha",
         "Fecha con el patrón AAAA-MM-DDThh:mm:ss (años 2010-2099) y fecha de calendario válida.",
         "El campo Fecha no cumple con el patrón requerido.", c.cfdi40101,
         "La hora local del lugar de expedición se comprueba con la regla 401."),
    _off("CFDI40102", "Comprobante.Sello",
         "El Sello verifica (SHA-256 con RSA) contra la cadena original con el certificado "
         "incluido en Certificado.",
         "El resultado de la digestión debe ser igual al resultado de la desencripción del "
         "sello.", c.cfdi40102),
    _off("CFDI40103", "Comprobante.FormaPago",
         "Con TipoDeComprobante T, N o P no debe existir FormaPago.",
         "Si existe el tipo de comprobante T, N o P el campo FormaPago no debe existir.",
         c.cfdi40103),
    _off("CFDI40104", "Comprobante.FormaPago", "FormaPago del catálogo c_FormaPago.",
         "El campo FormaPago no contiene un valor del catálogo c_FormaPago.", c.cfdi40104),
    _off("CFDI40105", "Comprobante.FormaPago", "Con MetodoPago PPD, FormaPago debe ser 99.",
         'El campo FormaPago no contiene el valor "99".', c.cfdi40105),
    _off("CFDI40106", "Comprobante.Certificado",
         "Certificado es un certificado (.cer) legible y NoCertificado es su número.",
         "El certificado no cumple con alguno de los valores permitidos.", c.cfdi40106,
         "Que lo haya emitido el SAT (cadena de certificación) lo comprueba el PAC."),
    _off("CFDI40107", "Comprobante.SubTotal",
         "SubTotal con hasta los decimales de la moneda (c_Moneda).",
         "El valor de este campo SubTotal excede la cantidad de decimales que soporta la "
         "moneda.", c.cfdi40107),
    _off("CFDI40108", "Comprobante.SubTotal",
         "Con TipoDeComprobante I, E o N, SubTotal es el redondeo de la suma de los Importe de "
         "los conceptos.",
         "El importe registrado en el campo no es igual al redondeo de la suma de los importes "
         "de los conceptos registrados.", c.cfdi40108),
    _off("CFDI40109", "Comprobante.SubTotal", "Con TipoDeComprobante T o P, SubTotal es 0.",
         "El TipoDeComprobante es T o P y el importe no es igual a 0, o cero con decimales.",
         c.cfdi40109),
    _off("CFDI40110", "Comprobante.Descuento", "Descuento menor o igual que SubTotal.",
         "El valor registrado en el campo Descuento no es menor o igual que el campo Subtotal.",
         c.cfdi40110),
    _off("CFDI40111", "Comprobante.Descuento",
         "Con TipoDeComprobante I, E o N y algún concepto con Descuento, Descuento existe y es el "
         "redondeo de su suma; en otro caso se omite.",
         "El campo Descuento no corresponde con los descuentos de los conceptos.", c.cfdi40111),
    _off("CFDI40112", "Comprobante.Descuento",
         "Descuento con hasta los decimales de la moneda.",
         "El valor del campo Descuento excede la cantidad de decimales que soporta la moneda.",
         c.cfdi40112),
    _off("CFDI40113", "Comprobante.Moneda", "Moneda del catálogo c_Moneda.",
         "El campo Moneda no contiene un valor del catálogo c_Moneda.", c.cfdi40113),
    _off("CFDI40114", "Comprobante.TipoCambio",
         "Con Moneda MXN, TipoCambio se omite o vale 1.",
         'El campo TipoCambio no tiene el valor "1" y la moneda indicada es MXN.', c.cfdi40114),
    _off("CFDI40115", "Comprobante.TipoCambio",
         "TipoCambio es obligatorio con una Moneda distinta de MXN y XXX.",
         "El campo TipoCambio se debe registrar cuando el campo Moneda tiene un valor distinto "
         "de MXN y XXX.", c.cfdi40115),
    _off("CFDI40116", "Comprobante.TipoCambio", "Con Moneda XXX no se registra TipoCambio.",
         "El campo TipoCambio no se debe registrar cuando el campo Moneda tiene el valor XXX.",
         c.cfdi40116),
    _off("CFDI40117", "Comprobante.TipoCambio",
         "TipoCambio con el patrón [0-9]{1,18}(.[0-9]{1,6})?.",
         "El campo TipoCambio no cumple con el patrón requerido.", c.cfdi40117),
    _pac("CFDI40118", "Comprobante.TipoCambio",
         "TipoCambio fuera del porcentaje de variación de c_Moneda sobre el tipo de cambio FIX "
         "publicado requiere Confirmacion.",
         "Cuando el valor del campo TipoCambio se encuentre fuera de los límites establecidos, "
         "debe existir el campo Confirmacion."),
    _off("CFDI40119", "Comprobante.Total",
         "Total = SubTotal - Descuento + impuestos trasladados - impuestos retenidos (incluidos "
         "los locales del complemento implocal).",
         "El campo Total no corresponde con la suma del subtotal, menos los descuentos "
         "aplicables, más las contribuciones recibidas menos los impuestos retenidos.",
         c.cfdi40119),
    _pac("CFDI40120", "Comprobante.Total",
         "Un Total por encima del límite que fija la RMF vigente requiere Confirmacion.",
         "Cuando el valor del campo Total se encuentre fuera de los límites establecidos, debe "
         "existir el campo Confirmacion."),
    _off("CFDI40121", "Comprobante.TipoDeComprobante",
         "TipoDeComprobante del catálogo c_TipoDeComprobante.",
         "El campo TipoDeComprobante, no contiene un valor del catálogo c_TipoDeComprobante.",
         c.cfdi40121),
    _off("CFDI40122", "Comprobante.Exportacion",
         "Exportacion 02 requiere el complemento de Comercio Exterior.",
         'El campo Exportacion contiene el valor "02", el CFDI debe contener el complemento '
         "para Comercio Exterior.", c.cfdi40122),
    _off("CFDI40123", "Comprobante.Exportacion", "Exportacion del catálogo c_Exportacion.",
         "El campo Exportacion no contiene un valor del catálogo c_Exportacion.", c.cfdi40123),
    _off("CFDI40124", "Comprobante.MetodoPago", "MetodoPago del catálogo c_MetodoPago.",
         "El campo MetodoPago, no contiene un valor del catálogo c_MetodoPago.", c.cfdi40124),
    _off("CFDI40125", "Comprobante.MetodoPago",
         "Con TipoDeComprobante T o P se omite MetodoPago.",
         "Se debe omitir el campo MetodoPago cuando el TipoDeComprobante es T o P.", c.cfdi40125),
    _off("CFDI40126", "Comprobante.LugarExpedicion",
         "LugarExpedicion del catálogo c_CodigoPostal.",
         "El campo LugarExpedicion, no contiene un valor del catálogo c_CodigoPostal.",
         c.cfdi40126),
    _pac("CFDI40127", "Comprobante.Confirmacion",
         "Confirmacion no existe cuando TipoCambio y Total están dentro de sus rangos.",
         "El campo Confirmacion no debe existir cuando los campos TipoCambio y/o Total están "
         "dentro del rango permitido."),
    _pac("CFDI40128", "Comprobante.Confirmacion",
         "El PAC verifica que el emisor le solicitó la clave de confirmación.",
         "Número de confirmación inválido."),
    _pac("CFDI40129", "Comprobante.Confirmacion",
         "El PAC verifica que la clave de confirmación no se usó en otro comprobante.",
         "Número de confirmación utilizado previamente."),
    # -- InformacionGlobal ---------------------------------------------------------------------
    _off("CFDI40130", "InformacionGlobal",
         "Con TipoDeComprobante I, Rfc XAXX010101000 y Nombre PUBLICO EN GENERAL del receptor, "
         "el nodo InformacionGlobal existe.",
         "El nodo Información Global debe existir.", c.cfdi40130),
    _off("CFDI40131", "InformacionGlobal.Periodicidad",
         "Periodicidad del catálogo c_Periodicidad.",
         "El campo Periodicidad, no contiene un valor del catálogo c_Periodicidad.", c.cfdi40131),
    _off("CFDI40132", "InformacionGlobal.Periodicidad",
         "Periodicidad 05 (bimestral) solo con RegimenFiscal 621 del emisor.",
         "El campo RegimenFiscal, no contiene el valor 621.", c.cfdi40132),
    _off("CFDI40133", "InformacionGlobal.Meses", "Meses del catálogo c_Meses.",
         "El campo Meses, no contiene un valor del catálogo c_Meses.", c.cfdi40133),
    _off("CFDI40134", "InformacionGlobal.Meses",
         "Con Periodicidad distinta de 05, Meses es 01 a 12.",
         "El campo Meses, no contiene alguno de los valores 01 a 12.", c.cfdi40134),
    _off("CFDI40135", "InformacionGlobal.Meses", "Con Periodicidad 05, Meses es 13 a 18.",
         "El campo Meses, no contiene alguno de los valores 13 a 18.", c.cfdi40135),
    _off("CFDI40136", "InformacionGlobal.Año",
         "Año es el año en curso (el de Fecha) o uno de los 5 ejercicios anteriores.",
         "El valor registrado en el campo Año, no es igual al año en curso o no contiene un "
         "valor de hasta 5 ejercicios anteriores.", c.cfdi40136),
    # -- CfdiRelacionados / Emisor ------------------------------------------------------------
    _off("CFDI40137", "CfdiRelacionados.TipoRelacion",
         "TipoRelacion del catálogo c_TipoRelacion.",
         "El campo TipoRelacion, no contiene un valor del catálogo c_TipoRelacion.", c.cfdi40137),
    _reg("CFDI40138", "Emisor.Nombre",
         "El RFC del emisor está en la lista de RFC inscritos no cancelados (l_RFC).",
         "El campo Nombre del emisor, debe encontrarse en la lista de RFC inscritos no "
         "cancelados en el SAT."),
    _reg("CFDI40139", "Emisor.Nombre",
         "Nombre es el asociado al RFC del emisor en el registro del SAT.",
         "El campo Nombre del emisor, debe pertenecer al nombre asociado al RFC registrado en "
         "el campo Rfc del Emisor."),
    _off("CFDI40140", "Emisor.RegimenFiscal",
         "RegimenFiscal del catálogo c_RegimenFiscal (CFDI 4.0).",
         "El campo RegimenFiscal, no contiene un valor del catálogo c_RegimenFiscal.", c.cfdi40140),
    _off("CFDI40141", "Emisor.RegimenFiscal",
         "RegimenFiscal del emisor corresponde a su tipo de persona (RFC de 12 moral, 13 física; "
         "columnas Física/Moral de c_RegimenFiscal).",
         "La clave del campo RegimenFiscal debe corresponder con el tipo de persona (fisica o "
         "moral).", c.cfdi40141),
    _reg("CFDI40142", "Emisor.FacAtrAdquirente",
         "FacAtrAdquirente es el número de operación que dio el validador de RFC del SAT.",
         "El campo FacAtrAdquirente, no contiene un número de operación valido."),
    # -- Receptor ------------------------------------------------------------------------------
    _reg("CFDI40143", "Receptor.Rfc",
         "Un RFC no genérico está en la lista de RFC inscritos no cancelados (l_RFC).",
         "Este RFC del receptor no existe en la lista de RFC inscritos no cancelados del SAT."),
    _reg("CFDI40144", "Receptor.Nombre",
         "El nombre del receptor está en la lista de RFC inscritos no cancelados.",
         "El campo Nombre del receptor, debe encontrarse en la lista de RFC inscritos no "
         "cancelados en el SAT."),
    _reg("CFDI40145", "Receptor.Nombre",
         "Nombre es el asociado al RFC del receptor en el registro del SAT.",
         "El campo Nombre del receptor, debe pertenecer al nombre asociado al RFC registrado en "
         "el campo Rfc del Receptor."),
    _off("CFDI40146", "Receptor.Nombre",
         "Nombre PUBLICO EN GENERAL solo con el RFC XAXX010101000.",
         'El campo RFC del receptor debe contener el valor "XAXX010101000".', c.cfdi40146),
    _reg("CFDI40147", "Receptor.DomicilioFiscalReceptor",
         "El código postal del receptor está en la lista de RFC inscritos no cancelados.",
         "El campo DomicilioFiscalReceptor del receptor, debe encontrarse en la lista de RFC "
         "inscritos no cancelados en el SAT."),
    _reg("CFDI40148", "Receptor.DomicilioFiscalReceptor",
         "DomicilioFiscalReceptor es el código postal del domicilio fiscal registrado del RFC.",
         "El campo DomicilioFiscalReceptor del receptor, debe pertenecer al nombre asociado al "
         "RFC registrado en el campo Rfc del Receptor."),
    _off("CFDI40149", "Receptor.DomicilioFiscalReceptor",
         "Con RFC genérico (XAXX010101000 o XEXX010101000), DomicilioFiscalReceptor es igual a "
         "LugarExpedicion.",
         "El campo DomicilioFiscalReceptor, no es igual al valor del campo LugarExpedicion.",
         c.cfdi40149),
    _off("CFDI40150", "Receptor.ResidenciaFiscal", "ResidenciaFiscal del catálogo c_Pais.",
         "El campo ResidenciaFiscal, no contiene un valor del catálogo c_Pais.", c.cfdi40150),
    _off("CFDI40151", "Receptor.ResidenciaFiscal",
         "ResidenciaFiscal no existe con un RFC registrado o el genérico nacional (solo con "
         "XEXX010101000).",
         "El RFC del receptor es de un RFC registrado en el SAT o un RFC genérico nacional y "
         "existe el campo ResidenciaFiscal.", c.cfdi40151),
    _off("CFDI40152", "Receptor.ResidenciaFiscal", "ResidenciaFiscal no puede ser MEX.",
         "El valor del campo ResidenciaFiscal no puede ser MEX.", c.cfdi40152),
    _off("CFDI40153", "Receptor.ResidenciaFiscal",
         "Con XEXX010101000 y complemento de comercio exterior o NumRegIdTrib, ResidenciaFiscal "
         "existe.",
         "Se debe registrar un valor de acuerdo al catálogo c_Pais en el campo "
         "ResidenciaFiscal, cuando en el campo NumRegIdTrib se registre información.",
         c.cfdi40153),
    _off("CFDI40154", "Receptor.NumRegIdTrib",
         "NumRegIdTrib no existe con un RFC registrado o el genérico nacional (solo con "
         "XEXX010101000).",
         "El valor del campo es un RFC inscrito no cancelado en el SAT o un RFC genérico "
         "nacional, y se registró el campo NumRegIdTrib.", c.cfdi40154),
    _off("CFDI40155", "Receptor.NumRegIdTrib",
         "Con XEXX010101000 y el complemento de comercio exterior, NumRegIdTrib existe.",
         "Para registrar el campo NumRegIdTrib, el CFDI debe contener el complemento de "
         "comercio exterior y el RFC del receptor debe ser un RFC genérico extranjero.",
         c.cfdi40155),
    _off("CFDI40156", "Receptor.NumRegIdTrib",
         "NumRegIdTrib cumple el formato de registro de identidad tributaria que c_Pais publica "
         "para la ResidenciaFiscal.",
         "El campo NumRegIdTrib no cumple con el patrón correspondiente.", c.cfdi40156),
    _off("CFDI40157", "Receptor.RegimenFiscalReceptor",
         "RegimenFiscalReceptor del catálogo c_RegimenFiscal (CFDI 4.0).",
         "El campo RegimenFiscalR, no contiene un valor del catálogo c_RegimenFiscal.",
         c.cfdi40157),
    _off("CFDI40158", "Receptor.RegimenFiscalReceptor",
         "RegimenFiscalReceptor corresponde al tipo de persona del receptor.",
         "La clave del campo RegimenFiscalR debe corresponder con el tipo de persona (física o "
         "moral).", c.cfdi40158),
    _off("CFDI40159", "Receptor.RegimenFiscalReceptor",
         "Con RFC genérico, RegimenFiscalReceptor es 616.",
         "La clave del campo RegimenFiscalR no corresponde de acuerdo al RFC del receptor.",
         c.cfdi40159),
    _off("CFDI40160", "Receptor.UsoCFDI", "UsoCFDI del catálogo c_UsoCFDI (CFDI 4.0).",
         "El campo UsoCFDI, no contiene un valor del catálogo c_UsoCFDI.", c.cfdi40160),
    _off("CFDI40161", "Receptor.UsoCFDI",
         "UsoCFDI aplica al tipo de persona y al RegimenFiscalReceptor según c_UsoCFDI.",
         "La clave del campo UsoCFDI debe corresponder con el tipo de persona (física o moral) "
         "y el régimen correspondiente conforme al catálogo c_UsoCFDI.", c.cfdi40161),
    # -- Conceptos -----------------------------------------------------------------------------
    _off("CFDI40162", "Concepto.ClaveProdServ", "ClaveProdServ del catálogo c_ClaveProdServ.",
         "El campo ClaveProdServ, no contiene un valor del catálogo c_ClaveProdServ.",
         c.cfdi40162),
    Rule("CFDI40163", "Concepto.ClaveProdServ",
         "Existen los complementos que c_ClaveProdServ señala para la clave.",
         "No existe el complemento requerido para el valor de ClaveProdServ.", Kind.OFFLINE,
         limits=f"Sin comprobar: {_CATALOG_COLUMNS}; queda al PAC."),
    _off("CFDI40164", "Concepto.ClaveProdServ",
         "Existen los impuestos trasladados que c_ClaveProdServ señala para la clave.",
         "No está declarado el impuesto relacionado con el valor de ClaveProdServ.", c.cfdi40164,
         f"Solo las claves con IVA obligatorio que el SAT anunció en 2020; {_CATALOG_COLUMNS}."),
    _off("CFDI40165", "Concepto.ClaveUnidad", "ClaveUnidad del catálogo c_ClaveUnidad.",
         "El campo ClaveUnidad no contiene un valor del catálogo c_ClaveUnidad.", c.cfdi40165),
    _off("CFDI40166", "Concepto.ValorUnitario",
         "ValorUnitario mayor que cero con TipoDeComprobante I, E o N.",
         "El valor del campo ValorUnitario debe ser mayor que cero (0) cuando el tipo de "
         "comprobante es Ingreso, Egreso o Nomina.", c.cfdi40166),
    _off("CFDI40167", "Concepto.Importe",
         "Importe entre los límites de Cantidad x ValorUnitario (media unidad del último decimal "
         "de cada factor).",
         "El valor del campo Importe no se encuentra entre el limite inferior y superior "
         "permitido.", c.cfdi40167),
    _off("CFDI40168", "Concepto.Descuento",
         "Descuento con hasta los decimales registrados en el Importe del concepto.",
         "El valor del campo Descuento no contiene la misma cantidad de decimales registrados "
         "en el campo Importe del concepto.", c.cfdi40168),
    _off("CFDI40169", "Concepto.Descuento", "Descuento menor o igual que el Importe.",
         "El valor del campo Descuento es mayor que el campo Importe.", c.cfdi40169),
    _off("CFDI40170", "Concepto.ObjetoImp", "ObjetoImp del catálogo c_ObjetoImp.",
         "El campo ObjetoImp, no contiene un valor del catálogo c_ObjetoImp.", c.cfdi40170),
    _off("CFDI40171", "Concepto.ObjetoImp", "Con ObjetoImp 02 existe el nodo Impuestos.",
         "El nodo concepto, no contiene el nodo hijo Impuestos.", c.cfdi40171),
    _off("CFDI40172", "Concepto.ObjetoImp",
         "Con ObjetoImp 01, 03, 04 o 05 no existe el nodo Impuestos.",
         "El nodo hijo Impuestos del nodo Concepto, no debe existir.", c.cfdi40172),
    _off("CFDI40173", "Concepto.Impuestos",
         "El nodo Impuestos del concepto incluye traslados y/o retenciones.",
         "En caso de utilizar el nodo Impuestos en un concepto, se deben incluir impuestos de "
         "traslado y/o retenciones.", c.cfdi40173),
    _off("CFDI40174", "Concepto.Traslado.Base", "Base del traslado mayor que cero.",
         "El valor del campo Base que corresponde a Traslado debe ser mayor que cero.",
         c.base_not_positive("traslado")),
    _off("CFDI40175", "Concepto.Traslado.Impuesto", "Impuesto del traslado de c_Impuesto.",
         "El valor del campo Impuesto que corresponde a Traslado no contiene un valor del "
         "catálogo c_Impuesto.", c.impuesto_not_in_catalog("traslado")),
    _off("CFDI40176", "Concepto.Traslado.TipoFactor", "TipoFactor del traslado de c_TipoFactor.",
         "El valor del campo TipoFactor que corresponde a Traslado no contiene un valor del "
         "catálogo c_TipoFactor.", c.factor_not_in_catalog("traslado")),
    _off("CFDI40177", "Concepto.Traslado.TipoFactor",
         "Traslado Exento sin TasaOCuota ni Importe.",
         "Si el valor registrado en el campo TipoFactor que corresponde a Traslado es Exento no "
         "se deben registrar los campos TasaOCuota ni Importe.", c.cfdi40177),
    _off("CFDI40178", "Concepto.Traslado.TipoFactor",
         "Traslado Tasa o Cuota con TasaOCuota e Importe.",
         "Si el valor registrado en el campo TipoFactor que corresponde a Traslado es Tasa o "
         "Cuota, se deben registrar los campos TasaOCuota e Importe.", c.cfdi40178),
    _off("CFDI40179", "Concepto.Traslado.TasaOCuota",
         "TasaOCuota del traslado es un valor fijo o está en un rango de c_TasaOCuota para su "
         "impuesto y factor.",
         "El valor del campo TasaOCuota que corresponde a Traslado no contiene un valor del "
         "catálogo c_TasaOcuota o se encuentra fuera de rango.", c.tasa_not_in_catalog("traslado")),
    _off("CFDI40180", "Concepto.Traslado.Importe",
         "Importe del traslado entre los límites de Base x TasaOCuota.",
         "El valor del campo Importe que corresponde a Traslado no se encuentra entre el limite "
         "inferior y superior permitido.", c.tax_importe_outside("traslado")),
    _off("CFDI40181", "Concepto.Retencion.Base", "Base de la retención mayor que cero.",
         "El valor del campo Base que corresponde a Retención debe ser mayor que cero.",
         c.base_not_positive("retencion")),
    _off("CFDI40182", "Concepto.Retencion.Impuesto", "Impuesto de la retención de c_Impuesto.",
         "El valor del campo Impuesto que corresponde a Retención no contiene un valor del "
         "catálogo c_Impuesto.", c.impuesto_not_in_catalog("retencion")),
    _off("CFDI40183", "Concepto.Retencion.TipoFactor",
         "TipoFactor de la retención de c_TipoFactor.",
         "El valor del campo TipoFactor que corresponde a Retención no contiene un valor del "
         "catálogo c_TipoFactor.", c.factor_not_in_catalog("retencion")),
    _off("CFDI40184", "Concepto.Retencion.TipoFactor",
         "Retención con TipoFactor distinto de Exento.",
         "El valor registrado en el campo TipoFactor que corresponde a Retención debe ser "
         "distinto de Exento.", c.cfdi40184),
    _off("CFDI40185", "Concepto.Retencion.TasaOCuota",
         "TasaOCuota de la retención de c_TasaOCuota para su impuesto y factor.",
         "El valor del campo TasaOCuota que corresponde a Retención, no contiene un valor del "
         "catálogo c_TasaOcuota o se encuentra fuera de rango.",
         c.tasa_not_in_catalog("retencion")),
    _off("CFDI40186", "Concepto.Retencion.Importe",
         "Importe de la retención entre los límites de Base x TasaOCuota.",
         "El valor del campo Importe que corresponde a Retención no se encuentra entre el "
         "limite inferior y superior permitido.", c.tax_importe_outside("retencion")),
    _reg("CFDI40187", "Concepto.ACuentaTerceros.RfcACuentaTerceros",
         "RfcACuentaTerceros distinto de EXT990101NI1 está en la lista l_LCO.",
         "El valor registrado en el campo RfcACuentaTerceros, no se encuentra en la lista "
         "l_LCO."),
    _off("CFDI40188", "Concepto.ACuentaTerceros.RfcACuentaTerceros",
         "RfcACuentaTerceros distinto de los Rfc del emisor y del receptor.",
         "El valor del campo RfcACuentaTerceros, debe ser diferente de los valores de los "
         "campos Rfc del Emisor y Receptor.", c.cfdi40188),
    _reg("CFDI40189", "Concepto.ACuentaTerceros.NombreACuentaTerceros",
         "El tercero está en la lista de RFC inscritos no cancelados (con EXT990101NI1, el "
         "nombre es la leyenda fija del SAT).",
         "El valor registrado debe encontrarse en la lista de RFC inscritos no cancelados en el "
         "SAT."),
    _reg("CFDI40190", "Concepto.ACuentaTerceros.NombreACuentaTerceros",
         "NombreACuentaTerceros es el asociado al RFC del tercero.",
         "El campo NombreACuentaTerceros, debe pertenecer al nombre asociado al RFC registrado "
         "en el campo Rfc del tercero."),
    _off("CFDI40191", "Concepto.ACuentaTerceros.RegimenFiscalACuentaTerceros",
         "RegimenFiscalACuentaTerceros del catálogo c_RegimenFiscal.",
         "El campo RegimenFiscalACuentaTerceros, no contiene un valor del catálogo "
         "c_RegimenFiscal.", c.cfdi40191),
    _reg("CFDI40192", "Concepto.ACuentaTerceros.DomicilioFiscalACuentaTerceros",
         "El domicilio del tercero está en la lista de RFC inscritos no cancelados.",
         "El valor registrado en el atributo DomicilioFiscalACuentaTerceros, debe encontrarse "
         "en la lista de RFC inscritos no cancelados en el SAT."),
    _reg("CFDI40193", "Concepto.ACuentaTerceros.DomicilioFiscalACuentaTerceros",
         "DomicilioFiscalACuentaTerceros es el registrado del tercero (con EXT990101NI1, igual a "
         "LugarExpedicion).",
         "El valor registrado en el atributo DomicilioFiscalACuentaTerceros, debe pertenecer al "
         "RFC del tercero, o debe ser igual al valor del atributo LugarExpedicion."),
    _off("CFDI40194", "Concepto.InformacionAduanera.NumeroPedimento",
         "NumeroPedimento cumple las reglas de validación del pedimento.",
         "El número de pedimento es inválido.", c.pedimentos_valid(of_partes=False),
         "Se comprueban la forma 'AA  AD  PPPP  NNNNNNN' de la Guía de llenado y la aduana en "
         "c_Aduana; patente y numeración (c_PatenteAduanal, c_NumPedimentoAduana) las comprueba "
         "el PAC."),
    _off("CFDI40195", "Concepto.InformacionAduanera.NumeroPedimento",
         "NumeroPedimento no existe si el CFDI incluye el complemento de comercio exterior.",
         "El NumeroPedimento no debe existir si se incluye el complemento de comercio exterior.",
         c.pedimentos_without_comercio_exterior(of_partes=False)),
    _off("CFDI40196", "Concepto.Parte.ClaveProdServ",
         "ClaveProdServ de la parte del catálogo c_ClaveProdServ.",
         "El campo ClaveProdServ, no contiene un valor del catálogo c_ClaveProdServ.",
         c.cfdi40196),
    _off("CFDI40197", "Concepto.Parte.ValorUnitario", "ValorUnitario de la parte mayor que cero.",
         "El valor del campo ValorUnitario debe ser mayor que cero (0).", c.cfdi40197),
    _off("CFDI40198", "Concepto.Parte.Importe",
         "Importe de la parte entre los límites de Cantidad x ValorUnitario.",
         "El valor del campo Importe no se encuentra entre el limite inferior y superior "
         "permitido.", c.cfdi40198),
    _off("CFDI40199", "Concepto.Parte.InformacionAduanera.NumeroPedimento",
         "NumeroPedimento de la parte cumple las reglas de validación del pedimento.",
         "El número de pedimento es inválido.", c.pedimentos_valid(of_partes=True),
         "Como CFDI40194: forma y aduana; patente y numeración las comprueba el PAC."),
    _off("CFDI40200", "Concepto.Parte.InformacionAduanera.NumeroPedimento",
         "NumeroPedimento de la parte no existe con el complemento de comercio exterior.",
         "El NumeroPedimento no debe existir si se incluye el complemento de comercio exterior.",
         c.pedimentos_without_comercio_exterior(of_partes=True)),
    # -- Impuestos (resumen) ---------------------------------------------------------------------
    _off("CFDI40201", "Impuestos", "Con TipoDeComprobante T o P no existe el nodo Impuestos.",
         "Cuando el TipoDeComprobante sea T o P, el elemento Impuestos no debe existir.",
         c.cfdi40201),
    _off("CFDI40202", "Impuestos.TotalImpuestosRetenidos",
         "TotalImpuestosRetenidos con hasta los decimales de la moneda.",
         "El valor del campo TotalImpuestosRetenidos debe tener hasta la cantidad de decimales "
         "que soporte la moneda.", c.summary_total_decimals("TotalImpuestosRetenidos")),
    _off("CFDI40203", "Impuestos.TotalImpuestosRetenidos",
         "TotalImpuestosRetenidos es la suma de los Importe de las retenciones del resumen.",
         "El valor del campo TotalImpuestosRetenidos debe ser igual a la suma de los importes "
         "registrados en el elemento hijo Retencion.",
         c.summary_total_matches("TotalImpuestosRetenidos", "retencion")),
    _off("CFDI40204", "Impuestos.TotalImpuestosTrasladados",
         "TotalImpuestosTrasladados con hasta los decimales de la moneda.",
         "El valor del campo TotalImpuestosTrasladados debe tener hasta la cantidad de "
         "decimales que soporte la moneda.", c.summary_total_decimals("TotalImpuestosTrasladados")),
    _off("CFDI40205", "Impuestos.TotalImpuestosTrasladados",
         "TotalImpuestosTrasladados es la suma de los Importe de los traslados del resumen.",
         "El valor del campo TotalImpuestosTrasladados no es igual a la suma de los importes "
         "registrados en el elemento hijo Traslado.",
         c.summary_total_matches("TotalImpuestosTrasladados", "traslado")),
    _off("CFDI40206", "Impuestos.TotalImpuestosRetenidos",
         "Con el nodo Retenciones existe TotalImpuestosRetenidos.",
         "Debe existir el campo TotalImpuestosRetenidos.", c.cfdi40206),
    _off("CFDI40207", "Impuestos.Retencion.Impuesto",
         "Impuesto de la retención del resumen de c_Impuesto.",
         "El campo Impuesto no contiene un valor del catálogo c_Impuesto.", c.cfdi40207),
    _off("CFDI40208", "Impuestos.Retencion.Impuesto",
         "Una sola retención por impuesto en el resumen.",
         "Debe haber sólo un registro por cada tipo de impuesto retenido.", c.cfdi40208),
    _off("CFDI40209", "Impuestos.Retencion.Importe",
         "Con Importe de retenciones existe TotalImpuestosRetenidos (misma condición que "
         "CFDI40206 en la matriz).",
         "Debe existir el campo TotalImpuestosRetenidos.", c.cfdi40209),
    _off("CFDI40210", "Impuestos.Retencion.Importe",
         "Importe de la retención del resumen con hasta los decimales de la moneda.",
         "El valor del campo Importe correspondiente a Retención debe tener hasta la cantidad "
         "de decimales que soporte la moneda.", c.cfdi40210),
    _off("CFDI40211", "Impuestos.Retencion.Importe",
         "Importe de cada retención del resumen es el redondeo de la suma de las retenciones de "
         "ese impuesto en los conceptos.",
         "El campo Importe correspondiente a Retención no es igual al redondeo de la suma de los "
         "importes de los impuestos retenidos registrados en los conceptos.", c.cfdi40211),
    _off("CFDI40212", "Impuestos.TotalImpuestosTrasladados",
         "Con conceptos con traslados no exentos existe TotalImpuestosTrasladados.",
         "Debe existir el campo TotalImpuestosTrasladados.", c.cfdi40212),
    _off("CFDI40213", "Impuestos.Traslado",
         "Un traslado exento del resumen lleva solo Base, Impuesto y TipoFactor.",
         "Deben existir los campos Base, Impuesto y TipoFactor.", c.cfdi40213),
    _off("CFDI40214", "Impuestos.Traslado.Base",
         "Base del traslado del resumen con hasta los decimales de la moneda.",
         "El valor del campo Base correspondiente a Traslado debe tener hasta la cantidad de "
         "decimales que soporte la moneda.", c.cfdi40214),
    _off("CFDI40215", "Impuestos.Traslado.Base",
         "Base de cada traslado (Tasa o Cuota) del resumen es el redondeo de la suma de las Base "
         "de los conceptos con el mismo impuesto, factor y tasa; ningún grupo falta.",
         "El campo Base correspondiente a Traslado no es igual al redondeo de la suma de las "
         "bases de los conceptos con el mismo impuesto y TasaOCuota.", c.cfdi40215),
    _off("CFDI40216", "Impuestos.Traslado.Base",
         "Base de cada traslado exento del resumen es el redondeo de la suma de las Base exentas "
         "de los conceptos.",
         "El importe del campo Base correspondiente a Traslado no es igual al redondeo de la "
         "suma de los importes de las bases trasladados registrados en los conceptos.",
         c.cfdi40216),
    _off("CFDI40217", "Impuestos.Traslado.Impuesto",
         "Impuesto del traslado del resumen de c_Impuesto.",
         "El campo Impuesto no contiene un valor del catálogo c_Impuesto.", c.cfdi40217),
    _off("CFDI40218", "Impuestos.Traslado.Impuesto",
         "Un solo traslado por combinación de impuesto, factor y tasa en el resumen.",
         "Debe haber sólo un registro con la misma combinación de impuesto, factor y tasa por "
         "cada traslado.", c.cfdi40218),
    _off("CFDI40219", "Impuestos.Traslado.TasaOCuota",
         "TasaOCuota del traslado del resumen de c_TasaOCuota para su impuesto y factor.",
         "El valor seleccionado debe corresponder a un valor del catalogo donde la columna "
         "impuesto corresponda con el campo impuesto y la columna factor corresponda con el "
         "campo TipoFactor.", c.cfdi40219),
    _off("CFDI40220", "Impuestos.Traslado.Importe",
         "Importe del traslado del resumen con hasta los decimales de la moneda.",
         "El valor del campo Importe correspondiente a Traslado debe tener hasta la cantidad de "
         "decimales que soporte la moneda.", c.cfdi40220),
    _off("CFDI40221", "Impuestos.Traslado.Importe",
         "Importe de cada traslado del resumen es el redondeo de la suma de los Importe de los "
         "conceptos con el mismo impuesto, factor y tasa.",
         "El campo Importe correspondiente a Traslado no es igual al redondeo de la suma de los "
         "importes de los impuestos trasladados registrados en los conceptos.", c.cfdi40221),
    _off("CFDI40222", "Comprobante.Exportacion",
         "Con Exportacion 01 o 03 no existe el complemento de comercio exterior.",
         "El complemento de Comercio Exterior no debe existir cuando el campo Exportacion "
         'contenga un valor igual a "01" o "03" del catálogo de CFDI c_Exportacion.',
         c.cfdi40222),
    _off("CFDI140223", "Concepto.ACuentaTerceros.RegimenFiscalACuentaTerceros",
         "Con RfcACuentaTerceros EXT990101NI1, RegimenFiscalACuentaTerceros es 616.",
         'El valor registrado en el atributo RegimenFiscalACuentaTerceros es distinto a "616".',
         c.cfdi140223),
    _reg("CFDI140224", "Concepto.Retencion.Impuesto",
         "Emisor con marca de retención 1 en l_RFC, régimen 626, persona física a persona "
         "moral: no hay retención de ISR.",
         'El valor 001 (ISR) en el atributo "Impuesto" del nodo hijo "Retencion" a nivel '
         "Concepto no debe existir."),
    _reg("CFDI140225", "Concepto.Retencion.Impuesto",
         "Emisor con marca de retención 2 en l_RFC, régimen 626, persona física a persona "
         "moral: retención de ISR 0.0125.",
         'Debe existir el valor 001 (ISR) con TasaOCuota 0.0125 en la "Retencion" a nivel '
         "Concepto."),
    _off("CFDI140226", "Concepto.ObjetoImp",
         "Con ObjetoImp 06 u 08 no hay traslados ni retenciones de IVA (002) ni IEPS (003).",
         'Cuando en el campo ObjetoImp se registre el valor "06" o "08", los valores "002" '
         '(IVA) y/o "003" (IEPS) en el campo "Impuesto" a nivel Concepto no deben existir.',
         c.cfdi140226),
    _off("CFDI140227", "Concepto.ObjetoImp",
         "Con ObjetoImp 07 no hay IVA (002) y existe un traslado de IEPS (003).",
         'Cuando en el campo ObjetoImp se registre el valor "07", el valor "002" (IVA) no debe '
         'existir y debe existir el valor "003" (IEPS) en el "Traslado" a nivel Concepto.',
         c.cfdi140227),
    _pac("CFDI40999", "Comprobante", "Error no clasificado por la matriz.",
         "Error no clasificado."),
    # -- RMF stamping rules outside the matrix (classic PAC codes) ----------------------------
    Rule("303", "Comprobante.Certificado",
         "El certificado del sello pertenece al RFC del emisor.",
         "Sello no corresponde a emisor.", Kind.OFFLINE, c.certificado_del_emisor, "rmf"),
    Rule("304", "Comprobante.Certificado",
         "El CSD no está revocado ni caduco (lista LCO del SAT).",
         "Certificado revocado o caduco.", Kind.REGISTRO, origin="rmf"),
    Rule("305", "Comprobante.Fecha",
         "La Fecha (hora local de LugarExpedicion) está dentro de la vigencia del certificado.",
         "La fecha de emisión no está dentro de la vigencia del CSD del emisor.", Kind.OFFLINE,
         c.vigencia_del_certificado, "rmf"),
    Rule("401", "Comprobante.Fecha",
         "Entre la Fecha (hora local de LugarExpedicion) y la certificación no hay más de 72 "
         "horas ni menos de cero.",
         "Fecha y hora de generación fuera de rango.", Kind.OFFLINE, origin="rmf",
         clock_check=c.plazo_de_certificacion),
    Rule("402", "Emisor.Rfc",
         "El RFC del emisor está en la lista de contribuyentes con CSD (l_RFC/LCO).",
         "RFC del emisor no se encuentra en el régimen de contribuyentes.", Kind.REGISTRO,
         origin="rmf"),
)
# fmt: on

RULES_BY_CODE = MappingProxyType({rule.code: rule for rule in RULES})
MATRIX_RULES = tuple(rule for rule in RULES if rule.origin == "matriz")
CHECKED_RULES = tuple(rule for rule in RULES if rule.checked)
# Rules decided by the document alone (remembered per document) and by the stamping clock
DOCUMENT_RULES = tuple(rule for rule in CHECKED_RULES if rule.check is not None)
CLOCK_RULES = tuple(rule for rule in CHECKED_RULES if rule.clock_check is not None)
POSITION = MappingProxyType({rule.code: n for n, rule in enumerate(RULES)})
