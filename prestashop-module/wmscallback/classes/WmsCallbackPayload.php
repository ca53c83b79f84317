<?php
/**
 * Build the JSON body of a callback, byte for byte as docs/callback-signature.md specifies.
 *
 * Plain PHP, no PrestaShop class: the tests require this file from the command line.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

class WmsCallbackPayload
{
    const EVENT_STATUS_CHANGED = 'order.status_changed';
    const EVENT_EDITED = 'order.edited';
    const EVENT_RETURN_CHANGED = 'order_return.changed';
    const MAX_RETURN_DETAILS = 200;

    /**
     * Return the payload as an ordered array; throw InvalidArgumentException on bad input.
     *
     * @param string $eventId lowercase UUID, see newEventId()
     * @param string $event one of the EVENT_* constants
     * @param int $idOrder
     * @param int|null $oldState null when unknown
     * @param int|null $newState never null for order.status_changed
     * @param int $occurredAt unix seconds when the event happened in the shop
     * @param int $shopId
     *
     * @return array
     */
    public static function build($eventId, $event, $idOrder, $oldState, $newState, $occurredAt, $shopId)
    {
        if (!is_string($eventId) || !preg_match('/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/', $eventId)) {
            throw new InvalidArgumentException('The event id must be a lowercase UUID.');
        }
        if ($event !== self::EVENT_STATUS_CHANGED && $event !== self::EVENT_EDITED) {
            throw new InvalidArgumentException(sprintf('Unknown callback event "%s".', (string) $event));
        }
        if ($event === self::EVENT_STATUS_CHANGED && $newState === null) {
            throw new InvalidArgumentException('An order.status_changed event needs the new state.');
        }
        if (!is_int($occurredAt) || $occurredAt < 0) {
            throw new InvalidArgumentException('The event time must be unix seconds as an integer.');
        }

        // Key order matters: the body is signed and the spec's worked example fixes it.
        return [
            'event_id' => $eventId,
            'event' => $event,
            'id_order' => self::positiveId($idOrder, 'id_order', false),
            'old_state' => self::positiveId($oldState, 'old_state', true),
            'new_state' => self::positiveId($newState, 'new_state', true),
            'date' => self::formatDate($occurredAt),
            'shop_id' => self::positiveId($shopId, 'shop_id', false),
        ];
    }

    /**
     * Return the payload of "merchandise return N was requested or changed state".
     *
     * The order fields come first, in build()'s order, then id_order_return and the return's
     * rows, so a warehouse whose shop webservice does not expose order_returns needs nothing else.
     *
     * @param string $eventId lowercase UUID
     * @param int $idOrder
     * @param int $idOrderReturn
     * @param int|null $oldState the return's previous state (order_return_state), null when unknown
     * @param int $newState the return's state now
     * @param array $details rows of ['id_order_detail' => int, 'product_quantity' => int]
     * @param int $occurredAt unix seconds
     * @param int $shopId
     *
     * @return array
     */
    public static function buildReturn($eventId, $idOrder, $idOrderReturn, $oldState, $newState, array $details, $occurredAt, $shopId)
    {
        if ($newState === null) {
            throw new InvalidArgumentException('An order_return.changed event needs the return state.');
        }
        $payload = self::build($eventId, self::EVENT_STATUS_CHANGED, $idOrder, $oldState, $newState, $occurredAt, $shopId);
        $payload['event'] = self::EVENT_RETURN_CHANGED;
        $payload['id_order_return'] = self::positiveId($idOrderReturn, 'id_order_return', false);
        if (count($details) > self::MAX_RETURN_DETAILS) {
            throw new InvalidArgumentException(sprintf('A return may carry at most %d rows.', self::MAX_RETURN_DETAILS));
        }
        $rows = [];
        foreach ($details as $detail) {
            if (!is_array($detail) || !isset($detail['id_order_detail'], $detail['product_quantity'])) {
                throw new InvalidArgumentException('Each return row needs id_order_detail and product_quantity.');
            }
            $rows[] = [
                'id_order_detail' => self::positiveId($detail['id_order_detail'], 'id_order_detail', false),
                'product_quantity' => self::positiveId($detail['product_quantity'], 'product_quantity', false),
            ];
        }
        $payload['details'] = $rows;

        return $payload;
    }

    /**
     * Return the compact JSON text that is stored, signed and sent.
     *
     * @param array $payload from build()
     *
     * @return string
     */
    public static function encode(array $payload)
    {
        $json = json_encode($payload, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
        if ($json === false) {
            throw new InvalidArgumentException('The callback payload cannot be encoded as JSON: ' . json_last_error_msg());
        }

        return $json;
    }

    /**
     * Return a random lowercase UUID version 4.
     *
     * @return string
     */
    public static function newEventId()
    {
        $bytes = random_bytes(16);
        $bytes[6] = chr((ord($bytes[6]) & 0x0f) | 0x40);
        $bytes[8] = chr((ord($bytes[8]) & 0x3f) | 0x80);
        $hex = bin2hex($bytes);

        return substr($hex, 0, 8) . '-' . substr($hex, 8, 4) . '-' . substr($hex, 12, 4) . '-'
            . substr($hex, 16, 4) . '-' . substr($hex, 20, 12);
    }

    /**
     * Return unix seconds as ISO 8601 UTC with a Z, e.g. 2025-12-31T23:59:58Z.
     *
     * @param int $unix
     *
     * @return string
     */
    public static function formatDate($unix)
    {
        return gmdate('Y-m-d\TH:i:s\Z', (int) $unix);
    }

    /**
     * @param mixed $value
     * @param string $name
     * @param bool $nullable
     *
     * @return int|null
     */
    private static function positiveId($value, $name, $nullable)
    {
        if ($value === null && $nullable) {
            return null;
        }
        // PrestaShop hands ids around as numeric strings as often as ints.
        if (is_string($value) && ctype_digit($value)) {
            $value = (int) $value;
        }
        if (!is_int($value) || $value <= 0) {
            throw new InvalidArgumentException(sprintf('%s must be a positive integer%s.', $name, $nullable ? ' or null' : ''));
        }

        return $value;
    }
}
