"""The seller's panel (/panel): server-rendered pages behind a session cookie.

Every route reads the session (services/accounts.py), checks the person's permission, calls one
service scoped to the session's tenant and renders the outcome (web/panel_pages.py). Posts must
come from the panel itself: same origin and the session's csrf value.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from postventa.bootstrap import bootstrap
from postventa.cfdi.csd_check import CsdRejectedError
from postventa.domain.accounts import Permission
from postventa.domain.messages import TemplateBody, TemplateProblem, TemplateRejectedError
from postventa.domain.orders import Channel
from postventa.domain.ports import Adapters
from postventa.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PostventaError,
    TooManyRequestsError,
)
from postventa.observability import logger, metrics, redact_errors, tracer
from postventa.services import (
    accounts,
    connections,
    customer_jobs,
    fiscal_settings,
    message_switches,
    message_templates,
    order_search,
    shipping,
)
from postventa.services import customers as customer_service
from postventa.web import panel_pages as pages
from postventa.web.http import is_same_origin, raw_body
from postventa.web.panel_http import (
    Form,
    clear_session,
    html,
    json_response,
    parse_form,
    redirect,
    safe_next,
    session_cookie,
    set_session,
    sign_in_location,
    static_file,
)

app = APIGatewayHttpResolver()
CROSS_SITE = "Envía el formulario desde el panel: recarga la página y vuelve a probar."


class SignInRequired(Exception):
    """No live session: go to the sign-in page and come back."""


class Context:
    """The request being served (a Lambda serves one at a time)."""

    current: accounts.SignedInSession | None = None


def _secure(adapters: Adapters) -> bool:
    return adapters.settings.public_base_url.startswith("https://")


def _signed_in(permission: Permission) -> tuple[Adapters, accounts.SignedInSession]:
    adapters = bootstrap()
    current = accounts.current_session(session_cookie(app.current_event.cookies), adapters)
    if current is None:
        raise SignInRequired()
    Context.current = current
    current.principal.require(permission)
    return adapters, current


def _posted(permission: Permission) -> tuple[Adapters, accounts.SignedInSession, Form]:
    """A post of a signed-in person, from the panel's own pages (origin and csrf checked)."""
    adapters, current = _signed_in(permission)
    event = app.current_event
    form = _form()
    if not is_same_origin(event.headers, adapters.settings.public_base_url) or not (
        current.session.accepts_csrf(form.get("csrf"))
    ):
        logger.warning("panel post without this session's csrf or from another origin")
        raise ForbiddenError(CROSS_SITE)
    return adapters, current, form


def _form() -> Form:
    event = app.current_event
    return parse_form(raw_body(event.raw_event), event.headers.get("content-type", ""))


def _sign_in_post() -> tuple[Adapters, Form, str, bool]:
    """A sign-in step's post: the adapters, the form, where to go next, and whether it came from
    the panel's own page."""
    adapters = bootstrap()
    form = _form()
    same_origin = is_same_origin(app.current_event.headers, adapters.settings.public_base_url)
    return adapters, form, safe_next(form.get("siguiente")), same_origin


def _chrome(adapters: Adapters, current: accounts.SignedInSession, section: str) -> pages.Chrome:
    return pages.chrome(
        adapters, current, section, app.current_event.get_query_string_value("hecho")
    )


# ---------------------------------------------------------------- signing in and out
@app.get("/panel")
def home() -> Response:
    """The first section the person may open (a reseller's account has none here yet)."""
    adapters = bootstrap()
    current = accounts.current_session(session_cookie(app.current_event.cookies), adapters)
    if current is None:
        raise SignInRequired()
    Context.current = current
    section = pages.first_section(current.principal)
    if section is None:
        return html(pages.no_sections(_chrome(adapters, current, "")))
    return redirect(f"/panel/{section}")


@app.get("/panel/estatico/<name>")
def asset(name: str) -> Response:
    return static_file(name)


@app.get("/panel/entrar")
def sign_in_page() -> Response:
    event = app.current_event
    next_path = safe_next(event.get_query_string_value("siguiente"))
    return html(pages.sign_in(next_path, notice=event.get_query_string_value("aviso") or ""))


