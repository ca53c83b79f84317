<?php
/**
 * Storage of queued callback events, so that delivery logic can run on a fake store in tests.
 *
 * Rows are arrays with the keys id, event_id, event, id_order, id_shop, payload, attempts,
 * next_attempt_at, last_error, created_at, sent_at; times are unix seconds or null.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

interface WmsCallbackStore
{
    /**
     * Insert a new event, due at once; return its row id.
     *
     * @return int
     */
    public function add($eventId, $event, $idOrder, $idShop, $payload, $createdAt);

    /**
     * Return one row, or null.
     *
     * @return array|null
     */
    public function find($id);

    /**
     * Return up to $limit unsent rows whose next attempt is due at $now, oldest due first.
     *
     * @return array[]
     */
    public function due($now, $limit);

    /**
     * Take a row for one attempt: count the attempt and push next_attempt_at to $leaseUntil,
     * only if nobody changed it since it was read with $attempts attempts. Return whether this
     * caller won the row.
     *
     * @return bool
     */
    public function claim($id, $attempts, $leaseUntil);

    /** Record a successful delivery. */
    public function markSent($id, $sentAt);

    /** Record a failed attempt; a null $nextAttemptAt means "give up, keep the row". */
    public function markFailed($id, $error, $nextAttemptAt);
}
