<?php
/**
 * Ask WmsRelayPoint for the relay point of carts 1..5 against tables given as JSON
 * (argument: {"tables": {"colissimo": [...], "mondialrelay": [...], "sendcloud": [...]},
 * "missing": ["colissimo", ...]}); prints {"<id_cart>": result|null} and the queries run.
 */
require __DIR__ . '/bootstrap.php';
require __DIR__ . '/../../prestashop-module/wmscallback/classes/WmsRelayPoint.php';

$args = read_arguments($argv);
$tables = isset($args['tables']) ? $args['tables'] : [];
$missing = isset($args['missing']) ? $args['missing'] : [];
$queries = [];

$rows = function ($sql) use ($tables, $missing, &$queries) {
    $queries[] = $sql;
    foreach (['colissimo' => 'ps_colissimo_cart_pickup_point', 'mondialrelay' => 'ps_mondialrelay_selected_relay',
              'sendcloud' => 'ps_sendcloud_service_points'] as $module => $table) {
        if (strpos($sql, '`' . $table . '`') === false) {
            continue;
        }
        if (in_array($module, $missing, true)) {
            throw new PrestaShopDatabaseException("Table '" . $table . "' doesn't exist");
        }
        if (!preg_match('/`id_cart` = (\d+)/', $sql, $match)) {
            throw new LogicException('no cart in ' . $sql);
        }
        $found = [];
        foreach (isset($tables[$module]) ? $tables[$module] : [] as $row) {
            if ((int) $row['id_cart'] === (int) $match[1]) {
                $found[] = $row;
            }
        }

        return $found;
    }
    throw new LogicException('unexpected query: ' . $sql);
};

class PrestaShopDatabaseException extends Exception
{
}

$out = [];
foreach ([0, 1, 2, 3, 4, 5] as $idCart) {
    $out['cart' . $idCart] = WmsRelayPoint::forCart($idCart, $rows, 'ps_');
}
echo json_encode(['results' => $out, 'queries' => $queries], JSON_UNESCAPED_SLASHES), "\n";
