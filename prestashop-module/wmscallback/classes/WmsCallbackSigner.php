<?php
/**
 * Sign a callback body as docs/callback-signature.md specifies (HMAC-SHA256, Standard Webhooks headers).
 *
 * Plain PHP, no PrestaShop class: the tests require this file from the command line after
 * defining _PS_VERSION_.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

class WmsCallbackSigner
{
    const VERSION = 'v1';
    const MIN_SECRET_LENGTH = 32;

    /**
     * Return one Webhook-Signature entry, "v1,<base64 HMAC-SHA256 of timestamp.body>".
     *
     * @param string $secret used as its raw UTF-8 bytes, no decoding
     * @param int $timestamp unix seconds of this attempt
     * @param string $body the exact bytes that are sent
     *
     * @return string
     */
    public static function sign($secret, $timestamp, $body)
    {
        self::checkSecret($secret);
        $timestamp = self::checkTimestamp($timestamp);
        $digest = hash_hmac('sha256', $timestamp . '.' . $body, $secret, true);

        return self::VERSION . ',' . base64_encode($digest);
    }

    /**
     * Return the Webhook-Signature value: one entry per secret, space-separated (secret rotation).
     *
     * @param string|string[] $secrets
     * @param int $timestamp
     * @param string $body
     *
     * @return string
     */
    public static function signatureHeader($secrets, $timestamp, $body)
    {
        $secrets = is_array($secrets) ? array_values($secrets) : [$secrets];
        if (!$secrets) {
            throw new InvalidArgumentException('No callback secret is configured.');
        }
        $entries = [];
        foreach ($secrets as $secret) {
            $entries[] = self::sign($secret, $timestamp, $body);
        }

        return implode(' ', $entries);
    }

    /**
     * Return the HTTP headers of one delivery attempt, as name => value.
     *
     * @param string $eventId the event's UUID, also inside the body
     * @param string|string[] $secrets
     * @param int $timestamp
     * @param string $body
     *
     * @return array<string, string>
     */
    public static function headers($eventId, $secrets, $timestamp, $body)
    {
        return [
            'Content-Type' => 'application/json',
            'Webhook-Id' => (string) $eventId,
            'Webhook-Timestamp' => (string) self::checkTimestamp($timestamp),
            'Webhook-Signature' => self::signatureHeader($secrets, $timestamp, $body),
        ];
    }

    /**
     * Return a new random secret: 64 hexadecimal characters (256 bits).
     *
     * @return string
     */
    public static function generateSecret()
    {
        return bin2hex(random_bytes(32));
    }

    /**
     * Throw InvalidArgumentException unless the secret is a string of at least 32 characters.
     *
     * @param mixed $secret
     */
    public static function checkSecret($secret)
    {
        if (!is_string($secret) || strlen($secret) < self::MIN_SECRET_LENGTH) {
            throw new InvalidArgumentException(sprintf('The callback secret must be at least %d characters long.', self::MIN_SECRET_LENGTH));
        }
    }

    /**
     * @param mixed $timestamp
     *
     * @return int
     */
    private static function checkTimestamp($timestamp)
    {
        if (!is_int($timestamp) || $timestamp < 0) {
            throw new InvalidArgumentException('The timestamp must be non-negative unix seconds as an integer.');
        }

        return $timestamp;
    }
}
