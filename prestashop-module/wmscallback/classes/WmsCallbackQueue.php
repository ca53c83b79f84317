<?php
/**
 * The PrestaShop database table PREFIX_wmscallback_event, as a WmsCallbackStore.
 *
 * Times are stored as UTC DATETIME written by PHP (gmdate), never MySQL's NOW(), whose time
 * zone depends on the server.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

class WmsCallbackQueue implements WmsCallbackStore
{
    const TABLE = 'wmscallback_event';

    public function add($eventId, $event, $idOrder, $idShop, $payload, $createdAt)
    {
        $db = Db::getInstance();
        $inserted = $db->insert(self::TABLE, [
            'event_id' => pSQL($eventId),
            'event' => pSQL($event),
            'id_order' => (int) $idOrder,
            'id_shop' => (int) $idShop,
            // pSQL() with $html_ok keeps the JSON intact; it only escapes for SQL.
            'payload' => pSQL($payload, true),
            'attempts' => 0,
            'next_attempt_at' => self::toSql($createdAt),
            'created_at' => self::toSql($createdAt),
        ]);
        if (!$inserted) {
            throw new RuntimeException('Could not queue the callback event: ' . $db->getMsgError());
        }

        return (int) $db->Insert_ID();
    }

    public function find($id)
    {
        $row = Db::getInstance()->getRow('SELECT * FROM `' . self::table() . '` WHERE `id` = ' . (int) $id);

        return $row ? self::fromSql($row) : null;
    }

    public function due($now, $limit)
    {
        $rows = Db::getInstance()->executeS(
            'SELECT * FROM `' . self::table() . '`'
            . ' WHERE `sent_at` IS NULL AND `next_attempt_at` IS NOT NULL'
            . " AND `next_attempt_at` <= '" . self::toSql($now) . "'"
            . ' ORDER BY `next_attempt_at` ASC, `id` ASC LIMIT ' . (int) $limit
        );

        return array_map([__CLASS__, 'fromSql'], is_array($rows) ? $rows : []);
    }

    public function claim($id, $attempts, $leaseUntil)
    {
        $db = Db::getInstance();
        $db->execute(
            'UPDATE `' . self::table() . '` SET `attempts` = `attempts` + 1,'
            . " `next_attempt_at` = '" . self::toSql($leaseUntil) . "'"
            . ' WHERE `id` = ' . (int) $id . ' AND `attempts` = ' . (int) $attempts . ' AND `sent_at` IS NULL'
        );

        return (int) $db->Affected_Rows() === 1;
    }

    public function markSent($id, $sentAt)
    {
        Db::getInstance()->execute(
            'UPDATE `' . self::table() . "` SET `sent_at` = '" . self::toSql($sentAt) . "',"
            . ' `next_attempt_at` = NULL, `last_error` = NULL WHERE `id` = ' . (int) $id
        );
    }

    public function markFailed($id, $error, $nextAttemptAt)
    {
        Db::getInstance()->execute(
            'UPDATE `' . self::table() . '` SET'
            . ' `next_attempt_at` = ' . ($nextAttemptAt === null ? 'NULL' : "'" . self::toSql($nextAttemptAt) . "'")
            . ", `last_error` = '" . pSQL($error) . "'"
            . ' WHERE `id` = ' . (int) $id
        );
    }

    /**
     * Return the latest rows for the configuration page, newest first.
     *
     * @return array[]
     */
    public function recent($limit)
    {
        $rows = Db::getInstance()->executeS(
            'SELECT * FROM `' . self::table() . '` ORDER BY `id` DESC LIMIT ' . (int) $limit
        );

        return array_map([__CLASS__, 'fromSql'], is_array($rows) ? $rows : []);
    }

    /**
     * Return counts of pending, abandoned and sent rows.
     *
     * @return array{pending: int, abandoned: int, sent: int}
     */
    public function counts()
    {
        $row = Db::getInstance()->getRow(
            'SELECT SUM(`sent_at` IS NULL AND `next_attempt_at` IS NOT NULL) AS pending,'
            . ' SUM(`sent_at` IS NULL AND `next_attempt_at` IS NULL) AS abandoned,'
            . ' SUM(`sent_at` IS NOT NULL) AS sent FROM `' . self::table() . '`'
        );

        return [
            'pending' => (int) (isset($row['pending']) ? $row['pending'] : 0),
            'abandoned' => (int) (isset($row['abandoned']) ? $row['abandoned'] : 0),
            'sent' => (int) (isset($row['sent']) ? $row['sent'] : 0),
        ];
    }

    /**
     * Queue every abandoned row again from its first attempt; return how many.
     *
     * @return int
     */
    public function requeueAbandoned($now)
    {
        $db = Db::getInstance();
        $db->execute(
            'UPDATE `' . self::table() . "` SET `attempts` = 0, `next_attempt_at` = '" . self::toSql($now) . "'"
            . ' WHERE `sent_at` IS NULL AND `next_attempt_at` IS NULL'
        );

        return (int) $db->Affected_Rows();
    }

    /**
     * Delete rows delivered before $before; abandoned rows stay for the merchant to see.
     *
     * @return int
     */
    public function purgeSent($before)
    {
        $db = Db::getInstance();
        $db->execute(
            'DELETE FROM `' . self::table() . "` WHERE `sent_at` IS NOT NULL AND `sent_at` < '" . self::toSql($before) . "'"
        );

        return (int) $db->Affected_Rows();
    }

    private static function table()
    {
        return _DB_PREFIX_ . self::TABLE;
    }

    private static function toSql($unix)
    {
        return gmdate('Y-m-d H:i:s', (int) $unix);
    }

    private static function fromSql(array $row)
    {
        foreach (['next_attempt_at', 'created_at', 'sent_at'] as $key) {
            $value = isset($row[$key]) ? $row[$key] : null;
            $row[$key] = $value === null || $value === '' ? null : strtotime($value . ' UTC');
        }
        foreach (['id', 'id_order', 'id_shop', 'attempts'] as $key) {
            $row[$key] = (int) $row[$key];
        }

        return $row;
    }
}
