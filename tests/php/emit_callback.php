<?php
/**
 * Print the headers and body the module would send, as JSON {"headers": {...}, "body": "..."}.
 *
 * Argument (JSON): secret (string or list), timestamp, event, id_order, old_state, new_state,
 * occurred_at (unix seconds), shop_id, and optionally event_id (generated when absent); for
 * order_return.changed also id_order_return and details [{id_order_detail, product_quantity}].
 * Exits 3 with the module's message on stderr when the module refuses the input.
 */
require __DIR__ . '/bootstrap.php';

$args = read_arguments($argv);
try {
    $eventId = isset($args['event_id']) ? $args['event_id'] : WmsCallbackPayload::newEventId();
    if ($args['event'] === WmsCallbackPayload::EVENT_RETURN_CHANGED) {
        $payload = WmsCallbackPayload::buildReturn(
            $eventId,
            $args['id_order'],
            $args['id_order_return'],
            $args['old_state'],
            $args['new_state'],
            $args['details'],
            $args['occurred_at'],
            $args['shop_id']
        );
    } else {
        $payload = WmsCallbackPayload::build(
            $eventId,
            $args['event'],
            $args['id_order'],
            $args['old_state'],
            $args['new_state'],
            $args['occurred_at'],
            $args['shop_id']
        );
    }
    $body = WmsCallbackPayload::encode($payload);
    $headers = WmsCallbackSigner::headers($eventId, $args['secret'], $args['timestamp'], $body);
} catch (InvalidArgumentException $e) {
    fwrite(STDERR, $e->getMessage() . "\n");
    exit(3);
}
echo json_encode(['headers' => $headers, 'body' => $body], JSON_UNESCAPED_SLASHES), "\n";