@app.post("/panel/entrar")
def sign_in() -> Response:
    adapters, form, next_path, same_origin = _sign_in_post()
    event = app.current_event
    if not same_origin:
        return html(pages.sign_in(next_path, email=form.get("email"), error="origen"))
    try:
        outcome = accounts.sign_in(
            form.get("email"),
            form.get("password"),
            adapters,
            source_ip=event.request_context.http.source_ip,
        )
    except TooManyRequestsError:
        return html(pages.sign_in(next_path, email=form.get("email"), error="limite"))
    if isinstance(outcome, accounts.SignInFailed):
        return html(pages.sign_in(next_path, email=form.get("email"), error=outcome.reason))
    return _after_sign_in(outcome, next_path, adapters)


@app.post("/panel/contrasena")
def choose_password() -> Response:
    adapters, form, next_path, same_origin = _sign_in_post()
    event = app.current_event
    if not same_origin:
        return html(pages.sign_in(next_path, error="origen"))
    email, challenge = form.get("email"), form.get("reto")
    try:
        outcome = accounts.choose_password(
            email,
            challenge,
            form.get("nueva"),
            adapters,
            source_ip=event.request_context.http.source_ip,
        )
    except TooManyRequestsError:
        return html(pages.sign_in(next_path, error="limite"))
    if isinstance(outcome, accounts.SignInFailed) and outcome.reason == "contrasena_invalida":
        return html(pages.new_password(email, challenge, next_path, outcome.detail, 422))
    return _after_sign_in(outcome, next_path, adapters)


def _after_sign_in(outcome: accounts.PanelSignIn, next_path: str, adapters: Adapters) -> Response:
    match outcome:
        case accounts.SessionStarted(cookie=value, max_age=max_age, principal=principal):
            cookie = set_session(value, max_age, secure=_secure(adapters))
            if pages.first_section(principal) is None:
                next_path = "/panel"
            return redirect(next_path, [cookie])
        case accounts.PasswordToChoose(email=email, challenge=challenge):
            return html(pages.new_password(email, challenge, next_path))
        case accounts.SignInFailed(reason=reason):
            return html(pages.sign_in(next_path, error=reason))
    raise AssertionError(outcome)


@app.post("/panel/salir")
def sign_out() -> Response:
    """Ends the session (when the post is the panel's own) and always drops the cookie."""
    adapters = bootstrap()
    event = app.current_event
    cookie = session_cookie(event.cookies)
    current = accounts.current_session(cookie, adapters)
    if current is not None:
        form = _form()
        if not current.session.accepts_csrf(form.get("csrf")):
            raise ForbiddenError(CROSS_SITE)
        accounts.sign_out(cookie, adapters)
    location = sign_in_location("/panel/pedidos", "salida")
    return redirect(location, [clear_session(secure=_secure(adapters))])


# ---------------------------------------------------------------- orders
@app.get("/panel/pedidos")
def orders() -> Response:
    adapters, current = _signed_in(Permission.ORDERS)
    params = app.current_event.query_string_parameters or {}
    chrome = _chrome(adapters, current, "pedidos")
    filters, problem = pages.order_filters(params)
    results = order_search.search(current.principal.tenant_id, filters, adapters)
    return html(pages.orders(chrome, filters, results, params, problem))


@app.get("/panel/pedidos/<channel>/<order_id>")
def order(channel: str, order_id: str) -> Response:
    adapters, current = _signed_in(Permission.ORDERS)
    detail = order_search.detail(current.principal.tenant_id, channel, order_id, adapters)
    return html(pages.order(_chrome(adapters, current, "pedidos"), detail))


@app.get("/panel/pedidos/<channel>/<order_id>/<kind>")
def order_file(channel: str, order_id: str, kind: str) -> Response:
    adapters, current = _signed_in(Permission.ORDERS)
    if kind not in ("xml", "pdf"):
        raise NotFoundError("Archivo no encontrado.")
    tenant = current.principal.tenant_id
    url = order_search.download_url(
        tenant, channel, order_id, "xml" if kind == "xml" else "pdf", adapters
    )
    return redirect(url)


