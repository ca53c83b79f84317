<?php
/**
 * Tell the warehouse (WMS) "look at order N" when an order changes in the shop.
 *
 * The hooks only queue a signed event in PREFIX_wmscallback_event; delivery happens at the end
 * of the request, after the page went out when PHP-FPM allows it, and failures are retried by
 * the cron controller with backoff. Nothing here may slow down or break a checkout: every hook
 * catches everything. The warehouse polls the shop as well, so a lost callback loses nothing.
 * Request format and signature: docs/callback-signature.md in the WMS repository.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

require_once __DIR__ . '/classes/WmsCallbackSigner.php';
require_once __DIR__ . '/classes/WmsCallbackPayload.php';
require_once __DIR__ . '/classes/WmsCallbackRetryPolicy.php';
require_once __DIR__ . '/classes/WmsCallbackSender.php';
require_once __DIR__ . '/classes/WmsCallbackStore.php';
require_once __DIR__ . '/classes/WmsCallbackQueue.php';
require_once __DIR__ . '/classes/WmsCallbackDispatcher.php';
require_once __DIR__ . '/classes/WmsRelayPoint.php';
if (interface_exists('WebserviceSpecificManagementInterface')) {
    require_once __DIR__ . '/classes/WebserviceSpecificManagementWmsRelayPoints.php';
}

class Wmscallback extends Module
{
    const CONFIG_URL = 'WMSCALLBACK_URL';
    const CONFIG_SECRET = 'WMSCALLBACK_SECRET';
    const CONFIG_TIMEOUT = 'WMSCALLBACK_TIMEOUT';
    const CONFIG_FLUSH_FIRST = 'WMSCALLBACK_FLUSH_FIRST';
    const CONFIG_CRON_TOKEN = 'WMSCALLBACK_CRON_TOKEN';

    const DEFAULT_TIMEOUT_S = 2;
    const MIN_TIMEOUT_S = 0.2;
    const MAX_TIMEOUT_S = 10;
    /** Older due events sent at the end of a request whose own event went through. */
    const BACKLOG_PER_REQUEST = 3;
    const CRON_BUDGET_S = 25;
    const KEEP_SENT_DAYS = 30;

    /** @var int[] row ids queued during this request, delivered at shutdown */
    private $pending = [];

    /** @var array<string, bool> order.edited fires several times per save: one event per order and request */
    private $queuedKeys = [];

    /** @var bool */
    private $shutdownRegistered = false;

    /** @var array<int, int> merchandise returns created or changed in this request: id => id_shop */
    private $pendingReturns = [];

    public function __construct()
    {
        $this->name = 'wmscallback';
        $this->tab = 'shipping_logistics';
        $this->version = '1.0.0';
        $this->author = 'WMS';
        $this->need_instance = 0;
        $this->ps_versions_compliancy = ['min' => '1.7.0.0', 'max' => '8.99.99'];
        $this->bootstrap = true;

        parent::__construct();

        $this->displayName = $this->l('WMS order callbacks');
        $this->description = $this->l('Notifies the warehouse within seconds when an order changes state or is edited.');
        $this->confirmUninstall = $this->l('Undelivered callbacks will be lost. The warehouse still finds the changes by polling. Uninstall?');
    }

    public function install()
    {
        if (PHP_VERSION_ID < 70100) {
            $this->_errors[] = $this->l('This module needs PHP 7.1 or newer.');

            return false;
        }

        return parent::install()
            && $this->runSqlFile('install')
            && $this->registerHook('actionOrderStatusPostUpdate')
            && $this->registerHook('actionOrderEdited')
            && $this->registerHook('addWebserviceResources')
            && $this->registerHook('actionObjectOrderReturnAddAfter')
            && $this->registerHook('actionObjectOrderReturnUpdateAfter')
            && Configuration::updateGlobalValue(self::CONFIG_URL, '')
            && Configuration::updateGlobalValue(self::CONFIG_SECRET, WmsCallbackSigner::generateSecret())
            && Configuration::updateGlobalValue(self::CONFIG_TIMEOUT, (string) self::DEFAULT_TIMEOUT_S)
            && Configuration::updateGlobalValue(self::CONFIG_FLUSH_FIRST, 1)
            && Configuration::updateGlobalValue(self::CONFIG_CRON_TOKEN, bin2hex(random_bytes(16)));
    }

    public function uninstall()
    {
        foreach ([self::CONFIG_URL, self::CONFIG_SECRET, self::CONFIG_TIMEOUT, self::CONFIG_FLUSH_FIRST, self::CONFIG_CRON_TOKEN] as $key) {
            Configuration::deleteByName($key);
        }

        return $this->runSqlFile('uninstall') && parent::uninstall();
    }

    /**
     * Add the "wms_relay_points" webservice resource: the relay point chosen per order, read
     * from the Colissimo, Mondial Relay and Sendcloud modules' tables.
     *
     * @return array
     */
    public function hookAddWebserviceResources($params)
    {
        return [
            'wms_relay_points' => [
                'description' => 'WMS: the relay point the customer chose for an order',
                'specific_management' => true,
            ],
        ];
    }

    /**
     * Queue "order N changed state" (back office, front office, payment modules, webservice).
     *
     * @param array $params newOrderStatus (OrderState), oldOrderStatus (OrderState|null, absent before 1.7.7), id_order
     */
    public function hookActionOrderStatusPostUpdate($params)
    {
        try {
            $idOrder = isset($params['id_order']) ? (int) $params['id_order'] : 0;
            $newState = self::stateId(isset($params['newOrderStatus']) ? $params['newOrderStatus'] : null);
            $oldState = self::stateId(isset($params['oldOrderStatus']) ? $params['oldOrderStatus'] : null);
            if ($idOrder > 0 && $newState !== null) {
                $this->queueEvent(WmsCallbackPayload::EVENT_STATUS_CHANGED, $idOrder, $oldState, $newState, null);
            }
        } catch (Throwable $e) {
            $this->logError('actionOrderStatusPostUpdate', $e);
        }
    }

    /**
     * Queue "order N was edited" (products, quantities, addresses changed in the back office).
     *
     * @param array $params order (Order)
     */
    public function hookActionOrderEdited($params)
    {
        try {
            $order = isset($params['order']) ? $params['order'] : null;
            if (is_object($order) && !empty($order->id)) {
                $state = (int) $order->current_state;
                $this->queueEvent(WmsCallbackPayload::EVENT_EDITED, (int) $order->id, null, $state > 0 ? $state : null, (int) $order->id_shop);
            }
        } catch (Throwable $e) {
            $this->logError('actionOrderEdited', $e);
        }
    }

    /**
     * Note "merchandise return N was requested" (a customer asks from their account).
     *
     * @param array $params object (OrderReturn)
     */
    public function hookActionObjectOrderReturnAddAfter($params)
    {
        $this->noteReturn($params, 'actionObjectOrderReturnAddAfter');
    }

    /**
     * Note "merchandise return N changed state" (the merchant accepts, receives, denies it).
     *
     * @param array $params object (OrderReturn)
     */
    public function hookActionObjectOrderReturnUpdateAfter($params)
    {
        $this->noteReturn($params, 'actionObjectOrderReturnUpdateAfter');
    }

    private function noteReturn($params, $hook)
    {
        try {
            $return = isset($params['object']) ? $params['object'] : null;
            if (is_object($return) && !empty($return->id) && !empty($return->id_order)) {
                // Queued at the end of the request: PrestaShop adds the return's rows after the
                // return itself, so they are read once they exist.
                $this->pendingReturns[(int) $return->id] = (int) $return->id_order;
                $this->registerShutdown();
            }
        } catch (Throwable $e) {
            $this->logError($hook, $e);
        }
    }

    /**
     * Store one order_return.changed event per return noted in this request, with its rows.
     */
    private function queueReturns()
    {
        foreach ($this->pendingReturns as $idReturn => $idOrder) {
            try {
                $return = new OrderReturn($idReturn);
                $idShop = (int) Db::getInstance()->getValue('SELECT `id_shop` FROM `' . _DB_PREFIX_ . 'orders` WHERE `id_order` = ' . (int) $idOrder);
                if ($this->settingsForShop($idShop) === null) {
                    continue;
                }
                $details = [];
                foreach (OrderReturn::getOrdersReturnDetail($idReturn) as $row) {
                    $details[] = ['id_order_detail' => (int) $row['id_order_detail'], 'product_quantity' => (int) $row['product_quantity']];
                }
                $now = time();
                $eventId = WmsCallbackPayload::newEventId();
                $payload = WmsCallbackPayload::buildReturn($eventId, $idOrder, $idReturn, null, (int) $return->state, $details, $now, max(1, $idShop));
                $this->pending[] = $this->store()->add($eventId, WmsCallbackPayload::EVENT_RETURN_CHANGED, $idOrder, max(1, $idShop), WmsCallbackPayload::encode($payload), $now);
            } catch (Throwable $e) {
                $this->logError('order return ' . (int) $idReturn, $e);
            }
        }
        $this->pendingReturns = [];
    }

    private function registerShutdown()
    {
        if (!$this->shutdownRegistered) {
            register_shutdown_function([$this, 'deliverPending']);
            $this->shutdownRegistered = true;
        }
    }

    /**
     * Deliver the events queued during this request, then a few older due ones (shutdown function).
     */
    public function deliverPending()
    {
        try {
            if ($this->pendingReturns) {
                $this->queueReturns();
            }
            if (!$this->pending) {
                return;
            }
            $this->finishResponse();
            $dispatcher = $this->dispatcher();
            $queue = $this->store();
            $allSent = true;
            foreach ($this->pending as $id) {
                $row = $queue->find($id);
                if ($row !== null && !$dispatcher->deliver($row)) {
                    // The warehouse is down or slow: leave the other events to the cron rather
                    // than spend one more timeout on each of them.
                    $allSent = false;
                    break;
                }
            }
            $this->pending = [];
            // Work through the backlog only when the warehouse answers: a down warehouse would
            // otherwise cost every request one timeout per old event.
            if ($allSent) {
                $dispatcher->deliverDue(self::BACKLOG_PER_REQUEST, time() + self::DEFAULT_TIMEOUT_S * 2);
            }
        } catch (Throwable $e) {
            $this->logError('delivery', $e);
        }
    }

    /**
     * Deliver due events for the cron controller; return counts for its JSON answer.
     *
     * @param int $limit
     *
     * @return array
     */
    public function runCron($limit)
    {
        $queue = new WmsCallbackQueue();
        $counts = $this->dispatcher()->deliverDue($limit, time() + self::CRON_BUDGET_S);
        $counts['purged'] = $queue->purgeSent(time() - self::KEEP_SENT_DAYS * 86400);
        $counts['queue'] = $queue->counts();

        return $counts;
    }

    /**
     * Return the delivery settings of a shop, or null when the module is not configured for it.
     *
     * @param int $idShop
     *
     * @return array|null
     */
    public function settingsForShop($idShop)
    {
        $idShop = (int) $idShop > 0 ? (int) $idShop : null;
        $idGroup = $idShop !== null ? (int) Shop::getGroupFromShop($idShop) : null;
        $url = trim((string) Configuration::get(self::CONFIG_URL, null, $idGroup, $idShop));
        $secret = (string) Configuration::get(self::CONFIG_SECRET, null, $idGroup, $idShop);
        if (WmsCallbackSender::validateUrl($url) !== null || strlen($secret) < WmsCallbackSigner::MIN_SECRET_LENGTH) {
            return null;
        }
        $timeout = (float) Configuration::get(self::CONFIG_TIMEOUT, null, $idGroup, $idShop);
        if ($timeout < self::MIN_TIMEOUT_S || $timeout > self::MAX_TIMEOUT_S) {
            $timeout = self::DEFAULT_TIMEOUT_S;
        }

        return ['url' => $url, 'secrets' => [$secret], 'timeout_ms' => (int) round($timeout * 1000)];
    }

    public function getContent()
    {
        $output = '';
        // Installed before the relay point resource or the returns existed: opening this page
        // adds their hooks.
        foreach (['addWebserviceResources', 'actionObjectOrderReturnAddAfter',
                  'actionObjectOrderReturnUpdateAfter'] as $hook) {
            if (!$this->isRegisteredInHook($hook)) {
                $this->registerHook($hook);
            }
        }
        if (Tools::isSubmit('submitWmscallback')) {
            $output .= $this->saveSettings();
        } elseif (Tools::isSubmit('submitWmscallbackNewSecret')) {
            Configuration::updateValue(self::CONFIG_SECRET, WmsCallbackSigner::generateSecret());
            $output .= $this->displayConfirmation($this->l('New secret generated. Copy it into WMS_PRESTASHOP_CALLBACK_SECRET on the warehouse now: until then the warehouse refuses the callbacks.'));
        } elseif (Tools::isSubmit('submitWmscallbackRetry')) {
            $count = (new WmsCallbackQueue())->requeueAbandoned(time());
            $output .= $this->displayConfirmation(sprintf($this->l('%d failed event(s) queued again.'), $count));
        }

        return $output . $this->renderSettingsForm() . $this->renderEvents();
    }

    private function saveSettings()
    {
        $url = trim((string) Tools::getValue(self::CONFIG_URL));
        $secret = trim((string) Tools::getValue(self::CONFIG_SECRET));
        $timeout = str_replace(',', '.', trim((string) Tools::getValue(self::CONFIG_TIMEOUT)));
        $flushFirst = (int) (bool) Tools::getValue(self::CONFIG_FLUSH_FIRST);

        $errors = [];
        $urlError = WmsCallbackSender::validateUrl($url);
        if ($urlError !== null) {
            $errors[] = $urlError;
        }
        // Printable ASCII only: a secret that survives copy and paste between two back offices.
        if (!preg_match('/^[\x21-\x7e]{32,255}$/', $secret)) {
            $errors[] = $this->l('The secret must be 32 to 255 printable characters without spaces. Use "Generate a new secret" if in doubt.');
        }
        if (!is_numeric($timeout) || (float) $timeout < self::MIN_TIMEOUT_S || (float) $timeout > self::MAX_TIMEOUT_S) {
            $errors[] = sprintf($this->l('The timeout must be a number of seconds between %s and %s.'), self::MIN_TIMEOUT_S, self::MAX_TIMEOUT_S);
        }
        if ($errors) {
            return $this->displayError($errors);
        }

        Configuration::updateValue(self::CONFIG_URL, $url);
        Configuration::updateValue(self::CONFIG_SECRET, $secret);
        Configuration::updateValue(self::CONFIG_TIMEOUT, (string) (float) $timeout);
        Configuration::updateValue(self::CONFIG_FLUSH_FIRST, $flushFirst);
        $notice = stripos($url, 'http://') === 0
            ? ' ' . $this->l('The URL uses http://: the callbacks are signed but not encrypted. Prefer https:// outside a private network.')
            : '';

        return $this->displayConfirmation($this->l('Settings saved.') . $notice);
    }

    private function renderSettingsForm()
    {
        $form = [
            'form' => [
                'legend' => ['title' => $this->l('Warehouse callbacks'), 'icon' => 'icon-cogs'],
                'input' => [
                    [
                        'type' => 'text',
                        'name' => self::CONFIG_URL,
                        'label' => $this->l('Callback URL'),
                        'desc' => $this->l('The warehouse endpoint that receives the callbacks, e.g. https://wms.example.com/webhooks/prestashop/default'),
                        'required' => true,
                    ],
                    [
                        'type' => 'text',
                        'name' => self::CONFIG_SECRET,
                        'label' => $this->l('Shared secret'),
                        'desc' => $this->l('Signs every callback. Copy it into the warehouse setting WMS_PRESTASHOP_CALLBACK_SECRET.'),
                        'required' => true,
                    ],
                    [
                        'type' => 'text',
                        'name' => self::CONFIG_TIMEOUT,
                        'label' => $this->l('Timeout'),
                        'suffix' => $this->l('seconds'),
                        'class' => 'fixed-width-sm',
                        'desc' => $this->l('How long one delivery attempt may take before it is retried later.'),
                    ],
                    [
                        'type' => 'switch',
                        'name' => self::CONFIG_FLUSH_FIRST,
                        'label' => $this->l('Send after the page is delivered'),
                        'is_bool' => true,
                        'values' => [
                            ['id' => 'active_on', 'value' => 1, 'label' => $this->l('Yes')],
                            ['id' => 'active_off', 'value' => 0, 'label' => $this->l('No')],
                        ],
                        'desc' => $this->l('On PHP-FPM, finish the customer\'s page before calling the warehouse. Turn off only if another module misbehaves at the end of requests.'),
                    ],
                ],
                'submit' => ['title' => $this->l('Save')],
                'buttons' => [
                    [
                        'type' => 'submit',
                        'name' => 'submitWmscallbackNewSecret',
                        'title' => $this->l('Generate a new secret'),
                        'icon' => 'process-icon-refresh',
                        'class' => 'pull-right',
                    ],
                ],
            ],
        ];

        $helper = new HelperForm();
        $helper->show_toolbar = false;
        $helper->module = $this;
        $helper->table = $this->table;
        $helper->identifier = $this->identifier;
        $helper->default_form_language = (int) $this->context->language->id;
        $helper->allow_employee_form_lang = (int) Configuration::get('PS_BO_ALLOW_EMPLOYEE_FORM_LANG');
        $helper->submit_action = 'submitWmscallback';
        $helper->currentIndex = $this->context->link->getAdminLink('AdminModules', false)
            . '&configure=' . $this->name . '&tab_module=' . $this->tab . '&module_name=' . $this->name;
        $helper->token = Tools::getAdminTokenLite('AdminModules');
        $helper->tpl_vars = [
            'fields_value' => [
                self::CONFIG_URL => Tools::getValue(self::CONFIG_URL, Configuration::get(self::CONFIG_URL)),
                self::CONFIG_SECRET => Tools::getValue(self::CONFIG_SECRET, Configuration::get(self::CONFIG_SECRET)),
                self::CONFIG_TIMEOUT => Tools::getValue(self::CONFIG_TIMEOUT, Configuration::get(self::CONFIG_TIMEOUT)),
                self::CONFIG_FLUSH_FIRST => Tools::getValue(self::CONFIG_FLUSH_FIRST, Configuration::get(self::CONFIG_FLUSH_FIRST)),
            ],
            'languages' => $this->context->controller->getLanguages(),
            'id_language' => (int) $this->context->language->id,
        ];

        return $helper->generateForm([$form]);
    }

    private function renderEvents()
    {
        $queue = new WmsCallbackQueue();
        $rows = [];
        foreach ($queue->recent(25) as $row) {
            if ($row['sent_at'] !== null) {
                $status = 'sent';
            } elseif ($row['next_attempt_at'] === null) {
                $status = 'abandoned';
            } else {
                $status = 'pending';
            }
            $rows[] = [
                'created_at' => gmdate('Y-m-d H:i:s', $row['created_at']) . ' UTC',
                'event' => $row['event'],
                'id_order' => $row['id_order'],
                'attempts' => $row['attempts'],
                'status' => $status,
                'next_attempt_at' => $row['next_attempt_at'] !== null ? gmdate('Y-m-d H:i:s', $row['next_attempt_at']) . ' UTC' : '',
                'last_error' => (string) $row['last_error'],
            ];
        }
        $this->context->smarty->assign([
            'wmscallback_rows' => $rows,
            'wmscallback_counts' => $queue->counts(),
            'wmscallback_max_attempts' => WmsCallbackRetryPolicy::MAX_ATTEMPTS,
            'wmscallback_cron_url' => $this->context->link->getModuleLink($this->name, 'cron', ['token' => Configuration::getGlobalValue(self::CONFIG_CRON_TOKEN)]),
            'wmscallback_action' => $this->context->link->getAdminLink('AdminModules', true)
                . '&configure=' . $this->name . '&tab_module=' . $this->tab . '&module_name=' . $this->name,
        ]);

        return $this->display(__FILE__, 'views/templates/admin/events.tpl');
    }

    /**
     * Store one event and arrange its delivery at the end of the request.
     */
    private function queueEvent($event, $idOrder, $oldState, $newState, $idShop)
    {
        $key = $event . ':' . $idOrder;
        if ($event === WmsCallbackPayload::EVENT_EDITED && isset($this->queuedKeys[$key])) {
            return;
        }
        if (!$idShop) {
            $idShop = (int) Db::getInstance()->getValue('SELECT `id_shop` FROM `' . _DB_PREFIX_ . 'orders` WHERE `id_order` = ' . (int) $idOrder);
        }
        if ($this->settingsForShop($idShop) === null) {
            return; // not configured yet: nothing to send, and polling covers the shop
        }
        $now = time();
        $eventId = WmsCallbackPayload::newEventId();
        $payload = WmsCallbackPayload::build($eventId, $event, $idOrder, $oldState, $newState, $now, max(1, (int) $idShop));
        $this->pending[] = $this->store()->add($eventId, $event, $idOrder, max(1, (int) $idShop), WmsCallbackPayload::encode($payload), $now);
        $this->queuedKeys[$key] = true;
        if (!$this->shutdownRegistered) {
            register_shutdown_function([$this, 'deliverPending']);
            $this->shutdownRegistered = true;
        }
    }

    private function dispatcher()
    {
        return new WmsCallbackDispatcher($this->store(), [$this, 'settingsForShop']);
    }

    /**
     * Return the event queue; a seam for the command-line tests, which run on a memory store.
     *
     * @return WmsCallbackStore
     */
    protected function store()
    {
        return new WmsCallbackQueue();
    }

    /**
     * Hand the page to the customer before talking to the warehouse, where the SAPI can.
     */
    private function finishResponse()
    {
        if (PHP_SAPI === 'cli' || !Configuration::get(self::CONFIG_FLUSH_FIRST)) {
            return;
        }
        ignore_user_abort(true);
        if (function_exists('fastcgi_finish_request')) {
            fastcgi_finish_request();
        } elseif (function_exists('litespeed_finish_request')) {
            litespeed_finish_request();
        }
    }

    private function runSqlFile($name)
    {
        $queries = include __DIR__ . '/sql/' . $name . '.php';
        foreach ($queries as $query) {
            if (!Db::getInstance()->execute($query)) {
                $this->_errors[] = sprintf($this->l('Database error: %s'), Db::getInstance()->getMsgError());

                return false;
            }
        }

        return true;
    }

    private function logError($where, Throwable $e)
    {
        try {
            PrestaShopLogger::addLog(
                sprintf('wmscallback (%s): %s: %s', $where, get_class($e), $e->getMessage()),
                3,
                null,
                'Module',
                (int) $this->id,
                true
            );
        } catch (Throwable $ignored) {
            // Logging must not be the thing that breaks a checkout either.
        }
    }

    /**
     * @param mixed $state an OrderState, or null/false when PrestaShop has none
     *
     * @return int|null
     */
    private static function stateId($state)
    {
        if (is_object($state) && isset($state->id) && (int) $state->id > 0) {
            return (int) $state->id;
        }

        return null;
    }
}
