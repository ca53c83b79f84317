<?php
/**
 * Fire the module's merchandise-return hooks on PrestaShop stubs, then deliver as at shutdown.
 *
 * Argument (JSON): url, secret. A return is created with no rows yet (as PrestaShop does: the
 * rows are added after the return), its rows are added, then the merchant changes its state.
 * Prints the stored rows and the log lines as JSON.
 */
require __DIR__ . '/bootstrap.php';
require __DIR__ . '/ps_stubs.php';
require __DIR__ . '/../../prestashop-module/wmscallback/wmscallback.php';

class TestableWmscallback extends Wmscallback
{
    public $memory;

    protected function store()
    {
        return $this->memory;
    }
}

$args = read_arguments($argv);
Configuration::$values = [
    Wmscallback::CONFIG_URL => $args['url'],
    Wmscallback::CONFIG_SECRET => $args['secret'],
    Wmscallback::CONFIG_TIMEOUT => '2',
];
Db::$orderShops = [101 => 1];

$module = new TestableWmscallback();
$module->memory = new MemoryStore();

// The customer's request: the return first, its rows after it.
OrderReturn::$rows[7] = ['id_order' => 101, 'state' => 1, 'details' => []];
$return = new OrderReturn(7);
$module->hookActionObjectOrderReturnAddAfter(['object' => $return]);
OrderReturn::$rows[7]['details'] = [['id_order_detail' => '101001', 'product_quantity' => '2'], ['id_order_detail' => 101002, 'product_quantity' => 1]];
// Saved again in the same request (PrestaShop may): still one event.
$module->hookActionObjectOrderReturnUpdateAfter(['object' => $return]);
// Junk must not break anything.
$module->hookActionObjectOrderReturnUpdateAfter([]);
$module->hookActionObjectOrderReturnAddAfter(['object' => null]);
$module->deliverPending();

// A later request: the merchant sets it to "waiting for package".
OrderReturn::$rows[7]['state'] = 2;
$later = new TestableWmscallback();
$later->memory = $module->memory;
$later->hookActionObjectOrderReturnUpdateAfter(['object' => new OrderReturn(7)]);
$later->deliverPending();

echo json_encode(['rows' => array_values($module->memory->rows), 'log' => PrestaShopLogger::$messages], JSON_UNESCAPED_SLASHES), "\n";