@app.post("/panel/pedidos/<channel>/<order_id>/<action>")
def order_action(channel: str, order_id: str, action: str) -> Response:
    if action == "cancelar":  # a fiscal act: the owner's, as on /api/v1
        adapters, current, form = _posted(Permission.SETTINGS)
        done = order_search.cancel(
            current.principal.tenant_id,
            channel,
            order_id,
            form.get("motivo_cancelacion"),
            form.as_dict(),
            adapters,
        )
    else:
        adapters, current, form = _posted(Permission.ORDERS)
        done = order_search.act(
            current.principal.tenant_id, channel, order_id, action, form.get("motivo"), adapters
        )
    return redirect(f"/panel/pedidos/{channel}/{order_id}?hecho={done}")


# ---------------------------------------------------------------- channels
@app.get("/panel/canales")
def channels() -> Response:
    adapters, current = _signed_in(Permission.ORDERS)
    listing = connections.list_connections(current.principal.tenant_id, adapters)
    return html(pages.channels(_chrome(adapters, current, "canales"), listing))


@app.post("/panel/canales/<channel>/<action>")
def channel_action(channel: str, action: str) -> Response:
    """Connect (credentials, or a generated secret shown once), authorize (Mercado Libre's
    OAuth: to its page and back to /oauth/mercadolibre), test, disconnect: the owner's."""
    adapters, current, form = _posted(Permission.CREDENTIALS)
    tenant_id = current.principal.tenant_id
    if action == "autorizar":  # a link to follow: the panel's CSP keeps its forms on the panel
        url = connections.authorize(tenant_id, channel, adapters)["authorization_url"]
        return _channels_page(adapters, current, focus=channel, authorize=url)
    if action == "desconectar":
        connections.disconnect(tenant_id, channel, adapters)
        return redirect(f"/panel/canales?hecho=canal_desconectado#canal-{channel}")
    if action == "probar":
        tested = connections.test_connection(tenant_id, channel, adapters)
        return _channels_page(adapters, current, focus=channel, tested=tested)
    if action != "conectar":
        raise NotFoundError("Esta página no existe.")
    values = {k: v for k, v in form.as_dict().items() if k in pages.CHANNEL_FIELDS and v.strip()}
    try:
        body = connections.ConnectBody.model_validate(
            {**values, "include_link": form.checked("include_link")}
        )
        view, _ = connections.connect(tenant_id, channel, body, adapters)
    except ValidationError as exc:
        problems = pages.connection_problems(exc)
        return _channels_page(adapters, current, 422, focus=channel, problems=problems)
    except (BadRequestError, connections.ConnectionFailedError, ConflictError) as exc:
        return _channels_page(adapters, current, 422, focus=channel, problems=[exc.message])
    if view.get("webhook_secret"):  # PrestaShop's generated secret: shown this once
        return _channels_page(adapters, current, focus=channel, shown=view["webhook_secret"])
    return redirect(f"/panel/canales?hecho=canal_conectado#canal-{channel}")


def _channels_page(
    adapters: Adapters,
    current: accounts.SignedInSession,
    status: int = 200,
    *,
    focus: str,
    problems: list[str] | None = None,
    shown: str | None = None,
    tested: dict[str, Any] | None = None,
    authorize: str | None = None,
) -> Response:
    listing = connections.list_connections(current.principal.tenant_id, adapters)
    page = pages.channels(
        _chrome(adapters, current, "canales"),
        listing,
        status,
        focus=focus,
        problems=problems,
        shown_secret=shown,
        tested=tested,
        authorize_url=authorize,
    )
    return html(page)


# ---------------------------------------------------------------- messages
@app.get("/panel/mensajes")
def messages() -> Response:
    adapters, current = _signed_in(Permission.MESSAGES)
    tenant_id = current.principal.tenant_id
    listing = message_templates.list_templates(tenant_id, adapters)
    tenant = adapters.tenants.get(tenant_id)
    return html(pages.messages(_chrome(adapters, current, "mensajes"), listing, tenant))


