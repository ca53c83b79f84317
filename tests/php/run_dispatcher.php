<?php
/**
 * Queue one event in a MemoryStore and run the dispatcher at given clock ticks against a real URL.
 *
 * Argument (JSON): url, secret, timeout_ms, transport ("curl" | "stream" | null), created_at,
 * ticks (list of unix seconds), id_order. Prints {"event_id", "body", "snapshots": [...]}, one
 * snapshot of the row (plus the deliverDue() counts and elapsed ms) after each tick.
 */
require __DIR__ . '/bootstrap.php';

$args = read_arguments($argv);
$clock = (int) $args['created_at'];
$store = new MemoryStore();
$eventId = WmsCallbackPayload::newEventId();
$body = WmsCallbackPayload::encode(WmsCallbackPayload::build(
    $eventId, WmsCallbackPayload::EVENT_STATUS_CHANGED, $args['id_order'], 2, 4, $clock, 1
));
$id = $store->add($eventId, WmsCallbackPayload::EVENT_STATUS_CHANGED, $args['id_order'], 1, $body, $clock);

$settings = function ($idShop) use ($args) {
    return ['url' => $args['url'], 'secrets' => (array) $args['secret'], 'timeout_ms' => $args['timeout_ms']];
};
$transport = function ($url, array $headers, $body, $timeoutMs) use ($args) {
    return WmsCallbackSender::post($url, $headers, $body, $timeoutMs, $args['transport']);
};
$dispatcher = new WmsCallbackDispatcher($store, $settings, $transport, function () use (&$clock) {
    return $clock;
});

$snapshots = [];
foreach ($args['ticks'] as $tick) {
    $clock = (int) $tick;
    $started = microtime(true);
    $counts = $dispatcher->deliverDue(10);
    $snapshots[] = $store->find($id) + [
        'tick' => $clock,
        'counts' => $counts,
        'elapsed_ms' => (int) round((microtime(true) - $started) * 1000),
    ];
}
echo json_encode(['event_id' => $eventId, 'body' => $body, 'snapshots' => $snapshots], JSON_UNESCAPED_SLASHES), "\n";
