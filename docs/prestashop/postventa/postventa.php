<?php
/**
 * Postventa for PrestaShop: posts every validated order to Postventa, signed.
 *
 * PrestaShop has no outgoing webhooks; this module listens to the `actionValidateOrder` hook
 * (called once when a customer's order is validated, with the order, its cart, customer,
 * currency and order state) and POSTs the order as docs/formats/prestashop-order.md describes:
 *
 *   X-Postventa-Timestamp: Unix seconds
 *   X-Postventa-Signature: sha256=hex(HMAC-SHA256(secret, timestamp . "." . body))
 *   X-Postventa-Delivery:  a UUID, the same on this post's retry
 *
 * Install: copy this folder to modules/postventa, install it from Módulos, open "Configurar" and
 * paste the webhook URL and the secret Postventa showed when you connected PrestaShop
 * (PUT /api/v1/channels/prestashop). MIT licensed, like Postventa.
 */

if (!defined('_PS_VERSION_')) {
    exit;
}

class Postventa extends Module
{
    const URL = 'POSTVENTA_WEBHOOK_URL';
    const SECRET = 'POSTVENTA_WEBHOOK_SECRET';
    const CONTRACT_VERSION = 1;

    public function __construct()
    {
        $this->name = 'postventa';
        $this->tab = 'billing_invoicing';
        $this->version = '1.0.0';
        $this->author = 'Postventa';
        $this->need_instance = 0;
        $this->ps_versions_compliancy = ['min' => '1.7.0', 'max' => _PS_VERSION_];
        parent::__construct();
        $this->displayName = 'Postventa: facturación CFDI 4.0';
        $this->description = 'Envía cada pedido validado a Postventa para que el comprador pida su factura.';
    }

    public function install()
    {
        return parent::install() && $this->registerHook('actionValidateOrder');
    }

    public function uninstall()
    {
        Configuration::deleteByName(self::URL);
        Configuration::deleteByName(self::SECRET);
        return parent::uninstall();
    }

    public function getContent()
    {
        $output = '';
        if (Tools::isSubmit('submitPostventa')) {
            $url = trim((string) Tools::getValue(self::URL));
            $secret = trim((string) Tools::getValue(self::SECRET));
            if (strpos($url, 'https://') !== 0 || strlen($secret) < 32) {
                $output .= $this->displayError('La URL debe empezar con https:// y el secreto tener al menos 32 caracteres.');
            } else {
                Configuration::updateValue(self::URL, $url);
                Configuration::updateValue(self::SECRET, $secret);
                $output .= $this->displayConfirmation('Guardado.');
            }
        }
        $url = htmlspecialchars((string) Configuration::get(self::URL), ENT_QUOTES, 'UTF-8');
        $action = htmlspecialchars($_SERVER['REQUEST_URI'], ENT_QUOTES, 'UTF-8');
        return $output . '<form method="post" action="' . $action . '" class="defaultForm form-horizontal">'
            . '<div class="panel"><div class="panel-heading">Postventa</div>'
            . '<label>URL del webhook</label><input type="url" name="' . self::URL . '" value="' . $url . '" size="80">'
            . '<label>Secreto de firma</label><input type="password" name="' . self::SECRET . '" value="" size="80" autocomplete="off">'
            . '<div class="panel-footer"><button type="submit" name="submitPostventa" class="btn btn-default">Guardar</button></div>'
            . '</div></form>';
    }

    /** @param array $params order, cart, customer, currency, orderStatus */
    public function hookActionValidateOrder($params)
    {
        $url = (string) Configuration::get(self::URL);
        $secret = (string) Configuration::get(self::SECRET);
        if ($url === '' || $secret === '' || !isset($params['order'])) {
            return;
        }
        $order = $params['order'];
        $customer = isset($params['customer']) ? $params['customer'] : new Customer((int) $order->id_customer);
        $currency = isset($params['currency']) ? $params['currency'] : new Currency((int) $order->id_currency);
        $state = isset($params['orderStatus']) ? $params['orderStatus'] : null;
        $lines = [];
        foreach ($order->getProducts() as $product) {
            $lines[] = [
                'reference' => (string) $product['product_reference'],
                'name' => (string) $product['product_name'],
                'quantity' => (int) $product['product_quantity'],
                'unit_price_tax_incl' => $this->money($product['unit_price_tax_incl']),
                'total_price_tax_incl' => $this->money($product['total_price_tax_incl']),
            ];
        }
        $body = json_encode([
            'version' => self::CONTRACT_VERSION,
            'event' => 'order.validated',
            'shop' => ['id' => (int) $order->id_shop, 'url' => Tools::getShopDomainSsl(true)],
            'order' => [
                'id' => (int) $order->id,
                'reference' => (string) $order->reference,
                'date_add' => (string) $order->date_add,
                'currency' => (string) $currency->iso_code,
                'payment' => (string) $order->payment,
                'module' => (string) $order->module,
                // Bank wire and cash on delivery validate orders not yet paid.
                'paid' => $state !== null && (bool) $state->paid,
                'total_paid_tax_incl' => $this->money($order->total_paid_tax_incl),
                'total_shipping_tax_incl' => $this->money($order->total_shipping_tax_incl),
                'total_discounts_tax_incl' => $this->money($order->total_discounts_tax_incl),
                'customer' => [
                    'firstname' => (string) $customer->firstname,
                    'lastname' => (string) $customer->lastname,
                    'email' => (string) $customer->email,
                ],
                'lines' => $lines,
            ],
        ], JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
        $delivery = $this->uuid();
        // One retry after a network failure or a 5xx/429: the same delivery id, signed again.
        for ($attempt = 0; $attempt < 2; $attempt++) {
            $status = $this->post($url, $secret, $body, $delivery);
            if ($status >= 200 && $status < 300 || ($status >= 400 && $status < 500 && $status !== 429)) {
                break;
            }
            usleep(500000);
        }
        if ($status < 200 || $status >= 300) {
            PrestaShopLogger::addLog('Postventa: el pedido ' . (int) $order->id . ' no se pudo enviar (' . $status . ').', 2);
        }
    }

    private function post($url, $secret, $body, $delivery)
    {
        $timestamp = (string) time();
        $signature = 'sha256=' . hash_hmac('sha256', $timestamp . '.' . $body, $secret);
        $curl = curl_init($url);
        curl_setopt_array($curl, [
            CURLOPT_POST => true,
            CURLOPT_POSTFIELDS => $body,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_CONNECTTIMEOUT => 3,
            CURLOPT_TIMEOUT => 5,
            CURLOPT_HTTPHEADER => [
                'Content-Type: application/json',
                'X-Postventa-Timestamp: ' . $timestamp,
                'X-Postventa-Signature: ' . $signature,
                'X-Postventa-Delivery: ' . $delivery,
            ],
        ]);
        curl_exec($curl);
        $status = (int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
        curl_close($curl);
        return $status;
    }

    private function money($value)
    {
        return number_format((float) $value, 2, '.', '');
    }

    private function uuid()
    {
        $bytes = random_bytes(16);
        $bytes[6] = chr(ord($bytes[6]) & 0x0f | 0x40);
        $bytes[8] = chr(ord($bytes[8]) & 0x3f | 0x80);
        return vsprintf('%s%s-%s-%s-%s-%s%s%s', str_split(bin2hex($bytes), 4));
    }
}