@app.get("/panel/mensajes/<channel>")
def message(channel: str) -> Response:
    adapters, current = _signed_in(Permission.MESSAGES)
    tenant_id = current.principal.tenant_id
    view = message_templates.get_template(tenant_id, channel, adapters)
    preview = message_templates.preview_template(
        tenant_id, channel, message_templates.PreviewRequest(), adapters
    )
    return _message_page(adapters, current, channel, view, preview)


def _message_page(
    adapters: Adapters,
    current: accounts.SignedInSession,
    channel: str,
    view: dict[str, Any],
    preview: dict[str, Any],
    status: int = 200,
    **shown: Any,
) -> Response:
    """The channel's message page; Mercado Libre's (and Mercado Shops') with the shipping
    notice's template beside the billing message."""
    tenant_id = current.principal.tenant_id
    shipping_view = None
    if Channel(view["channel"]) in message_switches.SHIPPING_NOTICE_CHANNELS:
        shipping_view = shipping.show_shipping_template(tenant_id, channel, adapters)
    return html(
        pages.message_edit(
            _chrome(adapters, current, "mensajes"),
            view,
            _switches(adapters, current, channel),
            preview,
            status=status,
            shipping=shipping_view,
            **shown,
        )
    )


@app.post("/panel/mensajes/<channel>/aviso")
def change_shipping_notice(channel: str) -> Response:
    """Mercado Libre's shipping notice: save its text (checked as on send) or go back to the
    default; the switch beside it is the seller's and is left as it is."""
    adapters, current, form = _posted(Permission.MESSAGES)
    tenant_id = current.principal.tenant_id
    shipping.require_channel(channel)
    if form.get("accion") == "restaurar":
        shipping.delete_shipping_template(tenant_id, channel, adapters, switch=False)
        return redirect(f"/panel/mensajes/{channel}?hecho=aviso_restaurado#aviso")
    text = form.get("text")
    try:
        body = TemplateBody.model_validate({"text": text})
        shipping.save_shipping_template(tenant_id, channel, body, adapters, switch=False)
    except (TemplateRejectedError, ValidationError) as refused:
        problems = (
            [p.message for p in refused.problems]
            if isinstance(refused, TemplateRejectedError)
            else ["El aviso no puede quedar vacío ni pasar del largo que admite el canal."]
        )
        view = message_templates.get_template(tenant_id, channel, adapters)
        preview = message_templates.preview_template(
            tenant_id, channel, message_templates.PreviewRequest(), adapters
        )
        return _message_page(
            adapters,
            current,
            channel,
            view,
            preview,
            422,
            shipping_text=text,
            shipping_problems=problems,
        )
    return redirect(f"/panel/mensajes/{channel}?hecho=aviso_guardado#aviso")


def _switches(adapters: Adapters, current: accounts.SignedInSession, channel: str) -> Any:
    tenant = adapters.tenants.get(current.principal.tenant_id)
    return tenant.messaging_for(channel) if tenant else None


@app.post("/panel/mensajes/<channel>")
def change_message(channel: str) -> Response:
    adapters, current, form = _posted(Permission.MESSAGES)
    tenant_id = current.principal.tenant_id
    action = form.get("accion")
    if action == "activar":
        message_switches.set_switches(
            tenant_id,
            channel,
            billing_request=form.checked("solicitud"),
            shipping_notice=form.checked("envio"),
            adapters=adapters,
        )
        return redirect(f"/panel/mensajes/{channel}?hecho=mensajes_activos")
    if action == "restaurar":
        message_templates.delete_template(tenant_id, channel, adapters)
        return redirect(f"/panel/mensajes/{channel}?hecho=mensaje_restaurado")
    view = message_templates.get_template(tenant_id, channel, adapters)
    body = pages.template_body(form, view)
    reminder = form.checked("recordatorio")
    request = message_templates.PreviewRequest(template=body, recordatorio=reminder)
    preview = message_templates.preview_template(tenant_id, channel, request, adapters)
    if action == "guardar":
        try:
            message_templates.save_template(tenant_id, channel, body, adapters)
        except TemplateRejectedError as refused:
            return _message_page(
                adapters,
                current,
                channel,
                view,
                preview,
                422,
                body=form.as_dict(),
                reminder=reminder,
                problems=refused.problems,
            )
        return redirect(f"/panel/mensajes/{channel}?hecho=mensaje_guardado")
    problems = [TemplateProblem.model_validate(p) for p in preview["problems"]]
    return _message_page(
        adapters,
        current,
        channel,
        view,
        preview,
        body=form.as_dict(),
        reminder=reminder,
        problems=problems,
    )


