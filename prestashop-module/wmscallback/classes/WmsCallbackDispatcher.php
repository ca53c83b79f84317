<?php
/**
 * Deliver queued callback events: sign each attempt, send it, record the outcome, schedule retries.
 *
 * Plain PHP, no PrestaShop class: storage, settings, transport and clock are injected, so the
 * tests run it on a fake store against a local HTTP server.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

class WmsCallbackDispatcher
{
    /** A claimed row becomes due again after this long if the process died mid-attempt. */
    const LEASE_SECONDS = 300;

    /** @var WmsCallbackStore */
    private $store;

    /** @var callable (int $idShop): array{url: string, secrets: string[], timeout_ms: int}|null */
    private $settings;

    /** @var callable ($url, array $headers, $body, $timeoutMs): array{ok: bool, status: int, error: string|null} */
    private $transport;

    /** @var callable (): int */
    private $clock;

    public function __construct(WmsCallbackStore $store, callable $settings, ?callable $transport = null, ?callable $clock = null)
    {
        $this->store = $store;
        $this->settings = $settings;
        $this->transport = $transport !== null ? $transport : ['WmsCallbackSender', 'post'];
        $this->clock = $clock !== null ? $clock : 'time';
    }

    /**
     * Make one attempt at a stored row; return true when the warehouse answered 2xx.
     *
     * @param array $row from the store
     *
     * @return bool
     */
    public function deliver(array $row)
    {
        if ($row['sent_at'] !== null) {
            return true;
        }
        $now = call_user_func($this->clock);
        if (!$this->store->claim($row['id'], (int) $row['attempts'], $now + self::LEASE_SECONDS)) {
            return false; // another request or the cron took it
        }
        $attempts = (int) $row['attempts'] + 1;

        try {
            $settings = call_user_func($this->settings, (int) $row['id_shop']);
            if (!$settings) {
                $result = ['ok' => false, 'status' => 0, 'error' => 'The module is not configured for this shop (callback URL or secret missing).'];
            } else {
                $headers = WmsCallbackSigner::headers($row['event_id'], $settings['secrets'], $now, $row['payload']);
                $result = call_user_func($this->transport, $settings['url'], $headers, $row['payload'], (int) $settings['timeout_ms']);
            }
        } catch (Throwable $e) {
            $result = ['ok' => false, 'status' => 0, 'error' => get_class($e) . ': ' . $e->getMessage()];
        }

        if (!empty($result['ok'])) {
            $this->store->markSent($row['id'], $now);

            return true;
        }
        $error = isset($result['error']) && $result['error'] !== '' ? (string) $result['error'] : 'delivery failed';
        $next = WmsCallbackRetryPolicy::nextAttemptAt($attempts, $now);
        if ($next === null) {
            $error = sprintf('Gave up after %d attempts. Last error: %s', $attempts, $error);
        }
        $this->store->markFailed($row['id'], self::truncate($error, 255), $next);

        return false;
    }

    /**
     * Deliver due rows until $limit rows are tried or $deadline (unix seconds) passes.
     *
     * @param int $limit
     * @param int|null $deadline
     *
     * @return array{sent: int, failed: int}
     */
    public function deliverDue($limit, $deadline = null)
    {
        $counts = ['sent' => 0, 'failed' => 0];
        $now = call_user_func($this->clock);
        foreach ($this->store->due($now, max(0, (int) $limit)) as $row) {
            if ($deadline !== null && call_user_func($this->clock) >= $deadline) {
                break;
            }
            if ($this->deliver($row)) {
                ++$counts['sent'];
            } else {
                ++$counts['failed'];
            }
        }

        return $counts;
    }

    private static function truncate($text, $length)
    {
        if (strlen($text) <= $length) {
            return $text;
        }
        // Cut on a character boundary: the column is utf8mb4.
        return function_exists('mb_strcut') ? mb_strcut($text, 0, $length, 'UTF-8') : substr($text, 0, $length);
    }
}
