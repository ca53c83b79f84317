<?php
/**
 * Find the relay point (pick-up point) the customer chose, in the tables of the common relay
 * modules (docs/carriers.md of the WMS lists them):
 *   - Colissimo (official module): colissimo_cart_pickup_point -> colissimo_pickup_point.colissimo_id
 *   - Mondial Relay (module v3): mondialrelay_selected_relay.selected_relay_num
 *   - Sendcloud: sendcloud_service_points.details (JSON), its "id"
 *
 * Plain PHP, no PrestaShop class: the query runs through a callable (the shop passes
 * Db::getInstance()->executeS) so the tests can answer from the command line.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

class WmsRelayPoint
{
    /**
     * Return the relay point chosen for a cart, or null when no known module has one.
     *
     * @param int $idCart
     * @param callable $rows function (string $sql): array of rows; may throw when a table is absent
     * @param string $prefix the tables' prefix (_DB_PREFIX_)
     *
     * @return array|null module, relay_point_id, country, product_code, mobile_phone
     */
    public static function forCart($idCart, callable $rows, $prefix)
    {
        $idCart = (int) $idCart;
        if ($idCart <= 0) {
            return null;
        }
        $found = self::first($rows, 'SELECT pp.`colissimo_id`, pp.`iso_country`, pp.`product_code`, cpp.`mobile_phone`'
            . ' FROM `' . $prefix . 'colissimo_cart_pickup_point` cpp'
            . ' JOIN `' . $prefix . 'colissimo_pickup_point` pp ON pp.`id_colissimo_pickup_point` = cpp.`id_colissimo_pickup_point`'
            . ' WHERE cpp.`id_cart` = ' . $idCart);
        if ($found && trim((string) $found['colissimo_id']) !== '') {
            return self::result('colissimo', $found['colissimo_id'], $found['iso_country'], $found['product_code'], $found['mobile_phone']);
        }
        $found = self::first($rows, 'SELECT `selected_relay_num`, `selected_relay_country_iso`'
            . ' FROM `' . $prefix . 'mondialrelay_selected_relay`'
            . ' WHERE `id_cart` = ' . $idCart . ' ORDER BY `id_mondialrelay_selected_relay` DESC LIMIT 1');
        if ($found && trim((string) $found['selected_relay_num']) !== '') {
            return self::result('mondialrelay', $found['selected_relay_num'], $found['selected_relay_country_iso'], null, null);
        }
        $found = self::first($rows, 'SELECT `details` FROM `' . $prefix . 'sendcloud_service_points`'
            . ' WHERE `id_cart` = ' . $idCart . ' ORDER BY `id_service_point` DESC LIMIT 1');
        if ($found) {
            $details = json_decode((string) $found['details'], true);
            if (is_array($details) && isset($details['id']) && (string) $details['id'] !== '') {
                $country = isset($details['country']) ? $details['country'] : null;

                return self::result('sendcloud', $details['id'], $country, null, null);
            }
        }

        return null;
    }

    private static function first(callable $rows, $sql)
    {
        try {
            $result = call_user_func($rows, $sql);
        } catch (Exception $e) {
            return null; // the module is not installed: its table does not exist
        }

        return is_array($result) && isset($result[0]) && is_array($result[0]) ? $result[0] : null;
    }

    private static function result($module, $id, $country, $productCode, $mobile)
    {
        return [
            'module' => $module,
            'relay_point_id' => trim((string) $id),
            'country' => $country === null ? null : strtoupper(trim((string) $country)),
            'product_code' => $productCode === null ? null : trim((string) $productCode),
            'mobile_phone' => $mobile === null ? null : trim((string) $mobile),
        ];
    }
}