@app.post("/panel/mensajes/<channel>/conteo")
def count_message(channel: str) -> Response:
    """The live count (the page's script): the same counts the preview shows, as JSON."""
    adapters, current, form = _posted(Permission.MESSAGES)
    tenant_id = current.principal.tenant_id
    view = message_templates.get_template(tenant_id, channel, adapters)
    request = message_templates.PreviewRequest(
        template=pages.template_body(form, view), recordatorio=form.checked("recordatorio")
    )
    preview = message_templates.preview_template(tenant_id, channel, request, adapters)
    return json_response(pages.counts_json(preview))


# ---------------------------------------------------------------- fiscal settings
def _settings_page(
    adapters: Adapters, current: accounts.SignedInSession, status: int = 200, **shown: Any
) -> Response:
    view = fiscal_settings.view(current.principal.tenant_id, adapters)
    chrome = _chrome(adapters, current, "configuracion")
    maximum = adapters.settings.billing_deadline_max_seconds
    return html(pages.settings(chrome, view, max_deadline_seconds=maximum, status=status, **shown))


@app.get("/panel/configuracion")
def settings() -> Response:
    adapters, current = _signed_in(Permission.SETTINGS)
    return _settings_page(adapters, current)


@app.post("/panel/configuracion/<section>")
def save_settings(section: str) -> Response:
    permission = Permission.CREDENTIALS if section in ("csd", "pac") else Permission.SETTINGS
    adapters, current, form = _posted(permission)
    tenant_id = current.principal.tenant_id
    try:
        done = _save_section(section, tenant_id, form, adapters)
    except fiscal_settings.SettingsRefusedError as refused:
        problems: list[Any] = refused.problems
    except CsdRejectedError as refused:
        problems = [fiscal_settings.Problem("cer", p.message) for p in refused.problems]
    else:
        if isinstance(done, fiscal_settings.ImportReport):
            return _settings_page(adapters, current, report=done, section="claves")
        if isinstance(done, dict):  # the ERP's signing secret, shown once
            return _settings_page(adapters, current, erp_secret=done["signing_secret"])
        return redirect(f"/panel/configuracion?hecho={done}#{pages.SECTION_ANCHORS[done]}")
    posted = {k: v for k, v in form.as_dict().items() if k not in ("csrf", "password")}
    area = {"clave-defecto": "claves", "claves": "claves"}.get(section, section)
    return _settings_page(adapters, current, 422, section=area, problems=problems, posted=posted)


def _save_section(section: str, tenant_id: str, form: Form, adapters: Adapters) -> Any:
    """One section's save; returns the ?hecho= code, an import report or the ERP secret."""
    values = form.as_dict()
    if section == "emisor":
        fiscal_settings.save_issuer(tenant_id, fiscal_settings.parse_issuer(values), adapters)
        return "emisor"
    if section == "csd":
        cer, key = form.uploads.get("cer"), form.uploads.get("key")
        fiscal_settings.upload_csd(
            tenant_id,
            cer.data if cer else b"",
            key.data if key else b"",
            form.get("password"),
            adapters,
        )
        return "csd"
    if section == "pac":
        pac = fiscal_settings.PacForm.model_validate({**values, "pruebas": form.checked("pruebas")})
        fiscal_settings.save_pac(tenant_id, pac, adapters)
        return "pac"
    if section == "facturacion":
        policy = pages.invoicing_form(form)
        maximum = adapters.settings.billing_deadline_max_seconds
        fiscal_settings.save_invoicing(tenant_id, policy, adapters, max_deadline_seconds=maximum)
        return "facturacion"
    if section == "clave-defecto":
        fiscal_settings.save_default_keys(
            tenant_id,
            form.get("clave_prod_serv"),
            form.get("clave_unidad"),
            form.get("impuesto"),
            adapters,
        )
        return "clave_defecto"
    if section == "claves":
        upload = form.uploads.get("archivo")
        if upload is None or not upload.data:
            raise fiscal_settings.SettingsRefusedError(
                [fiscal_settings.Problem("archivo", "Elige el archivo CSV con las claves.")]
            )
        return fiscal_settings.import_product_keys(tenant_id, upload.data, adapters)
    if section == "erp":
        view, created = pages.save_erp(tenant_id, form, adapters)
        return view if created else "erp"
    raise NotFoundError("Esta página no existe.")


