<?php
/**
 * Decide when a failed callback is tried again, and when the module gives up.
 *
 * Plain PHP, no PrestaShop class.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

class WmsCallbackRetryPolicy
{
    const MAX_ATTEMPTS = 8;

    /** Seconds to wait after failed attempt n (index n - 1): 1 min, 5 min, 30 min, 2 h, 6 h, 12 h, 24 h. */
    const DELAYS = [60, 300, 1800, 7200, 21600, 43200, 86400];

    /**
     * Return when to try again after $failedAttempts failures, or null to give up.
     *
     * @param int $failedAttempts attempts made so far, all failed (>= 1)
     * @param int $now unix seconds
     *
     * @return int|null
     */
    public static function nextAttemptAt($failedAttempts, $now)
    {
        $failedAttempts = max(1, (int) $failedAttempts);
        if ($failedAttempts >= self::MAX_ATTEMPTS) {
            return null;
        }
        $delays = self::DELAYS;
        $delay = $delays[min($failedAttempts, count($delays)) - 1];

        return (int) $now + $delay;
    }
}
