<?php
/**
 * Fire the module's hooks on PrestaShop stubs and a memory store, then deliver as at shutdown.
 *
 * Argument (JSON): url, secret, configured (bool), broken_store (bool). Prints the stored rows
 * and the PrestaShop log lines as JSON.
 */
require __DIR__ . '/bootstrap.php';
require __DIR__ . '/ps_stubs.php';
require __DIR__ . '/../../prestashop-module/wmscallback/wmscallback.php';

class BrokenStore extends MemoryStore
{
    public function add($eventId, $event, $idOrder, $idShop, $payload, $createdAt)
    {
        throw new RuntimeException('MySQL server has gone away');
    }
}

class TestableWmscallback extends Wmscallback
{
    public $memory;

    protected function store()
    {
        return $this->memory;
    }
}

$args = read_arguments($argv);
if (!empty($args['configured'])) {
    Configuration::$values = [
        Wmscallback::CONFIG_URL => $args['url'],
        Wmscallback::CONFIG_SECRET => $args['secret'],
        Wmscallback::CONFIG_TIMEOUT => '2',
    ];
}
Db::$orderShops = [101 => 1, 102 => 3];

$module = new TestableWmscallback();
$module->memory = empty($args['broken_store']) ? new MemoryStore() : new BrokenStore();

// A new order paid by a payment module: no previous state.
$module->hookActionOrderStatusPostUpdate(['newOrderStatus' => new OrderState(2), 'oldOrderStatus' => null, 'id_order' => 101]);
// The warehouse ships it; PrestaShop < 1.7.7 does not pass oldOrderStatus at all.
$module->hookActionOrderStatusPostUpdate(['newOrderStatus' => new OrderState(4), 'id_order' => 102]);
$module->hookActionOrderStatusPostUpdate(['newOrderStatus' => new OrderState(6), 'oldOrderStatus' => new OrderState(2), 'id_order' => 101]);
// One back-office save edits three lines: PrestaShop fires the hook three times.
$order = new Order(102, 4, 3);
$module->hookActionOrderEdited(['order' => $order]);
$module->hookActionOrderEdited(['order' => $order]);
$module->hookActionOrderEdited(['order' => $order]);
// Junk parameters must not break anything.
$module->hookActionOrderStatusPostUpdate([]);
$module->hookActionOrderEdited(['order' => null]);

$module->deliverPending();

echo json_encode(['rows' => array_values($module->memory->rows), 'log' => PrestaShopLogger::$messages], JSON_UNESCAPED_SLASHES), "\n";
