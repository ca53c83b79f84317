<?php
/**
 * An in-memory WmsCallbackStore with the same semantics as the database queue.
 */
class MemoryStore implements WmsCallbackStore
{
    /** @var array<int, array> */
    public $rows = [];

    public function add($eventId, $event, $idOrder, $idShop, $payload, $createdAt)
    {
        $id = count($this->rows) + 1;
        $this->rows[$id] = [
            'id' => $id, 'event_id' => $eventId, 'event' => $event, 'id_order' => $idOrder,
            'id_shop' => $idShop, 'payload' => $payload, 'attempts' => 0,
            'next_attempt_at' => $createdAt, 'last_error' => null, 'created_at' => $createdAt, 'sent_at' => null,
        ];

        return $id;
    }

    public function find($id)
    {
        return isset($this->rows[$id]) ? $this->rows[$id] : null;
    }

    public function due($now, $limit)
    {
        $due = array_filter($this->rows, function ($row) use ($now) {
            return $row['sent_at'] === null && $row['next_attempt_at'] !== null && $row['next_attempt_at'] <= $now;
        });
        usort($due, function ($a, $b) {
            return [$a['next_attempt_at'], $a['id']] <=> [$b['next_attempt_at'], $b['id']];
        });

        return array_slice($due, 0, $limit);
    }

    public function claim($id, $attempts, $leaseUntil)
    {
        $row = &$this->rows[$id];
        if ($row['attempts'] !== $attempts || $row['sent_at'] !== null) {
            return false;
        }
        $row['attempts'] = $attempts + 1;
        $row['next_attempt_at'] = $leaseUntil;

        return true;
    }

    public function markSent($id, $sentAt)
    {
        $this->rows[$id]['sent_at'] = $sentAt;
        $this->rows[$id]['next_attempt_at'] = null;
        $this->rows[$id]['last_error'] = null;
    }

    public function markFailed($id, $error, $nextAttemptAt)
    {
        $this->rows[$id]['last_error'] = $error;
        $this->rows[$id]['next_attempt_at'] = $nextAttemptAt;
    }
}