@app.post("/panel/configuracion/claves/quitar")
def remove_product_key() -> Response:
    adapters, current, form = _posted(Permission.SETTINGS)
    fiscal_settings.remove_product_key(current.principal.tenant_id, form.get("sku"), adapters)
    return redirect("/panel/configuracion?hecho=clave_quitada#claves")


# ---------------------------------------------------------------- customers
def _tenant(adapters: Adapters, current: accounts.SignedInSession) -> Any:
    return adapters.tenants.get(current.principal.tenant_id)


@app.get("/panel/clientes")
def customers() -> Response:
    adapters, current = _signed_in(Permission.CUSTOMERS)
    params = app.current_event.query_string_parameters or {}
    search = customer_service.parse_query(params)
    results = customer_service.search(
        current.principal.tenant_id, search, adapters, cursor=params.get("cursor") or None
    )
    chrome = _chrome(adapters, current, "clientes")
    return html(pages.customers(chrome, _tenant(adapters, current), search, results, params))


@app.get("/panel/clientes/nuevo")
def new_customer() -> Response:
    adapters, current = _signed_in(Permission.CUSTOMERS)
    chrome = _chrome(adapters, current, "clientes")
    values = {"tipo_persona": "moral", "facturacion_habilitada": True}
    return html(pages.customer_form(chrome, _tenant(adapters, current), values=values))


@app.post("/panel/clientes/nuevo")
def create_customer() -> Response:
    adapters, current, form = _posted(Permission.CUSTOMERS)
    try:
        created = customer_service.create(current.principal, pages.customer_data(form), adapters)
    except customer_service.CustomerRefusedError as refused:
        chrome = _chrome(adapters, current, "clientes")
        tenant = _tenant(adapters, current)
        values = pages.posted_values(form)
        return html(
            pages.customer_form(chrome, tenant, values=values, errors=refused.fields, status=422)
        )
    return redirect(f"/panel/clientes/{created.customer_id}?hecho=cliente_creado")


@app.get("/panel/clientes/<customer_id>")
def customer(customer_id: str) -> Response:
    adapters, current = _signed_in(Permission.CUSTOMERS)
    view = customer_service.view(current.principal, customer_id, adapters)
    chrome = _chrome(adapters, current, "clientes")
    return html(pages.customer(chrome, _tenant(adapters, current), view))


@app.post("/panel/clientes/<customer_id>")
def update_customer(customer_id: str) -> Response:
    adapters, current, form = _posted(Permission.CUSTOMERS)
    principal = current.principal
    try:
        version = int(form.get("version") or 0)
        outcome = customer_service.update(
            principal,
            customer_id,
            pages.customer_data(form),
            adapters,
            version=version,
            confirm_rename=form.checked("confirmar_nombre"),
        )
    except customer_service.CustomerRefusedError as refused:
        view = customer_service.view(principal, customer_id, adapters)
        chrome = _chrome(adapters, current, "clientes")
        values = pages.posted_values(form)
        tenant = _tenant(adapters, current)
        return html(
            pages.customer(chrome, tenant, view, values=values, errors=refused.fields, status=422)
        )
    if isinstance(outcome, customer_service.RenameNeedsConfirmation):
        return html(pages.customer_rename(_chrome(adapters, current, "clientes"), outcome, form))
    return redirect(f"/panel/clientes/{customer_id}?hecho=cliente_guardado")


@app.post("/panel/clientes/<customer_id>/<action>")
def activate_customer(customer_id: str, action: str) -> Response:
    adapters, current, _ = _posted(Permission.CUSTOMERS)
    if action not in ("desactivar", "reactivar"):
        raise NotFoundError("Esta página no existe.")
    active = action == "reactivar"
    customer_service.set_active(current.principal, customer_id, active, adapters)
    done = "cliente_reactivado" if active else "cliente_desactivado"
    return redirect(f"/panel/clientes/{customer_id}?hecho={done}")


def _mass_target(form: Form) -> customer_jobs.Target:
    query = customer_service.parse_query(form.as_dict())
    if form.get("alcance") == "filtrados":
        return customer_jobs.Target(None, query)
    return customer_jobs.Target(form.all("cliente"), query)


@app.post("/panel/clientes/cambio-masivo")
def preview_mass_update() -> Response:
    adapters, current, form = _posted(Permission.CUSTOMERS)
    target = _mass_target(form)
    changes = pages.mass_changes(form)
    preview = customer_jobs.preview(current.principal, target, changes, adapters)
    return html(pages.mass_preview(_chrome(adapters, current, "clientes"), preview, form))


@app.post("/panel/clientes/cambio-masivo/confirmar")
def confirm_mass_update() -> Response:
    adapters, current, form = _posted(Permission.CUSTOMERS)
    if not form.checked("entiendo"):
        raise BadRequestError("Marca que entiendes que el cambio no se puede deshacer.")
    job = customer_jobs.start_mass_update(
        current.principal, _mass_target(form), pages.mass_changes(form), adapters
    )
    return redirect(f"/panel/clientes/trabajos/{job.job_id}")


@app.get("/panel/clientes/trabajos/<job_id>")
def customer_job(job_id: str) -> Response:
    adapters, current = _signed_in(Permission.CUSTOMERS)
    job = customer_jobs.job_of(current.principal, job_id, adapters)
    return html(pages.job(_chrome(adapters, current, "clientes"), job))


@app.post("/panel/clientes/exportar")
def export_customers() -> Response:
    adapters, current, form = _posted(Permission.CUSTOMERS)
    query = customer_service.parse_query(form.as_dict())
    job = customer_jobs.start_export(current.principal, query, adapters)
    return redirect(f"/panel/exportaciones/{job.job_id}")


@app.get("/panel/exportaciones/<job_id>")
def export_page(job_id: str) -> Response:
    return customer_job(job_id)


@app.get("/panel/exportaciones/<job_id>/archivo")
def export_file(job_id: str) -> Response:
    adapters, current = _signed_in(Permission.CUSTOMERS)
    job = customer_jobs.job_of(current.principal, job_id, adapters)
    if job.kind != "exportacion" or not job.file_key:
        raise NotFoundError("La exportación todavía no está lista.")
    name = f"clientes-{job.created_at[:10]}.csv"
    return redirect(adapters.exports.download_url(job.tenant_id, job.file_key, name, 300))


# ---------------------------------------------------------------- errors as pages
@app.exception_handler(SignInRequired)
def sign_in_required(_: SignInRequired) -> Response:
    event = app.current_event
    path = event.raw_path + (f"?{event.raw_query_string}" if event.raw_query_string else "")
    adapters = bootstrap()
    notice = "vencida" if session_cookie(event.cookies) else ""
    return redirect(
        sign_in_location(safe_next(path), notice),
        [clear_session(secure=_secure(adapters))] if notice else [],
    )


@app.exception_handler(PostventaError)
def failed(exc: PostventaError) -> Response:
    logger.info("panel error", extra={"error": exc.code})
    current = Context.current
    chrome = _chrome(bootstrap(), current, "") if current is not None else None
    return html(pages.error(exc, chrome))


@app.not_found
def not_found(_: Exception) -> Response:
    return html(pages.error(NotFoundError("Esta página no existe."), None))


@tracer.capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@redact_errors
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    Context.current = None
    return app.resolve(event, context)
